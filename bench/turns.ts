/**
 * Turns: the inbound chain (de-duplicate, rate-limit, load, engine turn, versioned save, mark
 * delivered) on Redis sessions at 1, 100 and 1,000 concurrent conversations, against a bare GET
 * then SET of a session-sized value on the same connection at the same concurrency; then the cost
 * of a turn at step 12 of the report against step 1 (the engine alone, and the whole chain).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ChannelRegistry } from '../src/channels/channel.ts';
import { type FlowCatalog, newSession, turn } from '../src/engine/engine.ts';
import type { Inbound, Session, TurnContext } from '../src/engine/types.ts';
import { InboundChain } from '../src/inbound/inbound-chain.ts';
import { createLogger } from '../src/log/logger.ts';
import { Keys } from '../src/redis/keys.ts';
import { withScripts } from '../src/redis/scripts.ts';
import { SessionStore } from '../src/sessions/session-store.ts';
import { TicketStore } from '../src/tickets/ticket-store.ts';
import {
  alternate,
  describe,
  type Figure,
  type Measurement,
  measure,
  measureSync,
  median,
  roundsText,
} from './lib.ts';

/** Alternating rounds per figure (baseline, then Aduan), each half of BENCH_SECONDS. */
const ROUNDS = 3;

/** One complete pengaduan as a citizen types it: twelve messages, the last one sends it. */
export const SCRIPT: Inbound[] = [
  { kind: 'text', text: 'lapor' },
  { kind: 'text', text: '1' },
  { kind: 'text', text: 'kesehatan' },
  { kind: 'text', text: 'sleman' },
  { kind: 'text', text: 'Antrean puskesmas sangat panjang' },
  {
    kind: 'text',
    text: 'Antrean di puskesmas sejak jam tujuh pagi dan loket baru buka jam sembilan setiap hari.',
  },
  { kind: 'text', text: 'kemarin' },
  { kind: 'text', text: 'Puskesmas Depok 1, Sleman' },
  { kind: 'text', text: 'lewati' },
  { kind: 'text', text: 'tidak' },
  { kind: 'text', text: 'tidak' },
  { kind: 'text', text: 'kirim' },
];

/** The client settings of both sides of the turns figure (the production connection's). */
export const CLIENT_OPTIONS: RedisOptions = { maxRetriesPerRequest: 5 };

export interface TurnsOptions {
  redisUrl: string;
  catalog: FlowCatalog;
  seconds: number;
  concurrencies: number[];
}

