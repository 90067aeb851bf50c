import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';

/** Where an agency's events go and the secret that signs them (both directions). */
export const webhookSettingSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(32),
  createdAt: z.string(),
});
export type WebhookSetting = z.infer<typeof webhookSettingSchema>;

/**
 * Per-agency webhook settings, one Redis hash per agency (`aduan webhook set|remove`). The secret is
 * stored as it is, unlike API keys: an HMAC cannot be made from a hash of its key. Whoever can read
 * Redis can therefore sign as Aduan or as the agency; Redis is kept on loopback or behind a password.
 */
export class WebhookSettings {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Sets (or replaces) an agency's webhook with a new random secret.
   * @returns the secret: show it once to the agency, who needs it to verify and to sign
   */
  async set(agencyId: string, url: string, now = new Date()): Promise<WebhookSetting> {
    const setting = webhookSettingSchema.parse({
      url,
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      createdAt: now.toISOString(),
    });
    const key = this.keys.webhook(agencyId);
    // One MULTI: a reader never sees the new URL with the old secret.
    await this.redis.multi().del(key).hset(key, setting).exec();
    return setting;
  }

  /** The agency's webhook, or null when it has none. */
  async get(agencyId: string): Promise<WebhookSetting | null> {
    const raw = await this.redis.hgetall(this.keys.webhook(agencyId));
    const parsed = webhookSettingSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  /** Removes the agency's webhook; true when there was one. */
  async remove(agencyId: string): Promise<boolean> {
    return (await this.redis.del(this.keys.webhook(agencyId))) === 1;
  }
}
