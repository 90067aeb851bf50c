import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionLock } from '../../src/channels/whatsapp/session-lock.ts';
import { Keys } from '../../src/redis/keys.ts';
import type { ScriptedRedis } from '../../src/redis/scripts.ts';
import { LogCapture } from '../support/aduan.ts';
import { FakeWhatsApp } from '../support/fake-whatsapp.ts';
import { useWhatsAppChannels } from '../support/fast-whatsapp.ts';

// The relay is at least once across the session holder's death: what a holder took and did not
// confirm sent is sent by the next holder, first, in order (whatsapp-relay-take-3.lua).
describe('the WhatsApp relay', () => {
  const logs = new LogCapture();
  const bench = useWhatsAppChannels();
  const connect = () => bench.connect();
  /** One process's WhatsApp channel; all of them share Redis (by `keys`) and the link on disk. */
  const channel = (world: FakeWhatsApp, redis: ScriptedRedis, keys: Keys) =>
    bench.channel(world, redis, keys, { logs });

  it('sends what a holder took and died before sending: the next holder sends each, in order, once; then relays as usual', async () => {
    const keys = new Keys(`relay${randomBytes(4).toString('hex')}`);
    const store = connect();
    const queued = () =>
      Promise.all([store.lrange(keys.whatsappRelay, 0, -1), store.lrange(keys.whatsappRelayInflight, 0, -1)]);
    const [ani, budi, citra] = ['6281200000021@c.us', '6281200000022@c.us', '6281200000023@c.us'];

    // The first holder links the number; a second process stands by; a worker only relays.
    const firstWorld = new FakeWhatsApp();
    const firstRedis = connect();
    const first = channel(firstWorld, firstRedis, keys);
    first.start();
    await expect.poll(() => first.state).toBe('qr');
    firstWorld.scan(firstWorld.clients[0] as NonNullable<(typeof firstWorld.clients)[0]>);
    await expect.poll(() => first.state).toBe('ready');
    const nextWorld = new FakeWhatsApp();
    const next = channel(nextWorld, connect(), keys);
    next.start();
    const worker = channel(new FakeWhatsApp(), connect(), keys);

    // The holder's page hangs on its next send; the worker leaves three messages for the holder.
    firstWorld.stallSends = true;
    await worker.send(ani, [{ text: 'Satu' }, { text: 'Dua' }]);
    await worker.send(budi, [{ text: 'Tiga' }]);
    await worker.send(ani, [{ text: 'Empat' }]);
    const entry = (chatId: string, texts: string[], attempts = 0) =>
      JSON.stringify({ chatId, texts, attempts });
    // The holder took the first (the old take deleted it here) and hangs sending it.
    await expect
      .poll(queued)
      .toEqual([[entry(budi, ['Tiga']), entry(ani, ['Empat'])], [entry(ani, ['Satu', 'Dua'])]]);
    expect(first.holding).toBe(true);

    // It dies there: cut off Redis for good, no release, no confirmation, as SIGKILL would leave it.
    firstRedis.disconnect();
    await expect.poll(() => next.state, { timeout: 5_000, interval: 20 }).toBe('ready');
    await expect
      .poll(async () => [...(await queued()), nextWorld.sent.length], { timeout: 5_000, interval: 20 })
      .toEqual([[], [], 4]);
    expect(nextWorld.sent.map((m) => [m.chatId, m.text])).toEqual([
      [ani, 'Satu'],
      [ani, 'Dua'],
      [budi, 'Tiga'],
      [ani, 'Empat'],
    ]);
    expect(firstWorld.sent).toEqual([]);

    // An entry whose holders died with it four times already comes back a fifth: dropped, logged.
    await store.rpush(keys.whatsappRelayInflight, entry(citra, ['Racun'], 4));
    await expect
      .poll(() => logs.lines.some((l) => l.includes('whatsapp messages dropped after repeated failures')))
      .toBe(true);
    expect(await queued()).toEqual([[], []]);

    // The new holder relays as usual: each message once, in order, nothing left in flight.
    await worker.send(citra, [{ text: 'Lima' }]);
    await worker.send(ani, [{ text: 'Enam' }, { text: 'Tujuh' }]);
    await worker.send(citra, [{ text: 'Delapan' }]);
    await expect
      .poll(async () => [...(await queued()), nextWorld.sent.length], { timeout: 5_000, interval: 20 })
      .toEqual([[], [], 8]);
    expect(nextWorld.sent.slice(4).map((m) => [m.chatId, m.text])).toEqual([
      [citra, 'Lima'],
      [ani, 'Enam'],
      [ani, 'Tujuh'],
      [citra, 'Delapan'],
    ]);
    expect(nextWorld.textsTo(citra)).not.toContain('Racun');
  });

  it("ignores a fenced-out holder's late confirmation: the new holder's identical entry stays in flight", async () => {
    const keys = new Keys(`fence${randomBytes(4).toString('hex')}`);
    const redis = connect();
    const take = (value: string) =>
      redis.whatsappRelayTake(keys.whatsappLock, keys.whatsappRelay, keys.whatsappRelayInflight, value);
    const done = (value: string, taken: string, rest = '') =>
      redis.whatsappRelayDone(
        keys.whatsappLock,
        keys.whatsappRelayInflight,
        keys.whatsappRelay,
        value,
        taken,
        rest,
      );
    const inflight = () => redis.lrange(keys.whatsappRelayInflight, 0, -1);
    const update = { chatId: '6281200000024@c.us', texts: ['Status: diproses'], attempts: 0 };
    const raw = JSON.stringify(update);
    // The same update relayed twice: two identical entries.
    await redis.rpush(keys.whatsappRelay, raw, raw);

    const old = new SessionLock(redis, keys, { ttlMs: 300 });
    const holder = new SessionLock(redis, keys, { ttlMs: 300 });
    expect(await old.acquire()).toBe(true);
    expect(await take(old.value)).toBe(raw);
    // The old holder pauses mid-send; its lock runs out and another process takes it.
    await expect.poll(() => holder.acquire(), { timeout: 5_000, interval: 20 }).toBe(true);

    // The new holder's first take puts the old holder's entry back in front, counted as an attempt.
    const again = await take(holder.value);
    expect(JSON.parse(again as string)).toEqual({ ...update, attempts: 1 });
    expect(await done(holder.value, again as string)).toBe(1);
    // The second copy is now in flight for the new holder, byte for byte what the old one took.
    expect(await take(holder.value)).toBe(raw);
    expect(await inflight()).toEqual([raw]);

    // The old holder wakes up: its confirmation (with a rest to queue) and its take change nothing.
    const rest = JSON.stringify({ ...update, attempts: 1 });
    expect(await done(old.value, raw, rest)).toBe(0);
    expect(await take(old.value)).toBeNull();
    expect(await inflight()).toEqual([raw]);
    expect(await redis.lrange(keys.whatsappRelay, 0, -1)).toEqual([]);

    expect(await done(holder.value, raw)).toBe(1);
    expect(await inflight()).toEqual([]);
  });
});
