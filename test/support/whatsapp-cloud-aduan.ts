import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startAduan } from '../../src/main.ts';
import { LogCapture, type TestAduan } from './aduan.ts';
import type { GraphEmulator } from './graph-emulator.ts';

export const APP_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const VERIFY_TOKEN = 'aduan-verify-token-for-tests';

/** A clock the test moves: the Cloud API transport's 24-hour window reads it. */
export class TestClock {
  offsetMs = 0;
  now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A real Aduan with WHATSAPP_TRANSPORT=cloud, talking to the Graph API emulator. */
export async function startCloudAduan(options: {
  redisUrl: string;
  graph: GraphEmulator;
  clock: TestClock;
  env?: Record<string, string>;
}): Promise<TestAduan> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aduan-wac-test-'));
  const keyPrefix = `t${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    REDIS_URL: options.redisUrl,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    CHAT_MESSAGES_PER_MINUTE: '1000',
    WHATSAPP_ENABLED: 'true',
    WHATSAPP_TRANSPORT: 'cloud',
    WHATSAPP_PHONE_NUMBER_ID: options.graph.phoneNumberId,
    WHATSAPP_ACCESS_TOKEN: options.graph.accessToken,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    WHATSAPP_GRAPH_API_URL: options.graph.baseUrl,
    ...options.env,
  });
  const logs = new LogCapture();
  const app = await startAduan(config, {
    logger: createLogger(config.LOG_LEVEL, logs),
    keyPrefix,
    whatsapp: { cloud: { now: options.clock.now, retryDelaysMs: [0, 0] } },
  });
  return Object.assign(app, { config, logs, dataDir, keyPrefix });
}
