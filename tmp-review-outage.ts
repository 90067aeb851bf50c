// Throwaway review experiment: Redis outages mid-turn and a lost reply after a dropped connection.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from './src/config/config.ts';
import { createLogger } from './src/log/logger.ts';
import { startAduan } from './src/main.ts';
import { findFreePort } from './src/redis/embedded.ts';
import { startTestRedis } from './test/support/redis.ts';
import { fillReport, TRACKING_RE, WebChatClient } from './test/support/web-client.ts';

const which = process.argv[3] ?? 'all';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A TCP proxy in front of redis that can (a) drop the reply to the next session-save EVALSHA,
// (b) black-hole connections named aduan-bull.
const redis = await startTestRedis();
const proxyPort = await findFreePort();
let armDropSaveReply = false;
let bullDown = false;
const bullSockets = new Set<net.Socket>();
const proxy = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: redis.port });
  let dropNextReply = false;
  let isBull = false;
  client.on('data', (chunk) => {
    const s = chunk.toString('latin1');
    if (process.env.DBG && /EVAL/i.test(s)) console.log('  [dbg]', JSON.stringify(s.slice(0, 120)));
    if (s.includes('aduan-bull')) {
      isBull = true;
      bullSockets.add(client);
    }
    if (isBull && bullDown) return; // swallow
    if (armDropSaveReply && /eval/i.test(s) && s.includes(':session:')) {
      armDropSaveReply = false;
      dropNextReply = true;
      console.log('  [proxy] forwarding session-save, will drop its reply and cut the connection');
    }
    upstream.write(chunk);
  });
  upstream.on('data', (chunk) => {
    if (dropNextReply) {
      dropNextReply = false;
      client.destroy();
      upstream.destroy();
      return;
    }
    if (isBull && bullDown) return;
    client.write(chunk);
  });
  const end = () => {
    client.destroy();
    upstream.destroy();
    bullSockets.delete(client);
  };
  client.on('error', end);
  upstream.on('error', end);
  client.on('close', end);
  upstream.on('close', end);
});
await new Promise<void>((ok) => proxy.listen(proxyPort, '127.0.0.1', ok));

const dataDir = await mkdtemp(join(tmpdir(), 'aduan-review-'));
const logs: string[] = [];
const sink = new Writable({
  write(c, _e, d) {
    logs.push(...c.toString().split('\n').filter(Boolean));
    d();
  },
});
const config = loadConfig({
  REDIS_URL: process.env.DIRECT ? redis.url : `redis://127.0.0.1:${proxyPort}`,
  DATA_DIR: dataDir,
  PORT: '0',
  LOG_LEVEL: 'debug',
  CHAT_MESSAGES_PER_MINUTE: '1000',
});
const app = await startAduan(config, {
  logger: createLogger('debug', sink),
  keyPrefix: `r${randomBytes(3).toString('hex')}`,
});
const url = app.url as string;

async function timed<T>(label: string, p: Promise<T>, limitMs: number) {
  const t0 = Date.now();
  const r = await Promise.race([
    p.then((v) => ({ v })).catch((e: Error) => ({ e: e.message })),
    sleep(limitMs).then(() => ({ pending: true })),
  ]);
  console.log(`  ${label}: after ${Date.now() - t0} ms ->`, JSON.stringify(r));
  return r;
}

if (which === 'all' || which === 'outage5') {
  console.log('E1: redis killed for 5 s, citizen presses "Kirim laporan" meanwhile');
  const c = new WebChatClient(url);
  await c.connect();
  await fillReport(c, 'Outage five seconds test');
  const before = await app.tickets.count();
  await redis.kill();
  setTimeout(() => void redis.restart(), 5000);
  await timed('POST Kirim', c.press('Kirim laporan'), 60_000);
  await c.waitFor(TRACKING_RE, 30_000).then(
    (m) => console.log('  tracking arrived:', TRACKING_RE.exec(m.text)?.[0]),
    () => console.log('  NO tracking number arrived'),
  );
  console.log('  tickets created:', (await app.tickets.count()) - before);
  c.close();
}

if (which === 'all' || which === 'outage25') {
  console.log('E2: redis killed for 25 s, citizen answers a question meanwhile');
  const c = new WebChatClient(url);
  await c.connect();
  await c.say('lapor');
  await c.waitFor(/Apa yang ingin/);
  await redis.kill();
  setTimeout(() => void redis.restart(), Number(process.env.OUT ?? 25_000));
  const t0 = Date.now();
  setTimeout(async () => {
    const ready = await fetch(`${url}/readyz`).then(async (r) => `${r.status} ${await r.text()}`);
    console.log('  readyz during outage:', ready, `(t=${Date.now() - t0} ms)`);
  }, 3000);
  await timed('POST answer', c.say('1'), 60_000);
  await c.waitFor(/kategori/i, 30_000).then(
    () => console.log('  next question arrived'),
    () => console.log('  next question never arrived'),
  );
  await sleep(1000);
  c.close();
}

if (which === 'all' || which === 'bullhang') {
  console.log('E3: the BullMQ connection is unreachable (redis connection fine), citizen presses "Kirim"');
  const c = new WebChatClient(url);
  await c.connect();
  await fillReport(c, 'Bull connection hang test');
  bullDown = true;
  for (const s of bullSockets) s.destroy();
  await timed('POST Kirim', c.press('Kirim laporan'), 20_000);
  bullDown = false;
  await sleep(3000);
  c.close();
}

if (which === 'all' || which === 'dropreply') {
  console.log('E4: the reply to the session save is lost (connection cut after Redis executed it)');
  const c = new WebChatClient(url);
  await c.connect();
  await c.say('lapor');
  await c.waitFor(/Apa yang ingin/);
  const n = c.received.length;
  armDropSaveReply = true;
  await timed('POST "1" (pengaduan)', c.say('1'), 30_000);
  await sleep(2000);
  const after = c.received.slice(n).map((m) => m.text.slice(0, 60));
  console.log('  bot messages after the answer:', JSON.stringify(after));
  const { session } = await app.sessions.load(`web:${c.chatId}`, Date.now());
  console.log('  stored step now:', session?.stepId, 'answers:', Object.keys(session?.answers ?? {}));
  c.close();
}

const stopT0 = Date.now();
await timed('app.stop()', app.stop(), 30_000);
proxy.close();
await redis.stop();
await rm(dataDir, { recursive: true, force: true });
console.log(
  'log lines mentioning errors:',
  logs
    .filter((l) => /"level":(40|50)/.test(l))
    .slice(0, 5)
    .map((l) => l.slice(0, 200)),
);
console.log('done in', Date.now() - stopT0, 'ms');
process.exit(0);
