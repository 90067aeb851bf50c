import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

describe('the logger and Redis errors', () => {
  let server: TestRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startTestRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  it('logs an ioredis error without the command it carries (its keys hold chat ids, its values text)', async () => {
    const key = 'aduan:session:whatsapp:6281234567890@c.us';
    await redis.set(key, 'not a hash');
    const err = await redis.hget(key, 'Saya melapor jalan rusak').catch((e: unknown) => e as Error);
    // The premise: ioredis attaches the command, keys and all, to the error.
    expect(JSON.stringify((err as unknown as { command: unknown }).command)).toContain('6281234567890');

    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    createLogger('info', out).error({ err }, 'a redis call failed');
    await new Promise((r) => setImmediate(r));
    const logged = lines.join('');
    expect(logged).toContain('WRONGTYPE');
    expect(logged).not.toContain('6281234567890');
    expect(logged).not.toContain('jalan rusak');
  });
});
