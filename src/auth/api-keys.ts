import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';

/** What a key may do: one agency's tickets, or (coordinator) every agency's. */
export const apiKeyRecordSchema = z.object({
  id: z.string(),
  role: z.enum(['agency', 'coordinator']),
  agencyId: z.string().nullable(),
  createdAt: z.string(),
  /** sha256 of the key, hex; stored so the comparison after the lookup can be constant-time. */
  hash: z.string(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

function sha256(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * Agency and coordinator API keys. A key is shown once, when created; only its SHA-256 is stored.
 * Keys are 256 random bits, so a plain hash (no salt, no slow KDF) cannot be brute-forced.
 */
export class ApiKeys {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Creates a key. `agencyId` null makes a coordinator key.
   * @returns the key itself (print it once; it cannot be recovered) and its record
   */
  async create(agencyId: string | null, now = new Date()): Promise<{ key: string; record: ApiKeyRecord }> {
    const secret = randomBytes(32).toString('base64url');
    const key = `aduan_${secret}`;
    const hash = sha256(key).toString('hex');
    const record: ApiKeyRecord = {
      id: hash.slice(0, 12),
      role: agencyId ? 'agency' : 'coordinator',
      agencyId,
      createdAt: now.toISOString(),
      hash,
    };
    await this.redis.hset(this.keys.apiKeys, hash, JSON.stringify(record));
    return { key, record };
  }

  /** The record of a presented key, or null. */
  async verify(presented: string): Promise<ApiKeyRecord | null> {
    if (!/^aduan_[A-Za-z0-9_-]{43}$/.test(presented)) return null;
    const digest = sha256(presented);
    const raw = await this.redis.hget(this.keys.apiKeys, digest.toString('hex'));
    if (!raw) return null;
    const record = apiKeyRecordSchema.parse(JSON.parse(raw));
    // The lookup is by hash, so timing reveals nothing useful; the comparison is constant-time anyway.
    return timingSafeEqual(Buffer.from(record.hash, 'hex'), digest) ? record : null;
  }

  /** Every key's record, without its hash (what an operator may see). */
  async list(): Promise<Omit<ApiKeyRecord, 'hash'>[]> {
    const all = await this.redis.hvals(this.keys.apiKeys);
    return all
      .map((raw) => {
        const { hash: _hash, ...rest } = apiKeyRecordSchema.parse(JSON.parse(raw));
        return rest;
      })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a key by its id (the short id shown at creation and by `list`); false when there is none. */
  async revoke(id: string): Promise<boolean> {
    const all = await this.redis.hgetall(this.keys.apiKeys);
    for (const [hash, raw] of Object.entries(all)) {
      if (apiKeyRecordSchema.parse(JSON.parse(raw)).id === id)
        return (await this.redis.hdel(this.keys.apiKeys, hash)) === 1;
    }
    return false;
  }
}
