import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Bot, GrammyError, HttpError, InlineKeyboard, InputFile, Keyboard, webhookCallback } from 'grammy';
import type { Message, Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';

// The emulator must stand in for api.telegram.org for real grammY, so every check goes through a real
// Bot over loopback HTTP rather than calling the emulator's handlers directly.

let emu: TelegramEmulator;
let bot: Bot;

beforeEach(async () => {
  emu = await startTelegramEmulator({ webhookRetryDelayMs: 10 });
  bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
});

afterEach(async () => {
  if (bot.isRunning()) await bot.stop();
  await emu.close();
});

/** Rejection of a promise, for asserting on grammY's error objects. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** A PNG header (640×480) followed by noise: enough for the emulator to read real dimensions. */
function fakePng(): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32BE(0x89504e47, 0);
  header.writeUInt32BE(0x0d0a1a0a, 4);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'ascii');
  header.writeUInt32BE(640, 16);
  header.writeUInt32BE(480, 20);
  return Buffer.concat([header, Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 31) % 256))]);
}

describe('Bot API basics', () => {
  it('answers getMe through bot.init()', async () => {
    await bot.init();
    expect(bot.botInfo.id).toBe(123456);
    expect(bot.botInfo.username).toBe(emu.me.username);
    expect(emu.token).toBe(DEFAULT_TOKEN);
    expect(emu.calls('getMe')).toHaveLength(1);
  });

  it('rejects a wrong token with 401 and an unknown method with 404', async () => {
    const stranger = new Bot('999:wrong-token', { client: { apiRoot: emu.apiRoot } });
    const unauthorized = await failure(stranger.api.getMe());
    expect(unauthorized).toBeInstanceOf(GrammyError);
    expect(unauthorized).toMatchObject({ error_code: 401, description: 'Unauthorized' });

    const raw = bot.api.raw as unknown as Record<string, (p: object) => Promise<unknown>>;
    const missing = await failure((raw.noSuchMethod as (p: object) => Promise<unknown>)({}));
    expect(missing).toMatchObject({ error_code: 404, description: 'Not Found' });
  });

  it('accepts urlencoded bodies and method names in any case, like Telegram', async () => {
    emu.addChat(5);
    const form = new URLSearchParams({
      chat_id: '5',
      text: 'Pilih',
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Ya', callback_data: 'yes' }]] }),
    });
    const res = await fetch(`${emu.apiRoot}/bot${emu.token}/SENDMESSAGE`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; result: Message.TextMessage };
    expect(body.ok).toBe(true);
    expect(body.result.chat.id).toBe(5);
    expect(emu.lastMessage(5)?.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Ya', callback_data: 'yes' }]],
    });
  });

  it('parses grammY multipart uploads (setWebhook with a certificate)', async () => {
    await bot.api.setWebhook('http://127.0.0.1:9/hook', { certificate: new InputFile(Buffer.from('PEM')) });
    const [call] = emu.calls('setWebhook');
    expect(call?.params.url).toBe('http://127.0.0.1:9/hook');
    expect((await bot.api.getWebhookInfo()).has_custom_certificate).toBe(true);
    await bot.api.deleteWebhook();
  });
});

