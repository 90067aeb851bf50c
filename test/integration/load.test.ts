import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { newWebChatId, type TestAduan, useTestApp } from '../support/aduan.ts';
import { TRACKING_RE } from '../support/web-client.ts';

const CITIZENS = 1_000;
/** Citizens talking at the same moment; the rest wait for a free slot (a bounded driver). */
const AT_ONCE = 100;

/** One pengaduan typed the way a citizen on a phone would, ending with "kirim" at the summary. */
const REPORT = (n: number) => [
  'lapor',
  '1',
  'kesehatan',
  ['sleman', 'bantul', 'gunungkidul', 'kulon progo', 'kota yogyakarta'][n % 5] as string,
  `Antrean puskesmas nomor ${n} sangat panjang`,
  `Laporan uji beban nomor ${n}: antrean di puskesmas sejak jam tujuh pagi, loket baru buka jam sembilan.`,
  'kemarin',
  `Puskesmas nomor ${n}`,
  'lewati',
  'tidak',
  'tidak',
  'kirim',
];

/**
 * 1,000 citizens complete a report at the same time through the web chat's HTTP interface (the
 * page's own protocol: one POST per message; a 202 means the turn is saved and answered). Every
 * report must become exactly one ticket, and every chat must get exactly one tracking number.
 * Turn latency is printed for the record, never asserted: CI machines differ.
 */
describe('1,000 citizens reporting at once over the web chat', () => {
  const env = useTestApp({
    env: { WEB_REQUESTS_PER_MINUTE_PER_IP: '1000000', CHAT_MESSAGES_PER_MINUTE: '1000' },
  });
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('gives 1,000 tickets, none lost, none doubled, one tracking number per chat', async () => {
    const latencies: number[] = [];
    const refused: string[] = [];
    const chats = Array.from({ length: CITIZENS }, () => newWebChatId());

    const citizen = async (n: number) => {
      const chatId = chats[n] as string;
      for (const text of REPORT(n)) {
        const started = performance.now();
        const res = await fetch(`${app.url}/chat/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chatId, messageId: randomUUID(), inbound: { kind: 'text', text } }),
        });
        latencies.push(performance.now() - started);
        if (res.status !== 202) refused.push(`${n} "${text}": ${res.status} ${await res.text()}`);
        else await res.body?.cancel();
      }
    };
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        while (next < CITIZENS) await citizen(next++);
      }),
    );
    const talking = performance.now() - started;
    expect(refused).toEqual([]);

    await expect.poll(() => app.tickets.count(), { timeout: 90_000, interval: 500 }).toBe(CITIZENS);
    await expect
      .poll(
        async () => [
          await app.queues.tickets.getJobCounts('waiting', 'active', 'delayed', 'failed'),
          await app.queues.notifications.getJobCounts('waiting', 'active', 'delayed', 'failed'),
        ],
        { timeout: 60_000, interval: 500 },
      )
      .toEqual([
        { waiting: 0, active: 0, delayed: 0, failed: 0 },
        { waiting: 0, active: 0, delayed: 0, failed: 0 },
      ]);
    const total = performance.now() - started;
    expect(await app.tickets.count()).toBe(CITIZENS);

    // Every chat's stream (what its page shows) holds exactly one tracking number, and they differ.
    const numbers = new Set<string>();
    for (const chatId of chats) {
      const rows = await app.redis.xrange(app.keys.webOutbox(chatId), '-', '+');
      const found = rows.flatMap(([, fields]) => {
        const m = TRACKING_RE.exec(fields[1] ?? '');
        return m ? [m[0]] : [];
      });
      expect(found).toHaveLength(1);
      numbers.add(found[0] as string);
    }
    expect(numbers.size).toBe(CITIZENS);
    // Every report's title made it, once.
    const titles = new Set<string>();
    for (const id of numbers) titles.add((await app.tickets.get(id))?.ticket.title ?? '');
    expect(titles.size).toBe(CITIZENS);

    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    console.log(
      `load: ${CITIZENS} citizens, ${latencies.length} turns (${AT_ONCE} at a time) in ${(talking / 1000).toFixed(1)} s; ` +
        `turn latency p50 ${at(0.5)?.toFixed(1)} ms, p99 ${at(0.99)?.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms; ` +
        `all ${CITIZENS} tickets and confirmations after ${(total / 1000).toFixed(1)} s`,
    );
  }, 240_000);
});
