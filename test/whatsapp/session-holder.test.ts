import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionLock } from '../../src/channels/whatsapp/session-lock.ts';
import { Keys } from '../../src/redis/keys.ts';
import { cleanup, type TestAduan } from '../support/aduan.ts';
import { FakeWhatsApp } from '../support/fake-whatsapp.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { citizen, startWhatsAppAduan } from '../support/whatsapp-aduan.ts';

describe('one WhatsApp session holder per number', () => {
  let redis: TestRedis;
  let a: TestAduan;
  let b: TestAduan;
  const world = new FakeWhatsApp();

  beforeAll(async () => {
    redis = await startTestRedis();
    a = await startWhatsAppAduan({ redisUrl: redis.url, world });
    // The second process shares Redis (same key prefix) and DATA_DIR, as two processes of one deployment.
    b = await startWhatsAppAduan({ redisUrl: redis.url, world, keyPrefix: a.keyPrefix, dataDir: a.dataDir });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await cleanup(a?.dataDir);
    await redis?.stop();
  });

  it('lets one process hold the session; the other stands by, relays its sends, and takes over when the first stops', async () => {
    await expect.poll(() => [a.whatsapp?.state, b.whatsapp?.state].sort()).toEqual(['qr', 'standby']);
    const [holder, standby] = a.whatsapp?.state === 'qr' ? [a, b] : [b, a];
    expect(world.clients).toHaveLength(1);
    world.scan(world.clients[0] as NonNullable<(typeof world.clients)[0]>);
    await expect.poll(() => holder.whatsapp?.state).toBe('ready');

    const chat = citizen(world, '6281200000010@c.us');
    await chat.say('lapor', /Apa yang ingin/);
    // A send from the standby process (a worker's status update) goes through the holder.
    await standby.channels.get('whatsapp')?.send(chat.from, [{ text: 'Dari proses lain' }]);
    await chat.waitFor(/Dari proses lain/);
    expect(standby.whatsapp?.state).toBe('standby');

    await holder.stop();
    await expect.poll(() => standby.whatsapp?.state, { timeout: 10_000 }).toBe('ready');
    // The link on disk was reused: no second QR; the conversation carries on.
    expect(world.clients.map((c) => c.status)).toEqual(['destroyed', 'ready']);
    await chat.say('1', /kategori/i);
    expect(world.textsTo(chat.from).filter((t) => /Apa yang ingin/.test(t))).toHaveLength(1);
  });
});

describe('SessionLock', () => {
  let redis: TestRedis;
  let a: TestAduan;
  beforeAll(async () => {
    redis = await startTestRedis();
    a = await startWhatsAppAduan({
      redisUrl: redis.url,
      world: new FakeWhatsApp(),
      env: { WHATSAPP_ENABLED: 'false' },
    });
  });
  afterAll(async () => {
    await a?.stop();
    await cleanup(a?.dataDir);
    await redis?.stop();
  });

  it('passes to another owner when the holder dies without releasing, and fences the old holder out', async () => {
    const keys = new Keys(`lock${Date.now()}`);
    const dead = new SessionLock(a.redis, keys, { ttlMs: 300 });
    const other = new SessionLock(a.redis, keys, { ttlMs: 300 });
    expect(await dead.acquire()).toBe(true);
    expect(await other.acquire()).toBe(false);
    // The holder "dies": it never renews. After the time to live the other takes over.
    await expect.poll(() => other.acquire(), { timeout: 5_000, interval: 50 }).toBe(true);
    expect(other.fence).toBeGreaterThan(dead.fence);
    await a.redis.rpush(keys.whatsappRelay, 'queued');
    const take = (value: string) =>
      a.redis.whatsappRelayTake(keys.whatsappLock, keys.whatsappRelay, keys.whatsappRelayInflight, value);
    // The old holder, back from a pause, can neither take relayed messages nor renew.
    expect(await take(dead.value)).toBeNull();
    expect(await dead.renew()).toBe(false);
    expect(await take(other.value)).toBe('queued');
    await other.release();
    expect(await a.redis.exists(keys.whatsappLock)).toBe(0);
  });
});

describe('a session holder killed with SIGKILL', () => {
  let redis: TestRedis;
  let standby: TestAduan | undefined;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await standby?.stop();
    await cleanup(standby?.dataDir);
    await redis?.stop();
  });

  it('is replaced by a process that was standing by, which reuses the link on disk', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aduan-wa-kill-'));
    const keyPrefix = `kill${Date.now()}`;
    child = spawn('node', ['bin/run-ts.js', 'test/support/whatsapp-holder-process.ts'], {
      cwd: join(import.meta.dirname, '../..'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REDIS_URL: redis.url,
        DATA_DIR: dataDir,
        KEY_PREFIX: keyPrefix,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const holder = child;
    await new Promise<void>((resolve, reject) => {
      holder.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('READY')) resolve();
      });
      holder.once('exit', (code) => reject(new Error(`the holder process exited early (${code})`)));
    });

    const world = new FakeWhatsApp();
    standby = await startWhatsAppAduan({ redisUrl: redis.url, world, keyPrefix, dataDir });
    await expect.poll(() => standby?.whatsapp?.state, { timeout: 10_000 }).toBe('standby');
    expect(world.clients).toHaveLength(0);

    holder.kill('SIGKILL');
    // No release, no goodbye: the lock runs out and the standby takes over with the saved link.
    await expect.poll(() => standby?.whatsapp?.state, { timeout: 15_000, interval: 50 }).toBe('ready');
    expect(world.clients.map((c) => c.status)).toEqual(['ready']);
  });
});
