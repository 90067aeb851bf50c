import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

/** A channel that fails (or is slow) when told to, and records what got through. */
class RecordingChannel {
  readonly name = 'rec';
  readonly sent: Outbound[][] = [];
  /** Makes the next send to `chatId` take `ms`; resolves when that send has begun. */
  slowNext(chatId: string, ms: number): Promise<void> {
    return new Promise((begun) => {
      this.slow = {
        chatId,
        ms,
        started: () => {
          this.slow = undefined;
          begun();
        },
      };
    });
  }
  /** Each message that got through, by chat, in order. */
  readonly texts = new Map<string, string[]>();
  failNext = 0;
  /** A send to this chat takes this long (a slow platform); `started` is called when it begins. */
  private slow: { chatId: string; ms: number; started: () => void } | undefined;
  async send(chatId: string, messages: readonly Outbound[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection reset');
    }
    if (this.slow?.chatId === chatId) {
      const { ms, started } = this.slow;
      started();
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    this.sent.push([...messages]);
    this.texts.set(chatId, [...(this.texts.get(chatId) ?? []), ...messages.map((m) => m.text)]);
  }
  /** What chat `chatId` was sent, each message's text matched against `patterns` in turn ('?' = none). */
  seen(chatId: string, patterns: Record<string, RegExp>): string[] {
    return (this.texts.get(chatId) ?? []).map(
      (text) => Object.entries(patterns).find(([, re]) => re.test(text))?.[0] ?? '?',
    );
  }
}

/** The questions of the report flow's first steps, as the tests below name them. */
const QUESTIONS = {
  type: /Apa yang ingin/,
  category: /Silakan pilih kategori/,
  region: /kabupaten\/kota mana/,
  title: /judul|ringkas/i,
  pickOne: /Mohon pilih salah satu/,
  done: /laporan Bapak\/Ibu sudah kami terima/,
};

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
  /** The chain's clock runs this far ahead of the real one (a citizen writing again later). */
  let ahead = 0;
  let keys: Keys;
  let deps: ConstructorParameters<typeof InboundChain>[0];