export async function benchTurns(o: TurnsOptions): Promise<Figure[]> {
  const redis = withScripts(new Redis(o.redisUrl, CLIENT_OPTIONS));
  const keys = new Keys(`bench-turns-${Date.now()}`);
  const figures: Figure[] = [];
  try {
    // A session as big as a real one at the summary step, for the baseline's value.
    const ctx: TurnContext = { now: new Date(), newId: 'benchdraft', timeZone: 'Asia/Jakarta' };
    let atSummary: Session = newSession(new Date());
    for (const inbound of SCRIPT.slice(0, -1)) atSummary = turn(o.catalog, atSummary, inbound, ctx).session;
    const sessionJson = JSON.stringify(atSummary);

    const sessions = new SessionStore(redis, keys, { draftTtlSeconds: 86_400 });
    const channels = new ChannelRegistry().register({ name: 'bench', send: async () => undefined });
    let seq = 0;
    const chain = new InboundChain({
      catalog: () => o.catalog,
      sessions,
      tickets: new TicketStore(redis, keys),
      channels,
      submit: async () => undefined,
      logger: createLogger('silent'),
      now: () => new Date(),
      newId: () => `draft${seq++}`,
      timeZone: 'Asia/Jakarta',
      messagesPerMinute: 1_000_000,
    });
    let run = 0;
    const chainOp = (tag: string) => (loop: number, i: number) =>
      chain.handle({
        channel: 'bench',
        chatId: `${tag}${loop}`,
        messageId: `${run}-${i}`,
        inbound: SCRIPT[i % SCRIPT.length] as Inbound,
      });
    const baseOp = (tag: string) => async (loop: number) => {
      const key = keys.session(`bench:${tag}${loop}`);
      await redis.get(key);
      await redis.set(key, sessionJson, 'EX', 86_400);
    };

    // Warm up both paths (script loading, JIT) before measuring.
    await measure(0.7, 100, chainOp('warm'));
    await measure(0.7, 100, baseOp('basewarm'));

    for (const c of o.concurrencies) {
      const rounds = await alternate(
        ROUNDS,
        () => measure(o.seconds / 2, c, baseOp(`b${c}-`), redis),
        () => {
          run++;
          return measure(o.seconds / 2, c, chainOp(`c${c}-`), redis);
        },
        (m) => m.opsPerSecond,
      );
      // The round whose ratio is the median stands for the others in the detail line.
      const k = rounds.ratios.indexOf(rounds.ratio) >= 0 ? rounds.ratios.indexOf(rounds.ratio) : 0;
      const base = rounds.base[k] as Measurement;
      const mine = rounds.mine[k] as Measurement;
      figures.push({
        group: '1',
        name: `turns/s, ${c} concurrent`,
        value: median(rounds.mine.map((m) => m.opsPerSecond)),
        unit: '/s',
        baselineName: 'bare GET then SET',
        baselineValue: median(rounds.base.map((m) => m.opsPerSecond)),
        ratio: rounds.ratio,
        ...(c === 100 ? { target: { min: 0.7, text: '≥ 0.70' } } : {}),
        note: `${roundsText(rounds.ratios)}; median round: turn ${describe(mine)} | baseline ${describe(base)}`,
      });
    }

    // Flat cost: the engine alone at the first message vs. the twelfth ("kirim" at the summary).
    const fresh = newSession(new Date());
    const step1 = measureSync(o.seconds / 2, () => turn(o.catalog, fresh, SCRIPT[0] as Inbound, ctx));
    const step12 = measureSync(o.seconds / 2, () => turn(o.catalog, atSummary, SCRIPT[11] as Inbound, ctx));
    figures.push({
      group: '1',
      name: 'engine alone: step-12 turn cost',
      value: 1e6 / step12,
      unit: 'µs',
      baselineName: 'step-1 turn cost',
      baselineValue: 1e6 / step1,
      target: { max: 1.2, text: '≤ 1.20' },
    });

    // The same with Redis: one conversation at a time through the whole report, each message timed.
    const perStep = Array.from({ length: SCRIPT.length }, () => ({ n: 0, ms: 0 }));
    const deadline = performance.now() + o.seconds * 1000;
    for (let i = 0; performance.now() < deadline; i++) {
      const t0 = performance.now();
      await chain.handle({
        channel: 'bench',
        chatId: `seq${Math.floor(i / SCRIPT.length)}`,
        messageId: `s${i}`,
        inbound: SCRIPT[i % SCRIPT.length] as Inbound,
      });
      const cell = perStep[i % SCRIPT.length] as { n: number; ms: number };
      cell.n++;
      cell.ms += performance.now() - t0;
    }
    const us = (k: number) => ((perStep[k]?.ms ?? 0) / (perStep[k]?.n || 1)) * 1000;
    figures.push({
      group: '1',
      name: 'chain + Redis, 1 chat: step-12 turn',
      value: us(11),
      unit: 'µs',
      baselineName: 'step-1 turn',
      baselineValue: us(0),
      note: `mean µs per message 1…12: ${perStep.map((_, k) => us(k).toFixed(0)).join(' ')} (message 12 also carries the report: a bigger save, and the settle that takes it off the pending list in place of the plain delivery mark)`,
    });
  } finally {
    await redis.quit();
  }
  return figures;
}