describe('long polling', () => {
  it('delivers a text, records the inline keyboard reply, and routes the button press back', async () => {
    bot.command('start', (ctx) => ctx.reply(`payload=${ctx.match}`));
    bot.on('message:text', (ctx) =>
      ctx.reply('Mau lapor?', { reply_markup: new InlineKeyboard().text('Ya', 'yes').text('Tidak', 'no') }),
    );
    bot.callbackQuery('yes', async (ctx) => {
      await ctx.answerCallbackQuery({ text: 'Oke' });
      await ctx.editMessageText('Terima kasih');
    });
    const running = bot.start({ timeout: 1, drop_pending_updates: false });

    emu.sendCommand(42, '/start', 'lapor');
    expect((await emu.waitForMessage(42, /^payload=/)).text).toBe('payload=lapor');

    const update = emu.sendText({ id: 42, first_name: 'Siti' }, 'halo');
    expect(update.update_id).toBe(2);
    const asked = await emu.waitForMessage(42, 'Mau lapor', { after: 1 });
    expect(asked.from.id).toBe(123456);
    expect(asked.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Ya', callback_data: 'yes' },
          { text: 'Tidak', callback_data: 'no' },
        ],
      ],
    });
    expect(asked.message_id).toBeGreaterThan(update.message?.message_id ?? Number.POSITIVE_INFINITY);

    const press = emu.pressButton(42, asked.message_id, 'yes');
    expect(press.callback_query?.message?.message_id).toBe(asked.message_id);
    const answer = await emu.waitForCall('answerCallbackQuery');
    expect(answer.params).toMatchObject({ callback_query_id: press.callback_query?.id, text: 'Oke' });
    expect(answer.response?.ok).toBe(true);

    const edited = await emu.waitForMessage(42, 'Terima kasih');
    expect(edited.message_id).toBe(asked.message_id);
    expect(edited.reply_markup).toBeUndefined(); // an edit without reply_markup drops the keyboard
    expect(() => emu.pressButton(42, asked.message_id, 'yes')).toThrow(/no callback button/);

    await bot.stop();
    await running;
  });

  it('long-polls for real: waits out the timeout, and returns early when an update arrives', async () => {
    let started = Date.now();
    expect(await bot.api.getUpdates({ timeout: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    started = Date.now();
    setTimeout(() => emu.sendText(7, 'halo'), 100);
    const updates = await bot.api.getUpdates({ timeout: 10 });
    expect(Date.now() - started).toBeLessThan(900);
    expect(updates.map((u) => u.message?.text)).toEqual(['halo']);
  });

  it('honours offset and limit, and redelivers an update on demand', async () => {
    emu.sendText(7, 'satu');
    emu.sendText(7, 'dua');
    const first = await bot.api.getUpdates({ limit: 1 });
    expect(first.map((u) => u.update_id)).toEqual([1]);
    // Without an offset nothing is confirmed.
    expect((await bot.api.getUpdates({})).map((u) => u.update_id)).toEqual([1, 2]);
    expect((await bot.api.getUpdates({ offset: 3 })).length).toBe(0);
    expect(emu.pendingUpdates()).toEqual([]);

    emu.redeliver(2);
    const again: Update[] = await bot.api.getUpdates({ offset: 3 });
    expect(again.map((u) => [u.update_id, u.message?.text])).toEqual([[2, 'dua']]);
    await bot.api.getUpdates({ offset: 3 });
    expect(emu.pendingUpdates()).toEqual([]);
  });
});

describe('webhook', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function serveWebhook(
    secretToken: string,
  ): Promise<{ url: string; secrets: (string | undefined)[] }> {
    const secrets: (string | undefined)[] = [];
    const app = express();
    app.use(express.json());
    app.post('/hook', (req, _res, next) => {
      secrets.push(req.header('X-Telegram-Bot-Api-Secret-Token'));
      next();
    });
    app.post('/hook', webhookCallback(bot, 'express', { secretToken }));
    const listening = app.listen(0, '127.0.0.1');
    server = listening;
    await new Promise((resolve) => listening.once('listening', resolve));
    return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/hook`, secrets };
  }

  it('pushes updates to the webhook with the secret header, and getUpdates conflicts meanwhile', async () => {
    bot.on('message:text', (ctx) => ctx.reply(`diterima: ${ctx.message.text}`));
    const hook = await serveWebhook('s3cret');
    await bot.api.setWebhook(hook.url, { secret_token: 's3cret' });

    emu.sendText(9, 'jalan rusak');
    const reply = await emu.waitForMessage(9, /^diterima:/);
    expect(reply.text).toBe('diterima: jalan rusak');
    expect(hook.secrets).toEqual(['s3cret']);

    const conflict = await failure(bot.api.getUpdates({}));
    expect(conflict).toBeInstanceOf(GrammyError);
    expect(conflict).toMatchObject({ error_code: 409 });
    expect((conflict as GrammyError).description).toMatch(
      /^Conflict: can't use getUpdates method while webhook is active/,
    );

    const info = await bot.api.getWebhookInfo();
    expect(info).toMatchObject({ url: hook.url, pending_update_count: 0 });
    expect(info.last_error_message).toBeUndefined();
  });

  it('retries a refused delivery a few times, then reports the error in getWebhookInfo', async () => {
    const hook = await serveWebhook('right');
    await bot.api.setWebhook(hook.url, { secret_token: 'wrong' });
    emu.sendText(9, 'halo');
    await expect.poll(() => emu.pendingUpdates().length, { timeout: 2000 }).toBe(0);
    expect(hook.secrets).toEqual(['wrong', 'wrong', 'wrong', 'wrong']);
    const info = await bot.api.getWebhookInfo();
    expect(info.last_error_message).toMatch(/^Wrong response from the webhook: 401/);
    await bot.api.deleteWebhook();
  });
});

describe('files', () => {
  it('serves a sent photo through getFile and the file download URL, byte for byte', async () => {
    const bytes = fakePng();
    const update = emu.sendPhoto(11, bytes, 'lubang di jalan');
    const [delivered] = await bot.api.getUpdates({});
    expect(delivered).toEqual(update);
    const photo = delivered?.message?.photo ?? [];
    expect(photo).toHaveLength(3);
    expect(new Set(photo.map((p) => p.file_id)).size).toBe(3);
    expect(photo.map((p) => p.file_size)).toEqual(
      [...photo.map((p) => p.file_size)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    const largest = photo.at(-1);
    expect(largest).toMatchObject({ width: 640, height: 480, file_size: bytes.length });
    expect(delivered?.message?.caption).toBe('lubang di jalan');

    const file = await bot.api.getFile(largest?.file_id ?? '');
    expect(file.file_size).toBe(bytes.length);
    const res = await fetch(`${emu.apiRoot}/file/bot${emu.token}/${file.file_path}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);

    const bad = await failure(bot.api.getFile('nope'));
    expect(bad).toMatchObject({ error_code: 400, description: 'Bad Request: invalid file_id' });
  });
});

