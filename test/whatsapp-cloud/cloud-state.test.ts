import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudState, type SentNotice } from '../../src/channels/whatsapp-cloud/cloud-state.ts';
import { Keys } from '../../src/redis/keys.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

/** The Cloud transport's keys of one chat, as a deletion request finds them (`keysOfChat`). */
describe('CloudState.keysOfChat', () => {
  let server: TestRedis;
  let redis: Redis;
  const keys = new Keys(`t${randomBytes(4).toString('hex')}`);
  let state: CloudState;

  beforeAll(async () => {
    server = await startTestRedis();
    redis = new Redis(server.url);
    state = new CloudState(redis, keys);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  const notice = (chatId: string, trackingId: string): SentNotice => ({
    trackingId,
    event: 'status_changed',
    ticketStatus: 'verified',
    chatId,
    template: false,
  });
  /** A chat that wrote, was sent two notifications (one held) and reported statuses on one. */
  async function chatWithData(chatId: string, ids: [string, string]) {
    await state.recordInbound(chatId, Date.now());
    await state.remember(ids[0], notice(chatId, 'ADU-2222-3333'));
    await state.remember(ids[1], { ...notice(chatId, 'ADU-4444-5555'), template: true });
    await state.recordStatus(ids[0], 'delivered', Date.now());
    await state.hold(chatId, {
      trackingId: 'ADU-4444-5555',
      messages: [{ text: 'Diteruskan ke Dinas PU.' }],
    });
  }
  /** Every key of the test's prefix with its value, to compare before and after. */
  async function dump(): Promise<Record<string, string>> {
    const all = (await redis.keys(`${keys.prefix}:*`)).sort();
    const values = await Promise.all(all.map(async (k) => (await redis.dumpBuffer(k)).toString('hex')));
    return Object.fromEntries(all.map((k, i) => [k, values[i] as string]));
  }

  it("lists the window, held notices, index and each message record of one chat, and none of another chat's", async () => {
    const a = '6281311110001';
    const b = '6281311110002';
    await chatWithData(a, ['wamid.A1', 'wamid.A2']);
    await chatWithData(b, ['wamid.B1', 'wamid.B2']);

    const ofA = await state.keysOfChat(a);
    expect([...ofA].sort()).toEqual(
      [
        keys.whatsappCloudWindow(a),
        keys.whatsappCloudHeld(a),
        keys.whatsappCloudChatMessages(a),
        keys.whatsappCloudMessage('wamid.A1'),
        keys.whatsappCloudMessage('wamid.A2'),
      ].sort(),
    );
    // Each of them is there, with an expiry: nothing is kept longer than the records themselves.
    for (const key of ofA) {
      expect(await redis.exists(key), key).toBe(1);
      expect(await redis.pttl(key), key).toBeGreaterThan(0);
    }
    // The web transport's form of the same number names the same keys.
    expect(await state.keysOfChat(`${a}@c.us`)).toEqual(ofA);

    const before = await dump();
    const ofB = Object.keys(before).filter((k) => !ofA.includes(k));
    expect(ofB.sort()).toEqual((await state.keysOfChat(b)).sort());
    expect(await redis.del(...ofA)).toBe(5);
    const after = await dump();
    expect(Object.keys(after)).toEqual(ofB.sort());
    for (const key of ofB) expect(after[key], key).toBe(before[key]);
    // Nothing of A is left to find.
    expect(await state.keysOfChat(a)).toEqual([
      keys.whatsappCloudWindow(a),
      keys.whatsappCloudHeld(a),
      keys.whatsappCloudChatMessages(a),
    ]);
  });

  it('takes a held notice stored before notices named their ticket (a bare list of messages)', async () => {
    const chat = '6281311110003';
    await redis.rpush(keys.whatsappCloudHeld(chat), JSON.stringify([{ text: 'lama' }]));
    await state.hold(chat, { trackingId: 'ADU-6666-7777', messages: [{ text: 'baru' }] });
    expect(await state.takeHeld(chat)).toEqual([
      { trackingId: null, messages: [{ text: 'lama' }] },
      { trackingId: 'ADU-6666-7777', messages: [{ text: 'baru' }] },
    ]);
  });
});
