import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/redis/embedded.ts';
import { cleanup, startTestAduan, type TestAduan } from '../support/aduan.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { telegramCitizen } from '../support/telegram-citizen.ts';
import {
  type BotMessage,
  startTelegramEmulator,
  type TelegramEmulator,
} from '../support/telegram-emulator.ts';
import { completeReport, TRACKING_RE, WebChatClient } from '../support/web-client.ts';

const ADMIN = 'admin-token-logs-0123456789abc';
const TG_SECRET = 'tg-secret-logs-0123456789';
const PHONE = '081234567890';
const WEB_TITLE = 'Jalan amblas dekat SD Negeri Nologaten';
const WEB_BODY = `Jalan amblas sedalam setengah meter, hubungi saya di ${PHONE} untuk lokasi persisnya.`;
const TG_TITLE = 'Pungutan liar di terminal Giwangan';
const TG_BODY =
  'Kernet meminta uang tambahan lima ribu rupiah di luar tiket resmi, nomor saya +6281298765432.';
const TG_CHAT = 918_273_645;

/**
 * A full report on the web chat and on Telegram (webhook mode) with LOG_LEVEL=debug, an agency
 * reading and answering it with its key, and an admin call: no message text, phone number, chat
 * id, key or token may appear in any log line. (WhatsApp: whatsapp-e2e and cloud-e2e check the same.)
 */
describe('logs at debug level carry no text, phone number, chat id, key or token', () => {
  let redis: TestRedis;
  let tg: TelegramEmulator;
  let app: TestAduan;
  beforeAll(async () => {
    redis = await startTestRedis();
    tg = await startTelegramEmulator();
    const port = await findFreePort();
    app = await startTestAduan({
      redisUrl: redis.url,
      env: {
        LOG_LEVEL: 'debug',
        PORT: String(port),
        ADMIN_TOKEN: ADMIN,
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_API_ROOT: tg.apiRoot,
        TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
        TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await tg?.close();
    await cleanup(app?.dataDir);
    await redis?.stop();
  });

  it('after a web and a Telegram report, an agency reply and admin calls', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const webTicket = await completeReport(citizen, WEB_TITLE, WEB_BODY);

    const { say } = telegramCitizen(tg, TG_CHAT);
    await say('/lapor', /Apa yang ingin/);
    await say('pengaduan', /kategori/i);
    await say('transportasi', /kabupaten\/kota/i);
    await say('kota yogyakarta', /judul/i);
    await say(TG_TITLE, /jelaskan/i);
    await say(TG_BODY, /kapan/i);
    await say('kemarin', /lokasi/i);
    await say('Terminal Giwangan, Umbulharjo', /foto|dokumen/i);
    await say('lewati', /anonim/i);
    await say('tidak', /rahasia/i);
    const summary: BotMessage = await say('tidak', /periksa kembali/i);
    const after = tg.sentCount(TG_CHAT);
    tg.pressButton(TG_CHAT, summary.message_id, { text: 'Kirim laporan' });
    const done = await tg.waitForMessage(TG_CHAT, TRACKING_RE, { timeoutMs: 20_000, after });
    const tgTicket = TRACKING_RE.exec(done.text ?? '')?.[0] as string;

    // The agency works on both with its key; a wrong key is tried too.
    const keys: string[] = [];
    for (const id of [webTicket, tgTicket]) {
      const agencyId = (await app.tickets.get(id))?.ticket.agencyId as string;
      const { key } = await app.apiKeys.create(agencyId);
      keys.push(key);
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      expect((await fetch(`${app.url}/api/v1/tickets/${id}`, { headers })).status).toBe(200);
      const reply = await fetch(`${app.url}/api/v1/tickets/${id}/replies`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ message: 'Petugas kami menghubungi Bapak/Ibu besok pagi.' }),
      });
      expect(reply.status).toBe(201);
    }
    await citizen.waitFor(/Petugas kami menghubungi/);
    await tg.waitForMessage(TG_CHAT, /Petugas kami menghubungi/, { timeoutMs: 20_000 });
    expect(
      (await fetch(`${app.url}/api/v1/tickets`, { headers: { authorization: `Bearer ${keys[0]}x` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${app.url}/admin/api/keys`, { headers: { authorization: `Bearer ${ADMIN}` } })).status,
    ).toBe(200);
    // A message delivered twice is logged at debug level, with its chat hashed.
    for (let i = 0; i < 2; i++)
      await citizen.post({ kind: 'text', text: `status ${PHONE}` }, 'same-message-0001');
    citizen.close();

    const logs = app.logs.lines.join('\n');
    // Debug logging was on and the report was logged about: the check below is not vacuous.
    expect(app.logs.lines.some((l) => l.includes('"level":20') && l.includes('duplicate message'))).toBe(
      true,
    );
    expect(app.logs.lines.filter((l) => l.includes('report submitted'))).toHaveLength(2);
    const forbidden = [
      WEB_TITLE,
      WEB_BODY,
      TG_TITLE,
      TG_BODY,
      'Jalan amblas',
      'Kernet meminta',
      'Terminal Giwangan',
      'Petugas kami menghubungi',
      PHONE,
      '81234567890',
      '6281298765432',
      citizen.chatId,
      String(TG_CHAT),
      tg.token,
      tg.token.split(':')[1] as string,
      TG_SECRET,
      ADMIN,
      ...keys,
      ...keys.map((k) => k.slice(6, 20)),
    ];
    for (const secret of forbidden) expect(logs, `logs contain "${secret}"`).not.toContain(secret);
  }, 90_000);
});
