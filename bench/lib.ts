/**
 * What every benchmark shares: timed loops with latency percentiles and CPU accounting (this
 * process and the redis-server, so a figure says which side was busy), and the one table.
 */
import type { Redis } from 'ioredis';

/** One line of the table: a figure beside its same-run baseline. */
export interface Figure {
  group: string;
  name: string;
  value: number;
  unit: string;
  baselineName: string;
  baselineValue: number;
  /** What the ratio must reach (value ÷ baseline ≥ min, or ≤ max), or the value itself (≤ absMax). */
  target?: { min?: number; max?: number; absMax?: number; text: string };
  /**
   * The median of the ratios of alternating rounds (see `alternate`), when the figure was measured
   * that way; otherwise the ratio is value ÷ baseline.
   */
  ratio?: number;
  /** Extra detail (latency, CPU per operation), printed under the table. */
  note?: string;
}

/** A timed run: rate, latency percentiles, CPU per operation. */
export interface Measurement {
  opsPerSecond: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
  /** This process's CPU time per operation, µs. */
  nodeCpuUs: number;
  /** redis-server CPU time per operation, µs (null when no connection was given). */
  redisCpuUs: number | null;
}

/** `used_cpu_user + used_cpu_sys` of the server, in µs. */
export async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/**
 * Runs `op` from `concurrency` loops for `seconds` (loop `l` works on its own conversation),
 * recording each operation's latency. `redis` (any connection to the server) adds its CPU.
 */
export async function measure(
  seconds: number,
  concurrency: number,
  op: (loop: number, i: number) => Promise<unknown>,
  redis?: Redis,
): Promise<Measurement> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const redisBefore = redis ? await redisCpu(redis) : 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; ; i++) {
        const t0 = performance.now();
        if (t0 >= deadline) return;
        await op(loop, i);
        if (count === latencies.length) {
          const bigger = new Float64Array(latencies.length * 2);
          bigger.set(latencies);
          latencies = bigger;
        }
        latencies[count++] = performance.now() - t0;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisAfter = redis ? await redisCpu(redis) : 0;
  const sorted = latencies.subarray(0, count).sort();
  return {
    opsPerSecond: count / elapsed,
    count,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    nodeCpuUs: (cpu.user + cpu.system) / count,
    redisCpuUs: redis ? (redisAfter - redisBefore) / count : null,
  };
}

/** A synchronous loop (the pure engine): operations per second. */
export function measureSync(seconds: number, op: (i: number) => void): number {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let i = 0;
  while (performance.now() < deadline) for (let j = 0; j < 200; j++) op(i++);
  return i / ((performance.now() - start) / 1000);
}

/** "p50 0.41 ms, p99 1.9 ms; CPU/op node 21 µs, redis 9 µs" */
export function describe(m: Measurement): string {
  const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
  const cpu = `node ${m.nodeCpuUs.toFixed(1)} µs${m.redisCpuUs === null ? '' : `, redis ${m.redisCpuUs.toFixed(1)} µs`}`;
  return `p50 ${ms(m.p50Ms)} ms, p99 ${ms(m.p99Ms)} ms; CPU per op: ${cpu}`;
}

export function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** The figure's ratio: the median of its rounds' ratios when it has them, else value ÷ baseline. */
export function ratioOf(f: Figure): number {
  return f.ratio ?? f.value / f.baselineValue;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Baseline and figure measured round by round, alternately. */
export interface Alternated<T> {
  base: T[];
  mine: T[];
  /** mine ÷ base of each round. */
  ratios: number[];
  /** The median of `ratios`. */
  ratio: number;
}

/**
 * Measures the baseline and the figure alternately, `rounds` times each (baseline first), so that
 * load from elsewhere on a shared machine, which comes and goes over seconds, falls on both sides
 * alike; each round's ratio compares two runs a few seconds apart, and the median of the ratios
 * discards a round that a burst of outside load spoiled.
 */
export async function alternate<T>(
  rounds: number,
  runBase: () => Promise<T>,
  runMine: () => Promise<T>,
  rate: (m: T) => number,
): Promise<Alternated<T>> {
  const out: Alternated<T> = { base: [], mine: [], ratios: [], ratio: 0 };
  for (let r = 0; r < rounds; r++) {
    const b = await runBase();
    const m = await runMine();
    out.base.push(b);
    out.mine.push(m);
    out.ratios.push(rate(m) / rate(b));
  }
  out.ratio = median(out.ratios);
  return out;
}

/** "0.41 0.44 0.39" */
export function roundsText(ratios: readonly number[]): string {
  return `ratios of the rounds ${ratios.map((r) => r.toFixed(2)).join(' ')}`;
}

/** Whether a figure meets its target; null when it has none. */
export function targetMet(f: Figure): boolean | null {
  if (!f.target) return null;
  const ratio = ratioOf(f);
  if (f.target.min !== undefined && ratio < f.target.min) return false;
  if (f.target.max !== undefined && ratio > f.target.max) return false;
  if (f.target.absMax !== undefined && f.value > f.target.absMax) return false;
  return true;
}

/** The one table, then the notes. */
export function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => {
    const met = targetMet(f);
    return [
      f.group,
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.baselineName,
      `${fmt(f.baselineValue)} ${f.unit}`,
      ratioOf(f).toFixed(2),
      f.target ? `${f.target.text} ${met ? 'MET' : 'MISSED'}` : '',
    ];
  });
  const head = ['#', 'figure', 'value', 'baseline (same run)', 'baseline', 'ratio', 'target'];
  const right = new Set([2, 4, 5]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log(
    "\nratio = value ÷ baseline; where the two were measured in alternating rounds, the median of the rounds' ratios (value and baseline are then the medians of the rounds). Details:",
  );
  for (const f of figures) if (f.note) console.log(`  ${f.group} ${f.name}: ${f.note}`);
}

/** Calls and server time per command name (`INFO commandstats`), to count what an operation costs. */
export async function commandStats(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m) stats.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

/**
 * "56.0 commands (4.0 scripts), 130 µs in redis per op" between two `commandStats` readings; the
 * server counts the commands a script runs as well as the script call itself.
 */
export function describeCommands(
  before: Map<string, { calls: number; usec: number }>,
  after: Map<string, { calls: number; usec: number }>,
  ops: number,
): string {
  let calls = 0;
  let usec = 0;
  let scripts = 0;
  for (const [name, a] of after) {
    if (name === 'info') continue;
    const b = before.get(name) ?? { calls: 0, usec: 0 };
    calls += a.calls - b.calls;
    usec += a.usec - b.usec;
    if (name === 'evalsha' || name === 'eval') scripts += a.calls - b.calls;
  }
  return `${(calls / ops).toFixed(1)} commands (${(scripts / ops).toFixed(1)} scripts), ${(usec / ops).toFixed(0)} µs in redis per op`;
}
