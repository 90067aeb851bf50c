import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.ts';
import type { Outbound, Submission } from '../../src/engine/types.ts';
import { loadFlowSet } from '../../src/flows/loader.ts';
import { InboundChain } from '../../src/inbound/inbound-chain.ts';
import { createLogger } from '../../src/log/logger.ts';
import { Keys } from '../../src/redis/keys.ts';
import { type ScriptedRedis, withScripts } from '../../src/redis/scripts.ts';
import { SessionStore } from '../../src/sessions/session-store.ts';
import { TicketStore } from '../../src/tickets/ticket-store.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

/** A channel that fails when told to, and records what got through. */
class RecordingChannel {
  readonly name = 'rec';
  readonly sent: Outbound[][] = [];
  failNext = 0;
  async send(_chatId: string, messages: readonly Outbound[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection reset');
    }
    this.sent.push([...messages]);
  }
}

const REPORT = [
  'lapor',
  '1',
  'kesehatan',
  'sleman',
  'Antrean puskesmas sangat panjang',
  'Antrean di puskesmas sejak jam tujuh pagi, loket baru buka jam sembilan.',
  'kemarin',
  'Puskesmas Depok 1',
  'lewati',
  'tidak',
  'tidak',
];

/**
 * The turn outbox: a turn's replies and confirmed reports are saved with the session, so a crash
 * or a lost connection after the save loses neither.
 */
describe('the turn outbox', () => {
  let server: TestRedis;
  let redis: ScriptedRedis;
  let channel: RecordingChannel;
  let sessions: SessionStore;
  let queued: Submission[];
  let submitFails: number;
  let chain: InboundChain;

  beforeAll(async () => {
    server = await startTestRedis();
    redis = withScripts(new Redis(server.url));
    const keys = new Keys(`outbox${Date.now()}`);
    const flows = await loadFlowSet(join(import.meta.dirname, '../../flows'));
    channel = new RecordingChannel();
    sessions = new SessionStore(redis, keys, { draftTtlSeconds: 3600 });
    queued = [];
    submitFails = 0;
    chain = new InboundChain({
      catalog: () => ({ flows: flows.flows }),
      sessions,
      tickets: new TicketStore(redis, keys),
      channels: new ChannelRegistry().register(channel),
      submit: async (submission) => {
        if (submitFails > 0) {
          submitFails--;
          throw new Error('queue unreachable');
        }
        queued.push(submission);
      },
      logger: createLogger('silent'),
      now: () => new Date(),
      newId: () => randomUUID().replaceAll('-', ''),
      timeZone: 'Asia/Jakarta',
      messagesPerMinute: 1000,
    });
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });

  const say = (chatId: string, text: string, messageId: string = randomUUID()) =>
    chain.handle({ channel: 'rec', chatId, messageId, inbound: { kind: 'text', text } });

  it('sends the replies of a saved turn again when its message is redelivered after a failed send, and only once', async () => {
    channel.failNext = 1;
    await expect(say('c1', 'lapor', 'msg-1')).rejects.toThrow('connection reset');
    expect(channel.sent).toHaveLength(0);
    // The turn was saved: the chat is at the first question already.
    expect((await sessions.load('rec:c1', Date.now())).session?.stepId).toBe('type');

    expect(await say('c1', 'lapor', 'msg-1')).toBe('duplicate');
    expect(channel.sent).toHaveLength(1);
    expect(channel.sent[0]?.[0]?.text).toMatch(/Apa yang ingin/);
    // A further copy finds the replies delivered and sends nothing.
    expect(await say('c1', 'lapor', 'msg-1')).toBe('duplicate');
    expect(channel.sent).toHaveLength(1);
  });

  it('keeps a confirmed report when the queue is unreachable, and queues it on redelivery', async () => {
    for (const text of REPORT) await say('c2', text);
    submitFails = 1;
    await expect(say('c2', 'kirim', 'send-1')).rejects.toThrow('queue unreachable');
    expect(queued).toHaveLength(0);
    // The session already says "sent" and holds the report as pending.
    expect((await sessions.load('rec:c2', Date.now())).session?.flowId).toBeNull();
    expect((await sessions.outbox('rec:c2')).pending).toHaveLength(1);

    expect(await say('c2', 'kirim', 'send-1')).toBe('duplicate');
    expect(queued.map((s) => s.answers.title)).toEqual([
      { kind: 'text', value: 'Antrean puskesmas sangat panjang' },
    ]);
    expect((await sessions.outbox('rec:c2')).pending).toHaveLength(0);
    expect(await sessions.pendingSince(Date.now() + 60_000)).not.toContain('rec:c2');
  });

  it('queues a report left pending by a process that stopped, from the housekeeping sweep', async () => {
    queued.length = 0;
    for (const text of REPORT) await say('c3', text);
    submitFails = 1;
    await expect(say('c3', 'kirim')).rejects.toThrow('queue unreachable');
    // Not yet due: confirmed less than the grace period ago.
    expect(await chain.queuePendingReports(Date.now() - 30_000)).toBe(0);
    expect(await chain.queuePendingReports(Date.now() + 1)).toBe(1);
    expect(queued).toHaveLength(1);
    expect(await chain.queuePendingReports(Date.now() + 1)).toBe(0);
  });

  it('a later message of the chat does not wipe a report that is still pending', async () => {
    queued.length = 0;
    for (const text of REPORT) await say('c4', text);
    submitFails = 1;
    await expect(say('c4', 'kirim')).rejects.toThrow('queue unreachable');
    await say('c4', 'halo');
    expect((await sessions.outbox('rec:c4')).pending).toHaveLength(1);
    expect(await chain.queuePendingReports(Date.now() + 1)).toBe(1);
    expect(queued).toHaveLength(1);
  });
});
