import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { WhatsAppTimings } from '../../src/channels/whatsapp/whatsapp-channel.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startAduan } from '../../src/main.ts';
import { LogCapture, type TestAduan } from './aduan.ts';
import type { FakeWhatsApp } from './fake-whatsapp.ts';
import { FAST_WHATSAPP } from './fast-whatsapp.ts';

export { FAST_WHATSAPP } from './fast-whatsapp.ts';

/** A real Aduan with WHATSAPP_ENABLED, talking to `world` instead of WhatsApp Web. */
export async function startWhatsAppAduan(options: {
  redisUrl: string;
  world: FakeWhatsApp;
  keyPrefix?: string;
  dataDir?: string;
  env?: Record<string, string>;
  timings?: Partial<WhatsAppTimings>;
}): Promise<TestAduan> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'aduan-wa-test-')));
  const keyPrefix = options.keyPrefix ?? `t${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    REDIS_URL: options.redisUrl,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    CHAT_MESSAGES_PER_MINUTE: '1000',
    WHATSAPP_ENABLED: 'true',
    ...options.env,
  });
  const logs = new LogCapture();
  const app = await startAduan(config, {
    logger: createLogger(config.LOG_LEVEL, logs),
    keyPrefix,
    telegramChatIntervalMs: 0,
    whatsapp: {
      library: options.world.library,
      timings: { ...FAST_WHATSAPP, ...options.timings },
      onQr: () => undefined,
    },
  });
  return Object.assign(app, { config, logs, dataDir, keyPrefix });
}

/** A citizen's chat on the fake WhatsApp: send, and wait for the bot's next answer matching a pattern. */
export function citizen(world: FakeWhatsApp, from: string) {
  return {
    from,
    /** Sends a text and waits for a bot message, sent after it, that matches `expected`. */
    async say(text: string, expected: RegExp): Promise<string> {
      return this.send({ body: text }, expected);
    },
    async send(
      message: Parameters<FakeWhatsApp['receive']>[0] extends infer M ? Omit<M & object, 'from'> : never,
      expected: RegExp,
    ): Promise<string> {
      const before = world.textsTo(from).length;
      world.receive({ from, ...message });
      return this.waitFor(expected, before);
    },
    async waitFor(expected: RegExp, after = 0): Promise<string> {
      let found: string | undefined;
      await expect
        .poll(
          () => {
            found = world
              .textsTo(from)
              .slice(after)
              .find((t) => expected.test(t));
            return found;
          },
          { timeout: 15_000, interval: 20 },
        )
        .toBeDefined();
      return found as string;
    },
  };
}
