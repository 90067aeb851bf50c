/**
 * `npm run bench`: Aduan's figures, each beside a baseline measured in the same run on the same
 * redis-server, printed as one table. No thresholds: read the ratios.
 *
 *   1. engine turn + Redis session (the inbound chain: dedupe, rate, load, turn, save)
 *      vs. a bare Redis GET then SET of a session-sized value — the two round trips a turn cannot avoid.
 *   2. the engine alone (no I/O), at the first step vs. at the summary — a flat cost per turn.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ChannelRegistry } from '../src/channels/channel.ts';
import { type FlowCatalog, newSession, turn } from '../src/engine/engine.ts';
import type { Inbound, Session, TurnContext } from '../src/engine/types.ts';
import { loadFlowSet } from '../src/flows/loader.ts';
import { InboundChain } from '../src/inbound/inbound-chain.ts';
import { createLogger } from '../src/log/logger.ts';
import { startEmbeddedRedis } from '../src/redis/embedded.ts';
import { Keys } from '../src/redis/keys.ts';
import { withScripts } from '../src/redis/scripts.ts';
import { SessionStore } from '../src/sessions/session-store.ts';
import { TicketStore } from '../src/tickets/ticket-store.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

/** One complete pengaduan as a citizen types it; chats loop over it. */
const SCRIPT: Inbound[] = [
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

interface Figure {
  name: string;
  opsPerSecond: number;
  baselineName: string;
  baselineOpsPerSecond: number;
}

/** Runs `op` from `concurrency` loops for `seconds`; returns operations per second. */
async function measure(
  seconds: number,
  concurrency: number,
  op: (loop: number, i: number) => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await op(loop, i);
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** Synchronous loop for the pure engine. */
function measureSync(seconds: number, op: (i: number) => void): number {
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let i = 0;
  while (performance.now() < deadline) {
    for (let j = 0; j < 200; j++) op(i++);
  }
  return i / ((performance.now() - start) / 1000);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'aduan-bench-'));
  const redisServer = await startEmbeddedRedis({ dataDir: dir });
  const redis = withScripts(new Redis(redisServer.url, { enableAutoPipelining: process.env.AP === '1' }));
  const keys = new Keys(`bench${Date.now()}`);
  const flows = await loadFlowSet(join(import.meta.dirname, '../flows'));
  const catalog: FlowCatalog = { flows: flows.flows };
  const figures: Figure[] = [];
  try {
    // A session as big as a real one at the summary step, for the baseline's value.
    let session: Session = newSession(new Date());
    const ctx: TurnContext = { now: new Date(), newId: 'benchdraft', timeZone: 'Asia/Jakarta' };
    for (const inbound of SCRIPT.slice(0, -1)) session = turn(catalog, session, inbound, ctx).session;
    const sessionJson = JSON.stringify(session);

    const sessions = new SessionStore(redis, keys, { draftTtlSeconds: 86_400 });
    const channels = new ChannelRegistry().register({ name: 'bench', send: async () => undefined });
    let seq = 0;
    const chain = new InboundChain({
      catalog: () => catalog,
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

    // Warm up both paths (script loading, JIT) before measuring.
    await measure(0.5, CONCURRENCY, async (loop, i) => {
      await chain.handle({
        channel: 'bench',
        chatId: `warm${loop}`,
        messageId: `w${loop}-${i}`,
        inbound: SCRIPT[i % SCRIPT.length] as Inbound,
      });
    });
    await measure(0.5, CONCURRENCY, async (loop) => {
      await redis.get(keys.session(`bench:basewarm${loop}`));
      await redis.set(keys.session(`bench:basewarm${loop}`), sessionJson);
    });

    const only = process.env.BENCH_ONLY;
    const baseline =
      only === 'chain'
        ? 1
        : await measure(SECONDS, CONCURRENCY, async (loop) => {
            const key = keys.session(`bench:base${loop}`);
            await redis.get(key);
            await redis.set(key, sessionJson, 'EX', 86_400);
          });
    const chainRate = await measure(SECONDS, CONCURRENCY, async (loop, i) => {
      await chain.handle({
        channel: 'bench',
        chatId: `c${loop}`,
        messageId: `m${loop}-${i}`,
        inbound: SCRIPT[i % SCRIPT.length] as Inbound,
      });
    });
    figures.push({
      name: `engine turn + Redis session (${CONCURRENCY} chats)`,
      opsPerSecond: chainRate,
      baselineName: 'bare Redis GET then SET, session-sized',
      baselineOpsPerSecond: baseline,
    });

    if (process.env.BENCH_STATS)
      console.log(
        (await redis.info('commandstats'))
          .split('\n')
          .filter((l) => /get|set|evalsha|hmget|hset|zadd|expire|incr|exists/.test(l))
          .join('\n'),
      );
    if (only === 'chain') return;
    // Flat cost: a turn at the first question vs. a turn at the summary (step 11).
    const atStart = turn(catalog, newSession(new Date()), SCRIPT[0] as Inbound, ctx).session;
    const early = measureSync(SECONDS / 2, () => turn(catalog, atStart, { kind: 'text', text: '1' }, ctx));
    const late = measureSync(SECONDS / 2, () => turn(catalog, session, { kind: 'text', text: 'ubah' }, ctx));
    figures.push({
      name: 'engine alone, turn at the summary (step 11)',
      opsPerSecond: late,
      baselineName: 'engine alone, turn at step 1',
      baselineOpsPerSecond: early,
    });
  } finally {
    await redis.quit();
    await redisServer.stop();
    await rm(dir, { recursive: true, force: true });
  }

  const rows = figures.map((f) => [
    f.name,
    fmt(f.opsPerSecond),
    f.baselineName,
    fmt(f.baselineOpsPerSecond),
    (f.opsPerSecond / f.baselineOpsPerSecond).toFixed(2),
  ]);
  const head = ['benchmark', 'ops/s', 'baseline (same run)', 'baseline ops/s', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ');
  console.log(
    `\nAduan benchmarks — node ${process.version}, ${SECONDS}s per figure, ${CONCURRENCY} concurrent loops\n`,
  );
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log('\nratio = ops/s ÷ baseline ops/s (1.00 = as fast as the baseline).');
}

await main();
