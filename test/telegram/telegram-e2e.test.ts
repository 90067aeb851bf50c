import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/redis/embedded.ts';
import { cleanup, startTestAduan, type TestAduan } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { useTelegramTestApp } from '../support/telegram-app.ts';
import { telegramCitizen } from '../support/telegram-citizen.ts';
import {
  type BotMessage,
  startTelegramEmulator,
  type TelegramEmulator,
} from '../support/telegram-emulator.ts';

const TRACKING = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/;
/** A small real JPEG header and some bytes: what the worker must download and keep. */
const PHOTO = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('foto jalan berlubang di Sleman'),
]);

/** Waits for the bot's next message in a chat after `count` messages, matching `match`. */
function next(
  tg: TelegramEmulator,
  chat: number,
  match: RegExp | ((m: BotMessage) => boolean),
): Promise<BotMessage> {
  return tg.waitForMessage(chat, match, { timeoutMs: 20_000, after: 0 });
}

describe('Telegram, long polling, against a Bot API emulator', () => {
  const env = useTelegramTestApp();
  let tg: TelegramEmulator;
  let app: TestAduan;
  beforeAll(() => {
    ({ tg, app } = env);
  });

  /** Sends a text, or presses a button, and waits for the bot's answer after it. */
  const say = (chat: number, text: string, next: RegExp) => telegramCitizen(tg, chat).say(text, next);
  const press = (chat: number, on: BotMessage, label: string, next: RegExp) =>
    telegramCitizen(tg, chat).press(on, label, next);

  it('registers its commands in Indonesian and English at start-up', () => {
    expect(tg.commands('id').map((c) => c.command)).toEqual([
      'lapor',
      'status',
      'batal',
      'bantuan',
      'bahasa',
      'hapus',
    ]);
    expect(tg.commands('en').find((c) => c.command === 'lapor')?.description).toBe('Submit a new report');
    expect(tg.commands('en').map((c) => c.command)).toContain('delete');
  });

  it('takes a whole report: buttons, a typed choice, a shared location and a photo that the ticket keeps', async () => {
    const chat = 5001;
    const after0 = tg.sentCount(chat);
    tg.sendCommand(chat, '/start', 'lapor');
    const type = await tg.waitForMessage(chat, /Apa yang ingin/, { timeoutMs: 20_000, after: after0 });
    const category = await press(chat, type, 'Pengaduan', /kategori/i);
    // The pressed keyboard is gone: an old button cannot answer a later question.
    await expect
      .poll(() => tg.messages(chat).find((m) => m.message_id === type.message_id)?.reply_markup)
      .toBeUndefined();
    expect(tg.calls('answerCallbackQuery').length).toBeGreaterThan(0);
    await press(chat, category, 'Jalan dan Infrastruktur', /kabupaten\/kota/i);
    // A typed answer to a choice works as well as the button.
    await say(chat, 'sleman', /judul/i);
    await say(chat, 'Jalan berlubang di Jalan Magelang km 10', /jelaskan/i);
    await say(
      chat,
      'Lubang besar di lajur kiri sudah dua minggu, sudah ada pengendara motor yang jatuh.',
      /kapan/i,
    );
    await say(chat, 'kemarin', /lokasi/i);
    expect(
      tg
        .replyKeyboard(chat)
        ?.keyboard.flat()
        .some((b) => typeof b === 'object' && 'request_location' in b && b.request_location),
    ).toBe(true);
    let after = tg.sentCount(chat);
    tg.sendLocation(chat, -7.7197, 110.3602);
    await tg.waitForMessage(chat, /foto|dokumen/i, { timeoutMs: 20_000, after });
    after = tg.sentCount(chat);
    tg.sendPhoto(chat, PHOTO, 'lubangnya');
    const ack = await tg.waitForMessage(chat, /Berkas diterima/, { timeoutMs: 20_000, after });
    const anonymous = await press(chat, ack, 'Selesai', /anonim/i);
    const confidential = await press(chat, anonymous, 'Tidak', /rahasia/i);
    const summary = await press(chat, confidential, 'Tidak', /periksa kembali/i);
    expect(summary.text).toContain('Jalan berlubang di Jalan Magelang km 10');
    expect(summary.text).toContain('1 berkas');
    const done = await press(chat, summary, 'Kirim laporan', TRACKING);
    const trackingId = TRACKING.exec(done.text ?? '')?.[0] as string;

    const ticket = (await app.tickets.get(trackingId))?.ticket;
    expect(ticket).toMatchObject({
      category: 'jalan_infrastruktur',
      region: 'sleman',
      reporter: { channel: 'telegram', chatId: String(chat) },
    });
    expect(ticket?.location).toEqual({ latitude: -7.7197, longitude: 110.3602 });
    expect(ticket?.attachments).toHaveLength(1);
    const hash = createHash('sha256').update(PHOTO).digest('hex');
    expect(ticket?.attachments[0]).toMatchObject({
      ref: `file:${hash}.jpg`,
      mimeType: 'image/jpeg',
      size: PHOTO.length,
    });
    expect(await readFile(join(app.dataDir, 'attachments', `${hash}.jpg`))).toEqual(PHOTO);
    expect(tg.calls('getFile').length).toBe(1);

    // An agency's status change reaches the Telegram chat.
    after = tg.sentCount(chat);
    await app.service.changeStatus(trackingId, 'verified', 'Sudah kami cek di lapangan.', {
      kind: 'coordinator',
    });
    const update = await tg.waitForMessage(chat, /Terverifikasi/, { timeoutMs: 20_000, after });
    expect(update.text).toContain(trackingId);
    expect(update.text).toContain('Sudah kami cek di lapangan.');

    // /status answers for the reporter's own ticket…
    after = tg.sentCount(chat);
    tg.sendCommand(chat, '/status', trackingId.toLowerCase());
    const own = await tg.waitForMessage(chat, /Status:/, { timeoutMs: 20_000, after });
    expect(own.text).toContain('Jalan berlubang di Jalan Magelang km 10');
    // …and refuses another chat's, saying no more than for a number that does not exist.
    const stranger = 5002;
    const before = tg.sentCount(stranger);
    tg.sendCommand(stranger, '/status', trackingId);
    const refused = await tg.waitForMessage(stranger, /tidak kami temukan/, {
      timeoutMs: 20_000,
      after: before,
    });
    expect(refused.text).not.toContain('Magelang');
    expect(refused.text).not.toMatch(/Terverifikasi/);
  });

  it('handles an update delivered twice once', async () => {
    const chat = 5003;
    const update = tg.sendText(chat, 'lapor');
    await next(tg, chat, /Apa yang ingin/);
    tg.redeliver(update.update_id);
    tg.sendText(chat, '1');
    await tg.waitForMessage(chat, /kategori/i, { timeoutMs: 20_000, after: 1 });
    expect(tg.messages(chat).filter((m) => /Apa yang ingin/.test(m.text ?? ''))).toHaveLength(1);
  });

  it('sends each reply of a conversation once, the next messages already waiting', async () => {
    const chat = 5010;
    // Sent together: the runner takes each after the one before is handled, so each turn reads the
    // session just after the turn before issued its "sent" mark (not awaited): nothing is taken
    // for a missed reply and sent again.
    for (const text of ['lapor', 'pengaduan', 'kesehatan', 'sleman']) tg.sendText(chat, text);
    await tg.waitForMessage(chat, /judul singkat/, { timeoutMs: 20_000, after: 0 });
    // A resend would come before the answer to a next message: one more turn shows there is none.
    tg.sendText(chat, 'Jalan berlubang di depan pasar');
    await tg.waitForMessage(chat, /Silakan jelaskan isi laporan/, { timeoutMs: 20_000, after: 4 });
    const questions = [/Apa yang ingin/, /Silakan pilih kategori/, /kabupaten\/kota mana/, /judul singkat/];
    const texts = tg.messages(chat).map((m) => m.text ?? '');
    expect(texts).toHaveLength(5);
    expect(texts.slice(0, 4).map((t, i) => questions[i]?.test(t))).toEqual([true, true, true, true]);
  });

  it('waits out a 429 with retry_after and delivers the message once', async () => {
    const chat = 5004;
    tg.failNext('sendMessage', 1, {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    const started = Date.now();
    tg.sendText(chat, 'halo');
    await next(tg, chat, /Selamat datang/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(tg.messages(chat).filter((m) => /Selamat datang/.test(m.text ?? ''))).toHaveLength(1);
    expect(tg.calls('sendMessage').filter((c) => String(c.params.chat_id) === String(chat))).toHaveLength(2);
  });

  it('records a reporter who blocked the bot, once, and stops sending', async () => {
    const chat = 5005;
    tg.addChat(chat);
    const reported = await app.service.createFromJob(
      ticketJobFixture('tgblocked01', { channel: 'telegram', chatId: String(chat) }),
    );
    await tg.waitForMessage(chat, TRACKING, { timeoutMs: 20_000 });
    tg.block(chat);
    await app.service.changeStatus(reported.ticket.trackingId, 'verified', undefined, {
      kind: 'coordinator',
    });
    await expect
      .poll(async () => (await app.tickets.get(reported.ticket.trackingId))?.ticket.reporterUnreachable, {
        timeout: 20_000,
      })
      .toBe(true);
    await app.service.changeStatus(reported.ticket.trackingId, 'dispatched', undefined, {
      kind: 'coordinator',
    });
    const events = await app.tickets.events(reported.ticket.trackingId);
    expect(events.filter((e) => e.type === 'delivery_failed')).toHaveLength(1);
    expect(events.find((e) => e.type === 'delivery_failed')?.note).toMatch(/blocked by the user/);
  });

  it('answers a voice note in the language the citizen chose, not the phone’s', async () => {
    const chat = { id: 5008, language_code: 'en' };
    tg.sendText(chat, 'halo');
    await tg.waitForMessage(5008, /./, { timeoutMs: 20_000 });
    // The conversation is in Bahasa Indonesia although the phone is set to English.
    const loaded = await app.sessions.load('telegram:5008', Date.now());
    const session = loaded.session;
    if (!session) throw new Error('no conversation after "halo"');
    if (session.lang !== 'id')
      expect(await app.sessions.save('telegram:5008', loaded, { ...session, lang: 'id' })).toBe('saved');
    const before = tg.messages(5008).length;
    tg.queueUpdate({
      message: {
        message_id: 9001,
        date: Math.floor(Date.now() / 1000),
        chat: { id: 5008, type: 'private', first_name: 'Warga' },
        from: { id: 5008, is_bot: false, first_name: 'Warga', language_code: 'en' },
        voice: { file_id: 'voice-1', file_unique_id: 'voice-1', duration: 4 },
      },
    });
    await expect.poll(() => tg.messages(5008).length, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(tg.messages(5008).at(-1)?.text).toMatch(/^Mohon maaf, jenis pesan ini belum dapat kami proses/);
  });

  it('answers a group once with a link to a private chat, and takes no report there', async () => {
    const group = { id: -1009, type: 'supergroup' as const, title: 'Warga RW 3' };
    tg.sendText(group, '/lapor');
    const note = await tg.waitForMessage(group.id, /chat pribadi/, { timeoutMs: 20_000 });
    expect(note.text).toContain(`https://t.me/${tg.me.username}?start=lapor`);
    tg.sendText(group, '/lapor');
    tg.sendText(5006, 'halo'); // a private message after it, to know the group's second one was handled
    await tg.waitForMessage(5006, /Selamat datang/, { timeoutMs: 20_000 });
    expect(tg.messages(group.id)).toHaveLength(1);
  });
});

describe('Telegram webhook mode', () => {
  let redis: TestRedis;
  let tg: TelegramEmulator;
  let app: TestAduan;
  const secret = 'webhook-secret-0123456789';

  beforeAll(async () => {
    redis = await startTestRedis();
    tg = await startTelegramEmulator();
    // The command menu is a nicety: Telegram refusing it must not stop the bot.
    tg.failNext('setMyCommands', 3, { error_code: 400, description: 'Bad Request: BOT_COMMAND_INVALID' });
    const port = await findFreePort();
    app = await startTestAduan({
      redisUrl: redis.url,
      env: {
        PORT: String(port),
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_API_ROOT: tg.apiRoot,
        TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
        TELEGRAM_WEBHOOK_SECRET: secret,
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await tg?.close();
    await cleanup(app?.dataDir);
    await redis?.stop();
  });

  it('starts even when setMyCommands fails, and logs it', () => {
    expect(app.logs.lines.filter((l) => l.includes('setMyCommands failed'))).toHaveLength(3);
  });

  it('sets the webhook with its secret and answers updates Telegram posts', async () => {
    const setWebhook = tg.calls('setWebhook')[0];
    expect(setWebhook?.params).toMatchObject({ url: `${app.url}/telegram/webhook`, secret_token: secret });
    tg.sendText(6001, '/start');
    await tg.waitForMessage(6001, /Selamat datang/, { timeoutMs: 20_000 });
  });

  it.each([
    ['a wrong secret', { 'x-telegram-bot-api-secret-token': 'webhook-secret-0123456780' }],
    ['no secret', {}],
  ])('refuses %s with 401 and handles nothing', async (_, headers) => {
    const res = await fetch(`${app.url}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        update_id: 999_999,
        message: { message_id: 1, date: 1, chat: { id: 6002, type: 'private' }, text: '/start' },
      }),
    });
    expect(res.status).toBe(401);
    expect(await app.redis.exists(app.keys.session('telegram:6002'))).toBe(0);
  });
});
