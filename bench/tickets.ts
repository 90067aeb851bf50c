/**
 * Tickets: confirmed reports per second end to end — the chain's submit (a `tickets` job keyed by
 * the submission id) → the production ticket worker (parse, route, store the ticket with its first
 * event, queue the reporter's confirmation, flag it) — at worker concurrency 1, 4 and 16, against a
 * bare BullMQ add → no-op process on the same connections at the same concurrency.
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ChannelRegistry } from '../src/channels/channel.ts';
import { type FlowCatalog, newSession, turn } from '../src/engine/engine.ts';
import type { Inbound, Session, Submission, TurnContext } from '../src/engine/types.ts';
import type { Routing } from '../src/flows/schema.ts';
import { createLogger } from '../src/log/logger.ts';
import { openQueues, type TicketJob, ticketJobId } from '../src/queue/queues.ts';
import { startWorkers } from '../src/queue/workers.ts';
import { Keys } from '../src/redis/keys.ts';
import { withScripts } from '../src/redis/scripts.ts';
import { TicketService } from '../src/tickets/ticket-service.ts';
import { TicketStore } from '../src/tickets/ticket-store.ts';
import { alternate, commandStats, describeCommands, type Figure, median, roundsText } from './lib.ts';

/** Alternating rounds per figure (baseline, then Aduan), each with a fifth of the jobs. */
const ROUNDS = 5;

import { SCRIPT } from './turns.ts';

/** The submission the report script confirms, as the engine makes it. */
export function sampleSubmission(catalog: FlowCatalog): Submission {
  const ctx: TurnContext = { now: new Date(), newId: 'benchdraft0001', timeZone: 'Asia/Jakarta' };
  let session: Session = newSession(new Date());
  for (const inbound of SCRIPT) {
    const result = turn(catalog, session, inbound as Inbound, ctx);
    session = result.session;
    for (const effect of result.effects) if (effect.kind === 'submit') return effect.submission;
  }
  throw new Error('the report script did not submit');
}

export interface TicketsOptions {
  redisUrl: string;
  catalog: FlowCatalog;
  routing: Routing;
  concurrencies: number[];
  /** Jobs per measurement. */
  jobs: number;
}

/** Adds `jobs` jobs (one at a time, as submits arrive, 32 in flight) and waits for `done` of them. */
async function run(
  jobs: number,
  add: (i: number) => Promise<unknown>,
  completed: () => number,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < jobs) await add(next++);
    }),
  );
  while (completed() < jobs) await new Promise((r) => setTimeout(r, 2));
  return jobs / ((performance.now() - start) / 1000);
}

export async function benchTickets(o: TicketsOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const submission = sampleSubmission(o.catalog);
  // The production connections: commands (scripts), producers, and the workers' own.
  const redis = withScripts(new Redis(o.redisUrl, { maxRetriesPerRequest: 5 }));
  const producer = new Redis(o.redisUrl, { maxRetriesPerRequest: 5 });
  const bull = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  try {
    for (const concurrency of o.concurrencies) {
      const tag = `${Date.now()}-${concurrency}`;

      // Baseline: bare BullMQ, same connections, same job payload, no-op processor.
      const bareQueue = new Queue(`bare-${tag}`, { connection: producer, prefix: 'bench-bull' });
      let bareDone = 0;
      const bareWorker = new Worker(`bare-${tag}`, async () => undefined, {
        connection: bull,
        prefix: 'bench-bull',
        concurrency,
      });
      bareWorker.on('completed', () => bareDone++);

      // Aduan: the production queues, service and workers under a fresh key prefix.
      const keys = new Keys(`bench-tickets-${tag}`);
      const queues = openQueues(producer, keys.bull);
      const service = new TicketService({
        store: new TicketStore(redis, keys),
        routing: () => o.routing,
        enqueueNotification: async (job, jobId) => {
          await queues.notifications.add('notify', job, { jobId });
        },
        randomBytes: (n) => randomBytes(n),
        resolveAttachments: async () => ({ stored: [], rejected: [] }) as never,
        now: () => new Date(),
      });
      const workers = startWorkers({
        connection: bull,
        prefix: keys.bull,
        service,
        channels: new ChannelRegistry(),
        logger: createLogger('silent'),
        housekeeping: async () => undefined,
        concurrency: { tickets: concurrency, notifications: 1 },
      });
      // Only the ticket worker runs: the confirmations stay queued (the end of what is measured).
      const [ticketWorker, ...others] = workers.all;
      for (const w of others) await w.pause();
      let done = 0;
      ticketWorker?.on('completed', () => done++);

      const perRound = Math.ceil(o.jobs / ROUNDS);
      let round = 0;
      let bareCommands = '';
      let mineCommands = '';
      const rounds = await alternate(
        ROUNDS,
        async () => {
          const before = await commandStats(redis);
          const start = bareDone;
          const rate = await run(
            perRound,
            (i) =>
              bareQueue.add('job', {
                submission,
                reporter: { channel: 'bench', chatId: `c${i}`, lang: 'id' },
              }),
            () => bareDone - start,
          );
          bareCommands = describeCommands(before, await commandStats(redis), perRound);
          return rate;
        },
        async () => {
          const before = await commandStats(redis);
          const start = done;
          round++;
          const rate = await run(
            perRound,
            (i) => {
              const job: TicketJob = {
                submission: {
                  ...submission,
                  submissionId: `sub_bench${tag}r${round}x${i}`,
                } as TicketJob['submission'],
                reporter: { channel: 'bench', chatId: `c${i}`, lang: 'id' },
              };
              return queues.tickets.add('ticket', job, { jobId: ticketJobId(job.submission.submissionId) });
            },
            () => done - start,
          );
          mineCommands = describeCommands(before, await commandStats(redis), perRound);
          return rate;
        },
        (rate) => rate,
      );
      const confirmations = await queues.notifications.getWaitingCount();
      await bareWorker.close();
      await bareQueue.obliterate({ force: true });
      await bareQueue.close();
      await workers.close();
      for (const q of [queues.tickets, queues.notifications, queues.housekeeping])
        await q.obliterate({ force: true });
      await queues.close();
      figures.push({
        group: '3',
        name: `tickets/s end to end, worker concurrency ${concurrency}`,
        value: median(rounds.mine),
        unit: '/s',
        baselineName: 'bare BullMQ add → no-op',
        baselineValue: median(rounds.base),
        ratio: rounds.ratio,
        target: { min: 0.5, text: '≥ 0.50' },
        note: `${roundsText(rounds.ratios)}; ${perRound} jobs per round and side; ${confirmations} confirmations queued; per job: Aduan ${mineCommands} | bare ${bareCommands}`,
      });
    }
  } finally {
    await Promise.allSettled([redis.quit(), producer.quit(), bull.quit()]);
  }
  return figures;
}
