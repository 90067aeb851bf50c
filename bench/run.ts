/**
 * `npm run bench`: every Aduan benchmark, each figure beside a baseline measured in the same run on
 * the same redis-server (started here, as the service starts its own), printed as one table with
 * the ratio and whether the target is met. See bench/RESULTS.md for a recorded run.
 *
 *   1. turns/s through the inbound chain vs. a bare GET then SET (turns.ts)
 *   2. Aduan's Telegram adapter vs. @grammyjs/conversations, both through bot.handleUpdate (peer.ts)
 *   3. tickets/s end to end vs. bare BullMQ (tickets.ts)
 *   4. Redis memory per conversation and per ticket (memory.ts)
 *   5. GET /api/v1/tickets/{id} vs. a bare express handler, with autocannon (http.ts)
 *
 * BENCH_SECONDS (default 3) sets the length of each timed figure; BENCH_ONLY=turns,peer,… runs a subset.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { FlowCatalog } from '../src/engine/engine.ts';
import { loadFlowSet } from '../src/flows/loader.ts';
import { startEmbeddedRedis } from '../src/redis/embedded.ts';
import { benchHttp } from './http.ts';
import { type Figure, printTable } from './lib.ts';
import { benchMemory } from './memory.ts';
import { benchPeer } from './peer.ts';
import { benchTickets } from './tickets.ts';
import { benchTurns } from './turns.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'turns,peer,tickets,memory,http').split(','));

async function main(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'aduan-bench-'));
  const server = await startEmbeddedRedis({ dataDir: dir });
  const flows = await loadFlowSet(join(import.meta.dirname, '../flows'));
  const catalog: FlowCatalog = { flows: flows.flows };
  const figures: Figure[] = [];
  const admin = new Redis(server.url);
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  try {
    if (ONLY.has('turns'))
      figures.push(
        ...(await benchTurns({
          redisUrl: server.url,
          catalog,
          seconds: SECONDS,
          concurrencies: [1, 100, 1000],
        })),
      );
    if (ONLY.has('peer'))
      figures.push(...(await benchPeer({ redisUrl: server.url, catalog, seconds: SECONDS, chats: 100 })));
    if (ONLY.has('tickets'))
      figures.push(
        ...(await benchTickets({
          redisUrl: server.url,
          catalog,
          routing: flows.routing,
          concurrencies: [1, 4, 16],
          jobs: Number(process.env.BENCH_TICKET_JOBS ?? 15000),
        })),
      );
    if (ONLY.has('memory'))
      figures.push(
        ...(await benchMemory({
          redisUrl: server.url,
          catalog,
          routing: flows.routing,
          counts: [10_000, 100_000],
          tickets: 10_000,
        })),
      );
    if (ONLY.has('http'))
      figures.push(
        ...(await benchHttp({
          redisUrl: server.url,
          catalog,
          flowsDir: join(import.meta.dirname, '../flows'),
          dataDir: dir,
          seconds: SECONDS + 1,
          connections: 50,
        })),
      );
  } finally {
    await admin.quit();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const cpu = cpus()[0]?.model ?? '?';
  console.log(
    `\nAduan benchmarks — ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, redis ${redisVersion}; ${SECONDS} s per timed figure; ${((performance.now() - started) / 1000).toFixed(0)} s in all\n`,
  );
  printTable(figures);
}

await main();
