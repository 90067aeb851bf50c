import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelegramChannel } from '../../src/channels/telegram/telegram-channel.ts';
import type { InboundEnvelope } from '../../src/inbound/inbound-chain.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';

/**
 * Stopping a polling bot while it handles an update: the runner's own stop returns once it fetches
 * no more, but the update it fetched is already confirmed to Telegram and will not come again, so
 * the channel must let its handling finish before the process closes Redis under it.
 */
describe('stopping Telegram long polling with an update in hand', () => {
  let tg: TelegramEmulator;
  beforeAll(async () => {
    tg = await startTelegramEmulator();
  });
  afterAll(async () => {
    await tg?.close();
  });

  it('waits for the update being handled before it resolves', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: InboundEnvelope[] = [];
    let handling!: () => void;
    const started = new Promise<void>((resolve) => {
      handling = resolve;
    });
    const channel = new TelegramChannel({
      token: tg.token,
      apiRoot: tg.apiRoot,
      handle: async (envelope) => {
        handling();
        await held;
        handled.push(envelope);
        return 'handled';
      },
      firstTimeInGroup: async () => false,
      logger: createLogger('silent'),
    });
    await channel.start();
    tg.sendText(7101, 'halo');
    await started;

    let stopped = false;
    const stopping = channel.stop().then(() => {
      stopped = true;
    });
    // The runner has stopped fetching; the update is still in hand, so stop has not returned.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stopped).toBe(false);
    expect(handled).toHaveLength(0);

    release();
    await stopping;
    expect(stopped).toBe(true);
    expect(handled.map((e) => e.chatId)).toEqual(['7101']);
  });
});
