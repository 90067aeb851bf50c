import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/redis/embedded.ts';
import { Keys } from '../../src/redis/keys.ts';
import { withScripts } from '../../src/redis/scripts.ts';
import { TicketStore } from '../../src/tickets/ticket-store.ts';
import { cleanup } from '../support/aduan.ts';
import { type AduanProcess, spawnAduan } from '../support/aduan-process.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { answerInOrder, TRACKING_RE, WebChatClient } from '../support/web-client.ts';

const BEFORE_CRASH: [string, RegExp][] = [
  ['lapor', /Apa yang ingin/],
  ['pengaduan', /kategori/i],
  ['adminduk', /kabupaten\/kota/i],
  ['kota yogyakarta', /judul/i],
  ['Antrean KTP elektronik tidak jelas', /jelaskan/i],
];
const AFTER_CRASH: [string, RegExp][] = [
  ['Nomor antrean habis jam delapan pagi dan tidak ada pemberitahuan kapan blangko tersedia.', /kapan/i],
  ['kemarin', /lokasi/i],
  ['Kantor Disdukcapil Kota Yogyakarta', /foto|dokumen/i],
  ['lewati', /anonim/i],
  ['tidak', /rahasia/i],
  ['tidak', /periksa kembali/i],
];

/**
 * The whole service (`aduan start`, every role in one process) is SIGKILLed between two answers of
 * a citizen: no shutdown code runs. A new process on the same Redis must continue the conversation
 * from the same question, with the answers given so far, and the report must become one ticket.
 */
describe('the whole process killed with SIGKILL mid-conversation', () => {
  let redis: TestRedis;
  let dataDir: string;
  let running: AduanProcess | undefined;
  beforeAll(async () => {
    redis = await startTestRedis();
    dataDir = await mkdtemp(join(tmpdir(), 'aduan-crash-'));
  });
  afterAll(async () => {
    await running?.kill();
    await cleanup(dataDir);
    await redis?.stop();
  });

  it('lets the citizen carry on from the same step after a new process starts', async () => {
    const port = await findFreePort();
    const env = { REDIS_URL: redis.url, DATA_DIR: dataDir, PORT: String(port) };
    const url = `http://127.0.0.1:${port}`;
    running = await spawnAduan('all', env, /"msg":"started"/);
    const citizen = new WebChatClient(url);
    await citizen.connect();
    await answerInOrder(citizen, BEFORE_CRASH);
    citizen.close();
    await running.kill();
    expect(running.child.signalCode).toBe('SIGKILL');

    running = await spawnAduan('all', env, /"msg":"started"/);
    const back = new WebChatClient(url, citizen.chatId);
    await back.connect(citizen.last()?.id);
    // The very next answer is taken as the description: the question asked before the crash.
    await answerInOrder(back, AFTER_CRASH);
    const summary = back.last()?.text ?? '';
    expect(summary).toContain('Antrean KTP elektronik tidak jelas');
    expect(summary).toContain('Kantor Disdukcapil Kota Yogyakarta');
    const before = back.received.length;
    await back.press('Kirim laporan');
    const done = await back.waitFor((m) => back.received.indexOf(m) >= before && TRACKING_RE.test(m.text));
    const trackingId = TRACKING_RE.exec(done.text)?.[0] as string;
    back.close();

    const client = withScripts(new Redis(redis.url));
    try {
      const tickets = new TicketStore(client, new Keys('aduan'));
      expect(await tickets.count()).toBe(1);
      expect((await tickets.get(trackingId))?.ticket).toMatchObject({
        title: 'Antrean KTP elektronik tidak jelas',
        category: 'adminduk',
        region: 'kota-yogyakarta',
      });
    } finally {
      await client.quit();
    }
  }, 90_000);
});
