import type { Redis } from 'ioredis';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { InboundOutcome } from '../inbound/inbound-chain.ts';
import type { Logger } from '../log/logger.ts';
import type { Keys } from '../redis/keys.ts';
import { STATUSES } from '../tickets/lifecycle.ts';

/** The job states reported per queue: what is waiting, running, scheduled for a retry, given up, done. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** What a turn ended as: the chain's outcomes, or `error` when it threw (Redis down, a bug). */
export type TurnOutcome = InboundOutcome | 'error';
const TURN_OUTCOMES: readonly TurnOutcome[] = ['handled', 'duplicate', 'rate_limited', 'error'];

/** The part of a BullMQ queue the metrics read. */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

export interface MetricsDeps {
  redis: Redis;
  keys: Keys;
  queues: readonly CountableQueue[];
  logger: Logger;
}

/** This process's metrics: a registry to serve, and the one thing measured in memory (turns). */
export interface Metrics {
  registry: Registry;
  /** Records one inbound turn: the `InboundChain`'s `onTurn` hook. */
  observeTurn(ms: number, outcome: TurnOutcome): void;
}

/**
 * The Prometheus metrics. Tickets, queues and failed notifications are read from Redis when
 * scraped, so every instance reports the deployment's figures (aggregate them with `max`, not
 * `sum`); turn latency and the `process_`/`nodejs_` defaults are this process's own. A registry per
 * instance, not prom-client's global one, so two instances in one process (tests) stay apart.
 */
export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { redis, keys, logger } = deps;
  // A scrape while Redis is unreachable still answers (process metrics); the Redis-backed series
  // are left out, which is how Prometheus says "unknown" (alert on absent(), or on /readyz).
  const unavailable = (what: string) => (err: unknown) => {
    logger.warn(
      { metric: what, error: err instanceof Error ? err.message : String(err) },
      'metric not collected',
    );
  };

  new Gauge({
    name: 'aduan_tickets',
    help: 'Tickets by lifecycle status (from the status indexes in Redis).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const pipeline = redis.pipeline();
        for (const status of STATUSES) pipeline.zcard(keys.ticketsByStatus(status));
        const results = (await pipeline.exec()) ?? [];
        STATUSES.forEach((status, i) => {
          const [err, count] = results[i] ?? [new Error('no reply')];
          if (err) throw err;
          this.set({ status }, Number(count));
        });
      } catch (err) {
        this.reset();
        unavailable('aduan_tickets')(err);
      }
    },
  });

  new Gauge({
    name: 'aduan_queue_jobs',
    help: 'Jobs per BullMQ queue and state.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const counts = await Promise.all(deps.queues.map((q) => q.getJobCounts(...JOB_STATES)));
        deps.queues.forEach((queue, i) => {
          for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[i]?.[state] ?? 0);
        });
      } catch (err) {
        this.reset();
        unavailable('aduan_queue_jobs')(err);
      }
    },
  });

  new Counter({
    name: 'aduan_notifications_failed_total',
    help: 'Notifications to reporters that failed for good (blocked bot, retries exhausted), all workers.',
    registers: [registry],
    async collect() {
      try {
        const total = Number((await redis.get(keys.notificationsFailed)) ?? 0);
        // The count lives in Redis (workers may serve no /metrics): mirror it.
        this.reset();
        this.inc(total);
      } catch (err) {
        this.reset();
        unavailable('aduan_notifications_failed_total')(err);
      }
    },
  });

  const turns = new Histogram({
    name: 'aduan_turn_duration_seconds',
    help: "Time to handle one citizen message, from arrival to the bot's replies sent, by outcome.",
    labelNames: ['outcome'],
    // Turns take milliseconds; the upper buckets catch a slow Redis or channel.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Every outcome is present from the start (at zero), so rates and ratios never miss a series.
  for (const outcome of TURN_OUTCOMES) turns.zero({ outcome });

  return {
    registry,
    observeTurn: (ms, outcome) => turns.observe({ outcome }, ms / 1000),
  };
}

/** Counts one notification that failed for good: the workers' hook, kept in Redis for every process. */
export async function countNotificationFailure(redis: Redis, keys: Keys): Promise<void> {
  await redis.incr(keys.notificationsFailed);
}
