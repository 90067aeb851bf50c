import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { AttachmentStore } from '../../src/attachments/attachment-store.ts';
import { WhatsAppChannel, type WhatsAppTimings } from '../../src/channels/whatsapp/whatsapp-channel.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Keys } from '../../src/redis/keys.ts';
import { type ScriptedRedis, withScripts } from '../../src/redis/scripts.ts';
import type { LogCapture } from './aduan.ts';
import type { FakeWhatsApp } from './fake-whatsapp.ts';
import { startTestRedis, type TestRedis } from './redis.ts';

/** Fast timings: a dead holder is replaced within about a second; no pacing delays. */
export const FAST_WHATSAPP: Partial<WhatsAppTimings> = {
  lockTtlMs: 800,
  renewEveryMs: 200,
  acquireEveryMs: 100,
  reconnectBaseMs: 50,
  reconnectMaxMs: 200,
  perChatMs: 0,
  overallMs: 0,
  jitterMs: 0,
  relayEveryMs: 50,
  retryBaseMs: 20,
};

/**
 * For tests of WhatsAppChannel itself: a real redis-server and a temporary folder for the linked
 * numbers, both for the file's tests; `connect()` gives a Redis connection of its own (one per
 * "process": disconnecting it cuts that process off), `channel()` a channel with fast timings that
 * every test's end stops. Call at the top of a `describe`.
 */
export function useWhatsAppChannels() {
  let server: TestRedis | undefined;
  let dataPath = '';
  const connections: Redis[] = [];
  const channels: WhatsAppChannel[] = [];
  beforeAll(async () => {
    server = await startTestRedis();
    dataPath = await mkdtemp(join(tmpdir(), 'aduan-wa-'));
  });
  afterAll(async () => {
    await Promise.all(channels.map((c) => c.stop()));
    for (const connection of connections) connection.disconnect();
    await rm(dataPath, { recursive: true, force: true });
    await server?.stop();
  });
  return {
    connect(): ScriptedRedis {
      const connection = withScripts(new Redis((server as TestRedis).url));
      connections.push(connection);
      return connection;
    },
    /** A folder of its own under the temporary one (a number linked apart from the others). */
    folder: () => mkdtemp(join(dataPath, 'number-')),
    channel(
      world: FakeWhatsApp,
      redis: ScriptedRedis,
      keys: Keys,
      options: { logs: LogCapture; dataPath?: string; timings?: Partial<WhatsAppTimings> },
    ): WhatsAppChannel {
      const made = new WhatsAppChannel({
        library: world.library,
        redis,
        keys,
        handle: async () => 'handled',
        chatState: async () => ({ lang: 'id', expectsFiles: false }),
        attachments: {} as AttachmentStore,
        logger: createLogger('debug', options.logs),
        dataPath: options.dataPath ?? dataPath,
        chromiumPath: '/usr/bin/chromium',
        onQr: () => undefined,
        timings: { ...FAST_WHATSAPP, ...options.timings },
      });
      channels.push(made);
      return made;
    },
  };
}
