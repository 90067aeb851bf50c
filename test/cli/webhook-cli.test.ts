import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/redis/keys.ts';
import { WebhookSettings } from '../../src/webhooks/webhook-settings.ts';
import { aduan } from '../support/cli.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

describe('aduan webhook', () => {
  let redis: TestRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startTestRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    await client?.quit();
    await redis?.stop();
  });

  it('set prints a new secret once and stores it with the URL; remove deletes both', async () => {
    const env = { REDIS_URL: redis.url };
    const set = await aduan(
      ['webhook', 'set', 'sleman-dinkes', 'https://simpel.slemankab.example/aduan'],
      env,
    );
    expect(set.code).toBe(0);
    const secret = set.stdout.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(set.stderr).toContain('shown once');
    const settings = new WebhookSettings(client, new Keys());
    expect(await settings.get('sleman-dinkes')).toMatchObject({
      url: 'https://simpel.slemankab.example/aduan',
      secret,
    });

    // Setting it again rotates the secret.
    const again = await aduan(
      ['webhook', 'set', 'sleman-dinkes', 'https://simpel.slemankab.example/aduan'],
      env,
    );
    expect(again.stdout.trim()).not.toBe(secret);
    expect((await settings.get('sleman-dinkes'))?.secret).toBe(again.stdout.trim());

    expect((await aduan(['webhook', 'remove', 'sleman-dinkes'], env)).code).toBe(0);
    expect(await settings.get('sleman-dinkes')).toBeNull();
  });

  it('refuses an unknown agency, a URL that is not http(s), and missing arguments', async () => {
    const env = { REDIS_URL: redis.url };
    for (const args of [
      ['webhook', 'set', 'dinas-rahasia', 'https://example.org/'],
      ['webhook', 'set', 'sleman-dinkes', 'ftp://example.org/'],
      ['webhook', 'set', 'sleman-dinkes', 'not a url'],
      ['webhook', 'set', 'sleman-dinkes'],
      ['webhook', 'rotate', 'sleman-dinkes'],
    ]) {
      const r = await aduan(args, env);
      expect({ args, code: r.code, out: r.stdout }).toEqual({ args, code: 2, out: '' });
    }
  });
});
