import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashId } from '../../src/log/logger.ts';
import { Keys } from '../../src/redis/keys.ts';
import { LogCapture } from '../support/aduan.ts';
import { type FakeClient, FakeWhatsApp } from '../support/fake-whatsapp.ts';
import { useWhatsAppChannels } from '../support/fast-whatsapp.ts';

// A whatsapp-web.js send that never settles (a stuck page) must not hold the session holder: it is
// given up after the time limit (WHATSAPP_SEND_TIMEOUT_SECONDS; here 250 ms) and relayed, and a few
// in a row restart the client.
const SEND_TIMEOUT_MS = 250;

describe('a WhatsApp send that never settles', () => {
  const bench = useWhatsAppChannels();

  /** The session holder of a fresh number (own keys, own link on disk), ready; and its log. */
  async function holder(world: FakeWhatsApp) {
    const keys = new Keys(`timeout${randomBytes(4).toString('hex')}`);
    const redis = bench.connect();
    const logs = new LogCapture();
    const channel = bench.channel(world, redis, keys, {
      logs,
      dataPath: await bench.folder(),
      timings: { sendTimeoutMs: SEND_TIMEOUT_MS },
    });
    channel.start();
    await expect.poll(() => channel.state).toBe('qr');
    world.scan(world.clients[0] as FakeClient);
    await expect.poll(() => channel.state).toBe('ready');
    const relayed = () =>
      Promise.all([redis.lrange(keys.whatsappRelay, 0, -1), redis.lrange(keys.whatsappRelayInflight, 0, -1)]);
    const lines = (message: string) => logs.lines.filter((l) => l.includes(message));
    return { channel, relayed, lines };
  }

  it('is given up after the time limit and logged once without the number; the next chat goes meanwhile; the relay sends it once', async () => {
    const world = new FakeWhatsApp();
    const { channel, relayed, lines } = await holder(world);
    const [ani, budi, citra] = ['6281200000031@c.us', '6281200000032@c.us', '6281200000033@c.us'];

    // Ani's message hangs in the page; Budi's waits behind it in the pacer (one send at a time).
    world.stallNext = 1;
    const toAni = channel.send(ani, [{ text: 'Satu' }]);
    await expect.poll(() => world.stalled.map((s) => s.chatId)).toEqual([ani]);
    const started = Date.now();
    await channel.send(budi, [{ text: 'Dua' }]);
    const waited = Date.now() - started;
    await toAni;
    // Budi's went once Ani's was given up, with Ani's send still hanging.
    expect(waited).toBeGreaterThanOrEqual(SEND_TIMEOUT_MS - 100);
    expect(waited).toBeLessThan(SEND_TIMEOUT_MS + 1_500);
    // Ani's was relayed, and the relay sent it, once, after Budi's.
    await expect.poll(() => world.sent.length).toBe(2);
    expect(world.sent.map((m) => [m.chatId, m.text])).toEqual([
      [budi, 'Dua'],
      [ani, 'Satu'],
    ]);
    await expect.poll(relayed).toEqual([[], []]);

    // One warning, naming the chat by its hash only: no number, no text; no second "send failed".
    const warnings = lines('whatsapp send timed out');
    expect(warnings).toHaveLength(1);
    const warning = JSON.parse(warnings[0] as string);
    expect(warning).toMatchObject({ level: 40, chat: hashId(`whatsapp:${ani}`), timeoutMs: SEND_TIMEOUT_MS });
    expect(warnings[0]).not.toMatch(/6281200000031|Satu/);
    expect(lines('whatsapp send failed')).toEqual([]);

    // Two timeouts in a row, then a send that goes: fewer than three in a row, so no restart (the
    // first timeout, above, was followed by sends that went, which start the count again).
    world.stallNext = 2;
    await channel.send(citra, [{ text: 'Tiga' }]);
    await expect.poll(() => world.textsTo(citra), { timeout: 5_000, interval: 20 }).toEqual(['Tiga']);
    expect(lines('whatsapp send timed out')).toHaveLength(3);
    expect(lines('restarting the client')).toEqual([]);
    expect(world.clients).toHaveLength(1);
    expect(channel.state).toBe('ready');

    // The page comes back and carries out Ani's hung send after all: at least once, so Ani sees it twice.
    world.stalled[0]?.complete();
    await expect.poll(() => world.textsTo(ani)).toEqual(['Satu', 'Satu']);
    await expect.poll(() => lines('went through late')).toHaveLength(1);
    expect(lines('went through late')[0]).not.toMatch(/6281200000031|Satu/);
  });

  it('restarts the client after three timeouts in a row; the new client sends what waited, each once', async () => {
    const world = new FakeWhatsApp();
    const { channel, relayed, lines } = await holder(world);
    const [ani, budi] = ['6281200000034@c.us', '6281200000035@c.us'];

    // The page is dead: none of this client's sends will ever settle.
    (world.clients[0] as FakeClient).hung = true;
    await Promise.all([channel.send(ani, [{ text: 'Halo' }]), channel.send(budi, [{ text: 'Apa kabar' }])]);
    await expect
      .poll(() => world.clients.map((c) => c.status), { timeout: 5_000, interval: 20 })
      .toEqual(['destroyed', 'ready']);
    await expect.poll(() => channel.state).toBe('ready');
    await expect.poll(() => world.sent.length, { timeout: 5_000, interval: 20 }).toBe(2);
    expect(world.textsTo(ani)).toEqual(['Halo']);
    expect(world.textsTo(budi)).toEqual(['Apa kabar']);
    await expect.poll(relayed).toEqual([[], []]);

    // Three warnings (both messages, then one of them again from the relay), one error, one restart.
    expect(lines('whatsapp send timed out')).toHaveLength(3);
    const errors = lines('restarting the client');
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0] as string)).toMatchObject({ level: 50, inARow: 3 });
    expect(world.stalled).toHaveLength(3);
  });
});
