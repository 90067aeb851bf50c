import { afterAll, beforeAll } from 'vitest';
import { cleanup, startTestAduan, type TestAduan } from './aduan.ts';
import { startTestRedis, type TestRedis } from './redis.ts';
import { startTelegramEmulator, type TelegramEmulator } from './telegram-emulator.ts';

/** What `useTelegramTestApp` gives a `describe` block; filled in by its `beforeAll`. */
export interface TelegramTestEnv {
  redis: TestRedis;
  tg: TelegramEmulator;
  app: TestAduan;
}

/**
 * A real redis-server, the Telegram Bot API emulator, and a real Aduan with Telegram on (long
 * polling against the emulator), for one `describe` block: started in `beforeAll`, stopped in `afterAll`.
 * `options.env` adds settings (e.g. a short TELEGRAM_API_TIMEOUT_SECONDS).
 */
export function useTelegramTestApp(options: { env?: Record<string, string> } = {}): TelegramTestEnv {
  const env = {} as TelegramTestEnv;
  beforeAll(async () => {
    env.redis = await startTestRedis();
    env.tg = await startTelegramEmulator();
    env.app = await startTestAduan({
      redisUrl: env.redis.url,
      env: { ...options.env, TELEGRAM_BOT_TOKEN: env.tg.token, TELEGRAM_API_ROOT: env.tg.apiRoot },
    });
  });
  afterAll(async () => {
    await env.app?.stop();
    await env.tg?.close();
    await cleanup(env.app?.dataDir);
    await env.redis?.stop();
  });
  return env;
}
