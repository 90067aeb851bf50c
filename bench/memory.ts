/**
 * Memory: Redis bytes per in-progress conversation at 10,000 and 100,000 conversations, and per
 * stored ticket. Conversations are written by the production save (SessionStore.save: the session
 * hash with its outbox, recent ids and rate window, and the two idle indexes), spread evenly over
 * the report's steps, on a pipelining connection so 100,000 take seconds. Figures:
 * the growth of INFO memory's `used_memory` divided by the count (everything, indexes included),
 * and MEMORY USAGE of sampled session keys (the hash alone). Baseline: the same session JSON as a
 * plain string key, written the same way (what GET-then-SET storage would hold).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type FlowCatalog, newSession, turn } from '../src/engine/engine.ts';
import type { Inbound, Outbound, Session, TurnContext } from '../src/engine/types.ts';
import { routeReport } from '../src/flows/routing.ts';
import type { Routing } from '../src/flows/schema.ts';
import { Keys } from '../src/redis/keys.ts';
import { withScripts } from '../src/redis/scripts.ts';
import { SessionStore } from '../src/sessions/session-store.ts';
import { REPORT_FIELDS, ticketFromSubmission } from '../src/tickets/from-submission.ts';
import { TicketStore } from '../src/tickets/ticket-store.ts';
import { generateTrackingNumber } from '../src/tickets/tracking-number.ts';
import type { Figure } from './lib.ts';
import { sampleSubmission } from './tickets.ts';
import { SCRIPT } from './turns.ts';

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** Runs `write(i)` for i < n with `inFlight` calls at a time (the connection pipelines them). */
async function writeAll(n: number, write: (i: number) => Promise<unknown>, inFlight = 2000): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await write(next++);
    }),
  );
}

const STEPS = Number(process.env.BENCH_MEMORY_STEPS ?? 11);

export interface MemoryOptions {
  redisUrl: string;
  catalog: FlowCatalog;
  routing: Routing;
  counts: number[];
  tickets: number;
}

export async function benchMemory(o: MemoryOptions): Promise<Figure[]> {
  const redis = withScripts(new Redis(o.redisUrl, { enableAutoPipelining: true }));
  const figures: Figure[] = [];
  try {
    // In-progress conversations spread evenly over the report: conversation i stands after
    // 1 + i % 11 messages (from "lapor" to the summary, whose draft and replies are the largest).
    const ctx: TurnContext = { now: new Date(), newId: 'memdraft0001', timeZone: 'Asia/Jakarta' };
    const stages: { session: Session; outbound: Outbound[] }[] = [];
    let session: Session = newSession(new Date());
    for (const inbound of SCRIPT.slice(0, STEPS)) {
      const result = turn(o.catalog, session, inbound as Inbound, ctx);
      session = result.session;
      stages.push({ session, outbound: result.outbound });
    }
    const stageOf = (i: number) => stages[i % STEPS] as { session: Session; outbound: Outbound[] };
    const window = Math.floor(Date.now() / 60_000);

    for (const n of o.counts) {
      const keys = new Keys(`bench-mem-${n}-${Date.now()}`);
      const sessions = new SessionStore(redis, keys, { draftTtlSeconds: 86_400 });
      await redis.memory('PURGE');
      const before = await usedMemory(redis);
      const ids = (i: number) =>
        Array.from({ length: (i % STEPS) + 1 }, (_, k) => `${i * 100 + k + 1_000_000_000}`);
      await writeAll(n, (i) =>
        sessions.save(
          `telegram:${6_000_000_000 + i}`,
          { version: 0, recentMessageIds: ids(i).slice(0, -1), rate: { window, count: i % STEPS } },
          { ...stageOf(i).session, lastActivityAt: Date.now() + i },
          { messageId: ids(i).at(-1) as string, idle: 'add', outbound: stageOf(i).outbound, reports: [] },
        ),
      );
      const after = await usedMemory(redis);
      // MEMORY USAGE of the session hash alone, at each stage (mean of 20 keys per stage).
      const perStage: number[] = [];
      for (let stage = 0; stage < STEPS; stage++) {
        let sum = 0;
        for (let j = 0; j < 20; j++)
          sum += Number(
            await redis.memory(
              'USAGE',
              keys.session(`telegram:${6_000_000_000 + stage + j * STEPS}`),
              'SAMPLES',
              0,
            ),
          );
        perStage.push(sum / 20);
      }
      // Baseline: the session JSON alone as a string key per conversation.
      const plainPrefix = `bench-mem-plain-${n}-${Date.now()}`;
      const plainBefore = await usedMemory(redis);
      await writeAll(n, (i) =>
        redis.set(
          `${plainPrefix}:telegram:${6_000_000_000 + i}`,
          JSON.stringify(stageOf(i).session),
          'EX',
          86_400,
        ),
      );
      const plainAfter = await usedMemory(redis);

      figures.push({
        group: '4',
        name: `bytes per conversation, ${n.toLocaleString('en-US')} (INFO memory)`,
        value: (after - before) / n,
        unit: 'B',
        baselineName: 'session JSON as a plain key',
        baselineValue: (plainAfter - plainBefore) / n,
        target: { absMax: 2048, text: '≤ 2 KB' },
        note: `conversations spread over messages 1…${STEPS}; MEMORY USAGE of the session hash alone after message 1…${STEPS}: ${perStage.map((x) => Math.round(x)).join(' ')} B (the rest: key, expiry and the two idle-index entries)`,
      });
      // Free them before the next size, so each figure starts from the same state.
      await unlinkByPrefix(redis, keys.prefix);
      await unlinkByPrefix(redis, plainPrefix);
    }

    // Tickets: stored by the production store (ticket, first event, submission index, three indexes).
    const keys = new Keys(`bench-mem-tickets-${Date.now()}`);
    const store = new TicketStore(redis, keys);
    const submission = sampleSubmission(o.catalog);
    const answers = submission.answers;
    const pick = (id: string) => {
      const a = answers[id];
      return a?.kind === 'choice' ? a.value : undefined;
    };
    const agencyId = routeReport(o.routing, pick(REPORT_FIELDS.category) ?? '', pick(REPORT_FIELDS.region));
    await redis.memory('PURGE');
    const before = await usedMemory(redis);
    let ticketJson = 0;
    await writeAll(
      o.tickets,
      async (i) => {
        const ticket = ticketFromSubmission(
          { ...submission, submissionId: `sub_memory${i}x${Date.now()}` },
          { channel: 'telegram', chatId: `${6_000_000_000 + i}`, lang: 'id' },
          { trackingId: generateTrackingNumber(randomBytes(16)), agencyId, now: new Date() },
        );
        ticketJson = JSON.stringify(ticket).length;
        await store.create(ticket, {
          seq: 1,
          at: ticket.createdAt,
          actor: { kind: 'system' },
          type: 'created',
          to: 'received',
          agencyId,
        });
      },
      200,
    );
    const after = await usedMemory(redis);
    figures.push({
      group: '4',
      name: `bytes per stored ticket, ${o.tickets.toLocaleString('en-US')} (INFO memory)`,
      value: (after - before) / o.tickets,
      unit: 'B',
      baselineName: 'its JSON (length)',
      baselineValue: ticketJson,
      note: 'a ticket is its JSON hash, its event list, the submission → ticket key and three sorted-set entries',
    });
    await unlinkByPrefix(redis, keys.prefix);
  } finally {
    await redis.quit();
  }
  return figures;
}

async function unlinkByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}
