import { beforeAll, describe, expect, it } from 'vitest';
import { queuesSettled, type TestAduan } from '../support/aduan.ts';
import type { TestRedis } from '../support/redis.ts';
import { useTelegramTestApp } from '../support/telegram-app.ts';
import { telegramReportUpToSummary } from '../support/telegram-citizen.ts';
import type { BotMessage, TelegramEmulator } from '../support/telegram-emulator.ts';
import { fillReport, TRACKING_RE, WebChatClient } from '../support/web-client.ts';

const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('foto drainase tersumbat')]);

/**
 * redis-server SIGKILLed and restarted from its AOF (appendfsync always in tests) while the service
 * runs: the same Aduan process must reconnect by itself, `/readyz` must show the outage while it
 * lasts, and no confirmed report may be lost or doubled.
 */
describe('redis-server killed with SIGKILL and restarted from its AOF', () => {
  const env = useTelegramTestApp();
  let redis: TestRedis;
  let tg: TelegramEmulator;
  let app: TestAduan;
  beforeAll(() => {
    ({ redis, tg, app } = env);
  });

  const readyz = async () => (await fetch(`${app.url}/readyz`)).status;
  /** Kills redis-server, checks the outage is visible, restarts it, checks it is over. */
  async function outage(during?: () => Promise<void>): Promise<void> {
    await redis.kill();
    await expect.poll(readyz, { timeout: 15_000, interval: 100 }).toBe(503);
    await during?.();
    await redis.restart();
    await expect.poll(readyz, { timeout: 30_000, interval: 200 }).toBe(200);
  }

  it('during a conversation: refuses the message while Redis is down, takes it again after, draft intact', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    for (const [text, next] of [
      ['lapor', /Apa yang ingin/],
      ['pengaduan', /kategori/i],
      ['ketertiban umum', /kabupaten\/kota/i],
    ] as const) {
      const before = citizen.received.length;
      expect((await citizen.say(text)).status).toBe(202);
      await citizen.waitFor((m) => citizen.received.indexOf(m) >= before && next.test(m.text));
    }
    const messageId = 'answer-region-0001';
    await outage(async () => {
      // The page's post fails (5xx) instead of hanging or being acknowledged and lost.
      const refused = await citizen.post({ kind: 'text', text: 'sleman' }, messageId);
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(refused.body)).not.toContain('sleman');
    });
    // The page sends the same message again, with the same id: taken once, at the same question.
    const before = citizen.received.length;
    expect((await citizen.post({ kind: 'text', text: 'sleman' }, messageId)).status).toBe(202);
    // The event stream opened before the outage still delivers (it resubscribed by itself).
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= before && /judul/i.test(m.text));
    const { session } = await app.sessions.load(`web:${citizen.chatId}`, Date.now());
    expect(session?.answers).toMatchObject({
      type: { kind: 'choice', value: 'pengaduan' },
      category: { kind: 'choice', value: 'ketertiban_umum' },
      region: { kind: 'choice', value: 'sleman' },
    });
    expect(session?.stepId).toBe('title');
    citizen.close();
  }, 60_000);

  it('right after "Kirim": the acknowledged report survives and becomes one ticket', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await fillReport(citizen, 'Parkir liar di trotoar Malioboro');
    const ticketsBefore = await app.tickets.count();
    // 202 means the turn, its pending report included, is in Redis; the kill follows at once.
    expect((await citizen.press('Kirim laporan')).status).toBe(202);
    await outage();
    // The stream may have missed the confirmation during the outage: reconnect from the last id.
    const back = new WebChatClient(app.url as string, citizen.chatId);
    await back.connect(citizen.last()?.id);
    const seen = () => [...citizen.received, ...back.received].filter((m) => TRACKING_RE.test(m.text));
    await expect.poll(() => seen().length, { timeout: 60_000, interval: 200 }).toBeGreaterThan(0);
    await queuesSettled(app, 60_000);
    expect((await app.tickets.count()) - ticketsBefore).toBe(1);
    const ids = new Set(seen().map((m) => m.id));
    expect(ids.size).toBe(1);
    citizen.close();
    back.close();
  }, 120_000);

  it('in the middle of ticket creation (the worker waiting on a Telegram file): one ticket, one confirmation', async () => {
    const chat = 7101;
    const summary = await telegramReport(tg, chat);
    const ticketsBefore = await app.tickets.count();
    // Hold the worker's getFile for a while: the job is active, its ticket not yet written.
    tg.delayNext('getFile', 6_000);
    tg.pressButton(chat, summary.message_id, { text: 'Kirim laporan' });
    await expect.poll(() => tg.calls('getFile').length, { timeout: 20_000, interval: 20 }).toBe(1);
    expect(tg.calls('getFile')[0]?.response).toBeUndefined();
    await outage();
    const confirmation = await tg.waitForMessage(chat, TRACKING_RE, { timeoutMs: 90_000, after: 0 });
    await queuesSettled(app, 60_000);
    expect((await app.tickets.count()) - ticketsBefore).toBe(1);
    expect(tg.messages(chat).filter((m) => TRACKING_RE.test(m.text ?? ''))).toHaveLength(1);
    const trackingId = TRACKING_RE.exec(confirmation.text ?? '')?.[0] as string;
    expect((await app.tickets.get(trackingId))?.ticket.attachments).toHaveLength(1);
  }, 150_000);
});

/** A Telegram citizen's report with a photo, up to its summary. */
function telegramReport(tg: TelegramEmulator, chat: number): Promise<BotMessage> {
  return telegramReportUpToSummary(tg, chat, {
    category: 'jalan',
    region: 'gunungkidul',
    title: 'Saluran drainase tersumbat di Wonosari',
    body: 'Setiap hujan air meluap ke jalan karena saluran penuh lumpur dan sampah.',
    address: 'Jalan Baron, Wonosari',
    photo: PHOTO,
  });
}
