import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { WhatsAppTimings } from '../../src/channels/whatsapp/whatsapp-channel.ts';
import { Keys } from '../../src/redis/keys.ts';
import { LogCapture } from '../support/aduan.ts';
import { type FakeClient, FakeWhatsApp } from '../support/fake-whatsapp.ts';
import { useWhatsAppChannels } from '../support/fast-whatsapp.ts';

// A session holder whose client cannot come back (the browser does not launch, initialize() hangs)
// must not keep the lock for ever: after a few failed starts in a row it releases it and leaves it
// to the others for a cool-down. A QR code waiting for a scan is waiting for a human, not a failure.
describe('a WhatsApp client that cannot come back', () => {
  const bench = useWhatsAppChannels();

  /** One "process": its own fake WhatsApp, Redis connection and log; `keys` and `dataPath` say which number. */
  function contender(keys: Keys, dataPath: string, timings: Partial<WhatsAppTimings> = {}) {
    const world = new FakeWhatsApp();
    const logs = new LogCapture();
    const channel = bench.channel(world, bench.connect(), keys, { logs, dataPath, timings });
    const lines = (message: string) => logs.lines.filter((l) => l.includes(message));
    return { world, channel, lines };
  }
  const newKeys = () => new Keys(`handover${randomBytes(4).toString('hex')}`);
  const HANDED_OVER = 'releasing the session lock so another process can take over';

  it('hands the session over after N failed starts: the other process takes it and becomes ready; the first stands by through its cool-down', async () => {
    const keys = newKeys();
    const dataPath = await bench.folder();
    const broken = contender(keys, dataPath, { handOverAfterFailures: 4, handOverCooldownMs: 60_000 });
    // This machine's browser never launches.
    broken.world.failInitialize = Number.POSITIVE_INFINITY;
    broken.channel.start();
    await expect.poll(() => broken.channel.holding).toBe(true);
    const other = contender(keys, dataPath);
    other.channel.start();

    await expect.poll(() => other.channel.state, { timeout: 5_000, interval: 20 }).toBe('qr');
    other.world.scan(other.world.clients[0] as FakeClient);
    await expect.poll(() => other.channel.state).toBe('ready');
    expect(other.channel.holding).toBe(true);
    // Four starts, then no more: the first process gave the client up and the lock with it.
    expect(broken.world.clients).toHaveLength(4);
    expect(broken.channel.state).toBe('standby');
    expect(broken.channel.holding).toBe(false);
    const warnings = broken.lines(HANDED_OVER);
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({
      level: 40,
      failedStarts: 4,
      reason: 'initialize failed',
      coolDownMs: 60_000,
    });

    // During its cool-down it leaves the lock alone, even once it is free (the other stops cleanly).
    await other.channel.stop();
    await sleep(1_000); // ten of its turns at the lock (acquireEveryMs 100)
    expect(broken.channel.holding).toBe(false);
    expect(broken.channel.state).toBe('standby');
    expect(broken.world.clients).toHaveLength(4);
  });

  it('alone, takes the lock again after the cool-down and starts afresh', async () => {
    const keys = newKeys();
    const coolDownMs = 1_000;
    const { world, channel, lines } = contender(keys, await bench.folder(), {
      handOverCooldownMs: coolDownMs,
    });
    const redis = bench.connect();
    // Five failed starts (the default hand-over), then two more after it, then the browser works.
    world.failInitialize = 7;
    channel.start();

    await expect.poll(() => lines(HANDED_OVER), { timeout: 5_000, interval: 20 }).toHaveLength(1);
    const handedOver = Date.now();
    expect(world.clients).toHaveLength(5);
    expect(channel.state).toBe('standby');
    // Released, not left to run out.
    await expect.poll(() => redis.exists(keys.whatsappLock), { interval: 20 }).toBe(0);
    expect(channel.holding).toBe(false);

    await expect.poll(() => channel.state, { timeout: 5_000, interval: 20 }).toBe('qr');
    expect(Date.now() - handedOver).toBeGreaterThanOrEqual(coolDownMs - 100);
    expect(channel.holding).toBe(true);
    expect(world.clients).toHaveLength(8);
    // Afresh: the backoff starts from its first step, and two more failures are not a sixth and seventh.
    const attempts = lines('whatsapp reconnecting').map((l) => JSON.parse(l).attempt);
    expect(attempts).toEqual([1, 2, 3, 4, 1, 2]);
    expect(lines(HANDED_OVER)).toHaveLength(1);
    world.scan(world.clients[7] as FakeClient);
    await expect.poll(() => channel.state).toBe('ready');
  });

  it('neither restarts nor hands over a client that waits in `qr` past the start timeout and many renewals', async () => {
    // One failed start would hand over: a wait for a scan counted as a failure would show at once.
    const { world, channel, lines } = contender(newKeys(), await bench.folder(), {
      startTimeoutMs: 150,
      handOverAfterFailures: 1,
    });
    channel.start();
    await expect.poll(() => channel.state).toBe('qr');

    // Ten start timeouts; the lock (800 ms to live) is only still held because it was renewed.
    await sleep(1_500);
    expect(channel.state).toBe('qr');
    expect(channel.holding).toBe(true);
    expect(world.clients.map((c) => c.status)).toEqual(['qr']);
    expect(lines('whatsapp reconnecting')).toEqual([]);
    expect(lines('did not start in time')).toEqual([]);
    expect(lines(HANDED_OVER)).toEqual([]);

    world.scan(world.clients[0] as FakeClient);
    await expect.poll(() => channel.state).toBe('ready');
  });

  it('restarts a client whose initialize() hangs without a word, after the start timeout', async () => {
    const startTimeoutMs = 300;
    const { world, channel, lines } = contender(newKeys(), await bench.folder(), { startTimeoutMs });
    world.hangInitialize = 1;
    channel.start();
    await expect.poll(() => world.clients, { interval: 10 }).toHaveLength(1);
    const started = Date.now();

    await expect.poll(() => channel.state, { timeout: 5_000, interval: 20 }).toBe('qr');
    expect(Date.now() - started).toBeGreaterThanOrEqual(startTimeoutMs - 50);
    expect(world.clients.map((c) => c.status)).toEqual(['destroyed', 'qr']);
    const warnings = lines('did not start in time');
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, timeoutMs: startTimeoutMs });
    expect(lines('whatsapp reconnecting').map((l) => JSON.parse(l).reason)).toEqual(['start timed out']);

    // The new client's own timeout passes with its QR code on screen: nothing more happens.
    await sleep(startTimeoutMs * 2);
    expect(channel.state).toBe('qr');
    expect(world.clients).toHaveLength(2);
    expect(lines('did not start in time')).toHaveLength(1);
  });

  it("gives each client its own start timeout: a failed client's timeout does not cut the next one short", async () => {
    const startTimeoutMs = 500;
    const { world, channel } = contender(newKeys(), await bench.folder(), {
      startTimeoutMs,
      // The next client starts 200–400 ms after the first failed, well inside the first's timeout.
      reconnectBaseMs: 400,
      reconnectMaxMs: 400,
    });
    world.failInitialize = 1;
    world.hangInitialize = 1;
    channel.start();
    await expect.poll(() => world.clients, { timeout: 5_000, interval: 5 }).toHaveLength(2);
    const second = world.clients[1] as FakeClient;
    const started = Date.now();

    await expect.poll(() => second.status, { timeout: 5_000, interval: 5 }).toBe('destroyed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(startTimeoutMs - 50);
    await expect.poll(() => channel.state, { timeout: 5_000 }).toBe('qr');
  });

  it('counts hung starts toward the hand-over', async () => {
    const keys = newKeys();
    const { world, channel, lines } = contender(keys, await bench.folder(), {
      startTimeoutMs: 150,
      handOverAfterFailures: 2,
      handOverCooldownMs: 60_000,
    });
    world.hangInitialize = 2;
    channel.start();

    await expect.poll(() => lines(HANDED_OVER), { timeout: 5_000, interval: 20 }).toHaveLength(1);
    expect(JSON.parse(lines(HANDED_OVER)[0] as string)).toMatchObject({ reason: 'start timed out' });
    expect(world.clients.map((c) => c.status)).toEqual(['destroyed', 'destroyed']);
    await expect.poll(() => channel.holding, { interval: 20 }).toBe(false);
    expect(channel.state).toBe('standby');
  });
});
