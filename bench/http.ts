/**
 * HTTP: `GET /api/v1/tickets/{trackingId}` on the production service started with `--role api`
 * (startAduan: helmet, the agency API's key check and rate limit, ticket and history from Redis,
 * the agency view) against a bare express handler that returns the same JSON from memory. autocannon runs in a child process, so the load
 * generator does not share the server's event loop; both servers listen on 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import express, { type Express } from 'express';
import { loadConfig } from '../src/config/config.ts';
import type { FlowCatalog } from '../src/engine/engine.ts';
import { createLogger } from '../src/log/logger.ts';
import { startAduan } from '../src/main.ts';
import type { TicketJob } from '../src/queue/queues.ts';
import { alternate, type Figure, median, roundsText } from './lib.ts';

/** Alternating rounds (bare express, then Aduan), each half of the figure's seconds. */
const ROUNDS = 3;

import { sampleSubmission } from './tickets.ts';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((ok, fail) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
    s.once('error', fail);
  });
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

interface Cannon {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

async function autocannon(
  url: string,
  seconds: number,
  connections: number,
  headers: string[],
): Promise<Cannon> {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-d', String(seconds)];
  for (const h of headers) args.push('-H', h);
  args.push(url);
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Cannon;
}

export interface HttpOptions {
  redisUrl: string;
  catalog: FlowCatalog;
  flowsDir: string;
  /** For the service's files (it writes none here). */
  dataDir: string;
  seconds: number;
  connections: number;
}

export async function benchHttp(o: HttpOptions): Promise<Figure[]> {
  // The agency API exactly as `aduan start --role api` serves it (helmet, key check, per-key rate
  // limit — raised here so the load generator's one key is not refused — and the agency view).
  const aduan = await startAduan(
    loadConfig({
      REDIS_URL: o.redisUrl,
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: o.dataDir,
      FLOWS_DIR: o.flowsDir,
      FLOWS_WATCH: 'false',
      LOG_LEVEL: 'silent',
      API_REQUESTS_PER_MINUTE_PER_KEY: '1000000',
    }),
    { role: 'api', logger: createLogger('silent'), keyPrefix: `bench-http-${Date.now()}` },
  );
  let bareServer: Server | undefined;
  try {
    const submission = { ...sampleSubmission(o.catalog), submissionId: `sub_benchhttp${Date.now()}` };
    const { ticket } = await aduan.service.createFromJob({
      submission,
      reporter: { channel: 'telegram', chatId: '6000000001', lang: 'id' },
    } as TicketJob);
    const { key } = await aduan.apiKeys.create(ticket.agencyId);
    const path = `/api/v1/tickets/${ticket.trackingId}`;
    const check = await fetch(`${aduan.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    if (check.status !== 200)
      throw new Error(`the agency API answered ${check.status}: ${await check.text()}`);
    const body = await check.text();

    // The baseline: bare express returning the very same JSON from memory.
    const bareApp = express();
    bareApp.get('/api/v1/tickets/:trackingId', (_req, res) => {
      res.type('application/json').send(body);
    });
    const bare = await listen(bareApp);
    bareServer = bare.server;

    const auth = [`authorization=Bearer ${key}`];
    await autocannon(`${aduan.url}${path}`, 1, o.connections, auth); // warm-up
    await autocannon(`${bare.url}${path}`, 1, o.connections, auth);
    const rounds = await alternate(
      ROUNDS,
      () => autocannon(`${bare.url}${path}`, o.seconds / 2, o.connections, auth),
      () => autocannon(`${aduan.url}${path}`, o.seconds / 2, o.connections, auth),
      (c) => c.requests.average,
    );
    // A refusal (a limit, an error) is cheaper than an answer: counted in, it would flatter the figure.
    const refused = [...rounds.mine, ...rounds.base].reduce((n, c) => n + c.non2xx + c.errors, 0);
    if (refused > 0)
      throw new Error(
        `${refused} requests were refused or failed during the HTTP figure; it would not be a measure of answers`,
      );
    const k = rounds.ratios.indexOf(rounds.ratio);
    const m = rounds.mine[k] as Cannon;
    const b = rounds.base[k] as Cannon;
    const sum = (cs: Cannon[], f: (c: Cannon) => number) => cs.reduce((n, c) => n + f(c), 0);
    return [
      {
        group: '5',
        name: `GET /api/v1/tickets/{id}, ${o.connections} connections`,
        value: median(rounds.mine.map((c) => c.requests.average)),
        unit: 'req/s',
        baselineName: 'bare express, same JSON',
        baselineValue: median(rounds.base.map((c) => c.requests.average)),
        ratio: rounds.ratio,
        target: { min: 0.5, text: '≥ 0.50' },
        note: `${roundsText(rounds.ratios)}; median round: latency p50 ${m.latency.p50} ms, p99 ${m.latency.p99} ms (bare: ${b.latency.p50} ms, ${b.latency.p99} ms); non-2xx ${sum(rounds.mine, (c) => c.non2xx)}/${sum(rounds.base, (c) => c.non2xx)}, errors ${sum(rounds.mine, (c) => c.errors)}/${sum(rounds.base, (c) => c.errors)}; ${body.length} B of JSON`,
      },
    ];
  } finally {
    if (bareServer) await new Promise((ok) => bareServer?.close(ok));
    await aduan.stop();
  }
}