  beforeAll(async () => {
    server = await startTestRedis();
    redis = withScripts(new Redis(server.url));
    keys = new Keys(`outbox${Date.now()}`);
    const flows = await loadFlowSet(join(import.meta.dirname, '../../flows'));
    channel = new RecordingChannel();
    sessions = new SessionStore(redis, keys, { draftTtlSeconds: 3600 });
    queued = [];
    submitFails = 0;
    deps = {
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
      now: () => new Date(Date.now() + ahead),
      newId: () => randomUUID().replaceAll('-', ''),
      timeZone: 'Asia/Jakarta',
      messagesPerMinute: 1000,
    };
    chain = new InboundChain(deps);
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

  it('resends at once, without waiting for another handler, when the redelivered turn was saved long ago', async () => {
    channel.failNext = 1;
    await expect(say('old1', 'lapor', 'old-1')).rejects.toThrow('connection reset');
    ahead += 5_000;
    const polled = vi.spyOn(sessions, 'delivered');
    try {
      expect(await say('old1', 'lapor', 'old-1')).toBe('duplicate');
      expect(polled).not.toHaveBeenCalled();
    } finally {
      polled.mockRestore();
      ahead -= 5_000;
    }
    expect(channel.seen('old1', QUESTIONS)).toEqual(['type']);
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
    expect(channel.seen('c4', QUESTIONS)).not.toContain('done');
    ahead += 5_000;
    await say('c4', 'halo');
    expect((await sessions.outbox('rec:c4')).pending).toHaveLength(1);
    // The confirmation the failed turn never sent goes out first (the housekeeping job queues the report).
    expect(channel.seen('c4', QUESTIONS).filter((q) => q === 'done')).toHaveLength(1);
    expect(await chain.queuePendingReports(Date.now() + 1)).toBe(1);
    expect(queued).toHaveLength(1);
  });

  it('a confirmed report is settled with the mark of its replies, and stays pending while they are unsent', async () => {
    queued.length = 0;
    for (const text of REPORT) await say('settled1', text);
    await say('settled1', 'kirim', 'send-5');
    // Queued, off the pending list, and its replies marked sent: all from the one settle.
    expect(queued).toHaveLength(1);
    expect((await sessions.outbox('rec:settled1')).pending).toHaveLength(0);
    expect(await sessions.pendingSince(Date.now() + 60_000)).not.toContain('rec:settled1');
    expect(await sessions.delivered('rec:settled1')).toBe('send-5');

    // The confirmation cannot be sent: the report is on the queue already, but stays pending (and
    // its replies unmarked) until the housekeeping sweep queues it again (a no-op for the real
    // queue: the job id is the submission's) and settles it.
    for (const text of REPORT) await say('settled2', text);
    channel.failNext = 1;
    await expect(say('settled2', 'kirim', 'send-6')).rejects.toThrow('connection reset');
    expect(queued).toHaveLength(2);
    expect((await sessions.outbox('rec:settled2')).pending).toHaveLength(1);
    expect(await sessions.delivered('rec:settled2')).not.toBe('send-6');
    expect(await chain.queuePendingReports(Date.now() + ahead + 1)).toBe(1);
    expect(queued.map((q) => q.submissionId)).toEqual([
      queued[0]?.submissionId,
      queued[1]?.submissionId,
      queued[1]?.submissionId,
    ]);
    expect((await sessions.outbox('rec:settled2')).pending).toHaveLength(0);
  });

  // A platform that never delivers a message again (Telegram polling, WhatsApp): a turn whose send
  // failed for good would leave the citizen without the question their next message answers.
  describe("a turn's replies that were never sent", () => {
    it("go out before the answer to the chat's next message, each once, and never again", async () => {
      await say('c5', 'lapor');
      channel.failNext = 1;
      await expect(say('c5', 'pengaduan', 'c5-type')).rejects.toThrow('connection reset');
      expect(channel.seen('c5', QUESTIONS)).toEqual(['type']);
      // The citizen, who saw no question, writes again a few seconds later.
      ahead += 5_000;
      expect(await say('c5', 'halo?')).toBe('handled');
      // The missed category question first, then the answer to "halo?" (no category: pick one).
      expect(channel.seen('c5', QUESTIONS)).toEqual(['type', 'category', 'pickOne', 'category']);
      await say('c5', 'kesehatan');
      expect(channel.seen('c5', QUESTIONS)).toEqual(['type', 'category', 'pickOne', 'category', 'region']);
      // A copy of the failed message, later, finds its replies sent.
      expect(await say('c5', 'pengaduan', 'c5-type')).toBe('duplicate');
      expect(channel.seen('c5', QUESTIONS)).toHaveLength(5);
    });

    it('go out before the answer to a next message without an id', async () => {
      await say('c6', 'lapor');
      channel.failNext = 1;
      await expect(say('c6', 'pengaduan')).rejects.toThrow('connection reset');
      ahead += 5_000;
      expect(
        await chain.handle({ channel: 'rec', chatId: 'c6', inbound: { kind: 'text', text: 'kesehatan' } }),
      ).toBe('handled');
      expect(channel.seen('c6', QUESTIONS)).toEqual(['type', 'category', 'region']);
      await say('c6', 'sleman');
      expect(channel.seen('c6', QUESTIONS)).toEqual(['type', 'category', 'region', 'title']);
    });

    it('are sent once when the next message and a copy of the failed one arrive together', async () => {
      await say('c7', 'lapor');
      channel.failNext = 1;
      await expect(say('c7', 'pengaduan', 'c7-type')).rejects.toThrow('connection reset');
      ahead += 5_000;
      const outcomes = await Promise.all([say('c7', 'pengaduan', 'c7-type'), say('c7', 'kesehatan')]);
      expect(outcomes).toEqual(['duplicate', 'handled']);
      expect(channel.seen('c7', QUESTIONS)).toEqual(['type', 'category', 'region']);
    });

    it('a conversation whose sends go well never sends anything twice, nor reads the outbox', async () => {
      const lastTurn = vi.spyOn(sessions, 'lastTurn');
      try {
        for (const [i, text] of REPORT.entries()) {
          await say('c8', text);
          // One reply per turn here (a question, or the summary to confirm).
          expect(channel.texts.get('c8'), `after "${text}"`).toHaveLength(i + 1);
        }
        await say('c8', 'kirim');
        expect(channel.seen('c8', QUESTIONS).filter((q) => q === 'done')).toHaveLength(1);
        expect(channel.texts.get('c8')).toHaveLength(REPORT.length + 1);
        expect(lastTurn).not.toHaveBeenCalled();
      } finally {
        lastTurn.mockRestore();
      }
    });

    it('a turn still being sent in this process is not taken for a missed one', async () => {
      await say('c9', 'lapor');
      const sending = channel.slowNext('c9', 300);
      const first = say('c9', 'pengaduan');
      await sending;
      // The next message comes while the first one's replies are still on their way, with the first
      // turn past the grace a turn of another process is given (the send is slow).
      ahead += 5_000;
      await say('c9', 'kesehatan');
      await first;
      expect(channel.seen('c9', QUESTIONS).sort()).toEqual(['category', 'region', 'type']);
    });

    it('a turn still being sent by another process is given time to be marked sent', async () => {
      // A second process: its own chain, its own Redis connection.
      const other = withScripts(new Redis(server.url));
      try {
        const elsewhere = new InboundChain({
          ...deps,
          sessions: new SessionStore(other, keys, { draftTtlSeconds: 3600 }),
        });
        await say('c10', 'lapor');
        const sending = channel.slowNext('c10', 500);
        const first = say('c10', 'pengaduan');
        await sending;
        await elsewhere.handle({
          channel: 'rec',
          chatId: 'c10',
          messageId: randomUUID(),
          inbound: { kind: 'text', text: 'kesehatan' },
        });
        await first;
        expect(channel.seen('c10', QUESTIONS).sort()).toEqual(['category', 'region', 'type']);
      } finally {
        await other.quit();
      }
    });
  });
});