describe('fault injection and Telegram errors', () => {
  it('failNext 429 surfaces as a GrammyError with retry_after, then calls succeed again', async () => {
    emu.addChat(5);
    emu.failNext('sendMessage', 1, {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    const err = await failure(bot.api.sendMessage(5, 'halo'));
    expect(err).toBeInstanceOf(GrammyError);
    expect(err).toMatchObject({ error_code: 429, parameters: { retry_after: 1 } });
    expect((await bot.api.sendMessage(5, 'halo')).text).toBe('halo');
    expect(emu.messages(5).map((m) => m.text)).toEqual(['halo']);
  });

  it('block answers 403 and tells the bot with my_chat_member', async () => {
    emu.sendText(6, 'halo');
    emu.block(6);
    const err = await failure(bot.api.sendMessage(6, 'halo lagi'));
    expect(err).toBeInstanceOf(GrammyError);
    expect(err).toMatchObject({ error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    const updates = await bot.api.getUpdates({});
    expect(updates[1]?.my_chat_member?.new_chat_member.status).toBe('kicked');
  });

  it('answers chat not found, message is not modified, and parse errors as Telegram does', async () => {
    expect(await failure(bot.api.sendMessage(404, 'x'))).toMatchObject({
      error_code: 400,
      description: 'Bad Request: chat not found',
    });
    emu.addChat(8);
    const sent = await bot.api.sendMessage(8, '<b>Halo</b> &amp; selamat', { parse_mode: 'HTML' });
    expect(sent.text).toBe('Halo & selamat');
    expect(sent.entities).toEqual([{ type: 'bold', offset: 0, length: 4 }]);
    const same = await failure(
      bot.api.editMessageText(8, sent.message_id, '<b>Halo</b> &amp; selamat', { parse_mode: 'HTML' }),
    );
    expect(same).toMatchObject({ error_code: 400 });
    expect((same as GrammyError).description).toMatch(/^Bad Request: message is not modified/);
    const dot = await failure(bot.api.sendMessage(8, 'Nomor laporan 1.', { parse_mode: 'MarkdownV2' }));
    expect((dot as GrammyError).description).toBe(
      "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    );
    const long = await failure(
      bot.api.sendMessage(8, 'x', { reply_markup: new InlineKeyboard().text('x', 'd'.repeat(65)) }),
    );
    expect((long as GrammyError).description).toBe('Bad Request: BUTTON_DATA_INVALID');
  });

  it('delayNext holds the answer back long enough for a client timeout', async () => {
    const impatient = new Bot(emu.token, { client: { apiRoot: emu.apiRoot, timeoutSeconds: 0.2 } });
    emu.delayNext('getMe', 400);
    const err = await failure(impatient.api.getMe());
    expect(err).toBeInstanceOf(HttpError);
    expect(await impatient.api.getMe()).toMatchObject({ id: 123456 });
  });

  it('keeps commands per language, and the reply keyboard the citizen sees', async () => {
    await bot.api.setMyCommands([{ command: 'lapor', description: 'Buat laporan' }], { language_code: 'id' });
    await bot.api.setMyCommands([{ command: 'lapor', description: 'File a report' }], {
      language_code: 'en',
    });
    expect(emu.calls('setMyCommands').map((c) => c.params.language_code)).toEqual(['id', 'en']);
    expect(emu.commands('en')).toEqual([{ command: 'lapor', description: 'File a report' }]);
    expect(await bot.api.getMyCommands({ language_code: 'id' })).toEqual([
      { command: 'lapor', description: 'Buat laporan' },
    ]);

    emu.addChat(3);
    const ask = await bot.api.sendMessage(3, 'Kirim lokasi', {
      reply_markup: new Keyboard().requestLocation('Bagikan lokasi').oneTime(),
    });
    expect(ask.reply_markup).toBeUndefined(); // Telegram echoes only inline keyboards
    expect(emu.replyKeyboard(3)?.keyboard[0]?.[0]).toEqual({
      text: 'Bagikan lokasi',
      request_location: true,
    });
    const location = emu.sendLocation(3, -6.2, 106.8);
    expect(location.message?.location).toEqual({ latitude: -6.2, longitude: 106.8 });
    await bot.api.sendMessage(3, 'Terima kasih', { reply_markup: { remove_keyboard: true } });
    expect(emu.replyKeyboard(3)).toBeUndefined();
  });
});
