import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Config, loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { type Aduan, type Role, startAduan } from '../../src/main.ts';
import { startTestRedis, type TestRedis } from './redis.ts';

/** Log lines a test process wrote, kept in memory so tests can assert what (not) to log. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

export interface TestAduanOptions {
  redisUrl: string;
  role?: Role;
  /** Share a prefix between processes of one test (a restart, a second worker); random otherwise. */
  keyPrefix?: string;
  dataDir?: string;
  env?: Record<string, string>;
  sweepEveryMs?: number;
  /** Spacing of Telegram messages per chat; tests default to 0 so conversations run at full speed. */
  telegramChatIntervalMs?: number;
  /** How long reading one web chat upload's body may take (ms); tests of the limit shorten it. */
  uploadReadMs?: number;
}

/** A real Aduan on a free loopback port, against a real redis-server, with its logs captured. */
export interface TestAduan extends Aduan {
  config: Config;
  logs: LogCapture;
  dataDir: string;
  keyPrefix: string;
}

/** Starts Aduan for a test; stop it with `app.stop()` (the data dir is removed by `cleanup`). */
export async function startTestAduan(options: TestAduanOptions): Promise<TestAduan> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'aduan-test-')));
  const keyPrefix = options.keyPrefix ?? `t${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    REDIS_URL: options.redisUrl,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    CHAT_MESSAGES_PER_MINUTE: '1000',
    ...options.env,
  });
  const logs = new LogCapture();
  const app = await startAduan(config, {
    role: options.role ?? 'all',
    logger: createLogger(config.LOG_LEVEL, logs),
    keyPrefix,
    ...(options.sweepEveryMs ? { sweepEveryMs: options.sweepEveryMs } : {}),
    ...(options.uploadReadMs ? { uploadReadMs: options.uploadReadMs } : {}),
    telegramChatIntervalMs: options.telegramChatIntervalMs ?? 0,
  });
  return Object.assign(app, { config, logs, dataDir, keyPrefix });
}

/** Removes a test's data directory. */
export async function cleanup(dataDir: string | undefined): Promise<void> {
  if (!dataDir) return;
  await rm(dataDir, { recursive: true, force: true });
}

/** A random web chat id, as the page makes one. */
export function newWebChatId(): string {
  return randomBytes(32).toString('base64url');
}

/** What `useTestApp` gives a `describe` block; filled in by its `beforeAll`. */
export interface TestEnv {
  app: TestAduan;
  redis: TestRedis;
}

/**
 * A real redis-server and a real Aduan for one `describe` block: started in `beforeAll`, stopped
 * in `afterAll`. Use `env.app` and `env.redis` inside the tests.
 */
export function useTestApp(options: Omit<TestAduanOptions, 'redisUrl'> = {}): TestEnv {
  const env = {} as TestEnv;
  beforeAll(async () => {
    env.redis = await startTestRedis();
    env.app = await startTestAduan({ ...options, redisUrl: env.redis.url });
  });
  afterAll(async () => {
    await env.app?.stop();
    await cleanup(env.app?.dataDir);
    await env.redis?.stop();
  });
  return env;
}

/**
 * Waits until no ticket or notification job is waiting, running or delayed, so that a late second
 * ticket or message would show in what the test counts next.
 */
export async function queuesSettled(app: Pick<Aduan, 'queues'>, timeoutMs = 30_000): Promise<void> {
  await expect
    .poll(
      async () => [
        await app.queues.tickets.getJobCounts('waiting', 'active', 'delayed'),
        await app.queues.notifications.getJobCounts('waiting', 'active', 'delayed'),
      ],
      { timeout: timeoutMs, interval: 200 },
    )
    .toEqual([
      { waiting: 0, active: 0, delayed: 0 },
      { waiting: 0, active: 0, delayed: 0 },
    ]);
}
