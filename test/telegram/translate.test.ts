import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { updateToInbound } from '../../src/channels/telegram/telegram-inbound.ts';
import {
  renderForTelegram,
  TELEGRAM_TEXT_LIMIT,
  toTelegramHtml,
} from '../../src/channels/telegram/telegram-outbound.ts';

const BOT = 'AduanBot';
const privateChat = { id: 42, type: 'private' as const, first_name: 'Sari' };
const from = { id: 42, is_bot: false, first_name: 'Sari', language_code: 'id' };

function message(
  fields: Record<string, unknown>,
  chat: Record<string, unknown> = privateChat,
  updateId = 7,
): Update {
  return {
    update_id: updateId,
    message: { message_id: 3, date: 1_795_000_000, chat, from, ...fields },
  } as unknown as Update;
}

describe('Telegram update → inbound', () => {
  it.each<[string, Update, unknown]>([
    ['text', message({ text: 'halo' }), [{ messageId: 'u7', inbound: { kind: 'text', text: 'halo' } }]],
    ['/start', message({ text: '/start' }), [{ messageId: 'u7', inbound: { kind: 'start' } }]],
    [
      '/start with a deep-link payload',
      message({ text: '/start lapor' }),
      [{ messageId: 'u7', inbound: { kind: 'start', payload: 'lapor' } }],
    ],
    [
      '/start@AduanBot',
      message({ text: '/start@AduanBot' }),
      [{ messageId: 'u7', inbound: { kind: 'start' } }],
    ],
    [
      '/lapor',
      message({ text: '/lapor' }),
      [{ messageId: 'u7', inbound: { kind: 'start', payload: 'lapor' } }],
    ],
    ['/batal', message({ text: '/batal' }), [{ messageId: 'u7', inbound: { kind: 'text', text: 'batal' } }]],
    [
      '/bantuan',
      message({ text: '/bantuan' }),
      [{ messageId: 'u7', inbound: { kind: 'text', text: 'bantuan' } }],
    ],
    [
      '/bahasa',
      message({ text: '/bahasa' }),
      [{ messageId: 'u7', inbound: { kind: 'text', text: 'bahasa' } }],
    ],
    [
      '/status',
      message({ text: '/status' }),
      [{ messageId: 'u7', inbound: { kind: 'text', text: 'status' } }],
    ],
    [
      '/status with a number: two messages, in order',
      message({ text: '/status adu-7kq2 m9xf' }),
      [
        { messageId: 'u7', inbound: { kind: 'text', text: 'status' } },
        { messageId: 'u7.1', inbound: { kind: 'text', text: 'adu-7kq2 m9xf' } },
      ],
    ],
    [
      'a shared location',
      message({ location: { latitude: -7.78, longitude: 110.37 } }),
      [{ messageId: 'u7', inbound: { kind: 'location', latitude: -7.78, longitude: 110.37 } }],
    ],
    [
      'a photo: the largest size',
      message({
        photo: [
          { file_id: 'small', file_unique_id: 's', width: 90, height: 90, file_size: 1000 },
          { file_id: 'large', file_unique_id: 'l', width: 1280, height: 1280, file_size: 90_000 },
        ],
        caption: 'jalan berlubang',
      }),
      [
        {
          messageId: 'u7',
          inbound: {
            kind: 'media',
            media: { ref: 'telegram:large', mimeType: 'image/jpeg', size: 90_000 },
            caption: 'jalan berlubang',
          },
        },
      ],
    ],
    [
      'a document',
      message({
        document: {
          file_id: 'doc1',
          file_unique_id: 'd',
          file_name: 'surat.pdf',
          mime_type: 'application/pdf',
          file_size: 5000,
        },
      }),
      [
        {
          messageId: 'u7',
          inbound: {
            kind: 'media',
            media: { ref: 'telegram:doc1', mimeType: 'application/pdf', size: 5000, fileName: 'surat.pdf' },
          },
        },
      ],
    ],
    [
      'a contact',
      message({ contact: { phone_number: '+628123456789', first_name: 'Sari' } }),
      [{ messageId: 'u7', inbound: { kind: 'contact', phone: '+628123456789', name: 'Sari' } }],
    ],
  ])('%s', (_, update, messages) => {
    expect(updateToInbound(update, BOT)).toEqual({ kind: 'inbound', chatId: '42', messages });
  });

  it('a reply to the bot’s update about a report adds to that report', () => {
    const update = message({
      text: 'Lampunya masih mati sampai hari ini',
      reply_to_message: {
        message_id: 2,
        date: 1,
        chat: privateChat,
        from: { id: 1, is_bot: true, first_name: 'Aduan' },
        text: 'Perkembangan laporan ADU-2GA8-K99E:\nStatus: Diteruskan',
      },
    });
    expect(updateToInbound(update, BOT)).toEqual({
      kind: 'inbound',
      chatId: '42',
      messages: [
        {
          messageId: 'u7',
          inbound: { kind: 'text', text: 'balas ADU-2GA8-K99E Lampunya masih mati sampai hari ini' },
        },
      ],
    });
    // The rating question is part of the resolved report's update: a "5" replied to it is a rating.
    const rating = message({
      text: '5',
      reply_to_message: {
        message_id: 3,
        date: 1,
        chat: privateChat,
        from: { id: 1, is_bot: true, first_name: 'Aduan' },
        text: 'Laporan ADU-2GA8-K99E selesai ditindaklanjuti. Mohon beri penilaian 1–5.',
      },
    });
    expect(updateToInbound(rating, BOT)).toMatchObject({
      messages: [{ inbound: { kind: 'text', text: '5' } }],
    });
    // A reply to a help text quoting the example number (not a real one) is just text.
    const example = message({
      text: 'ADU-2GA8-K99E',
      reply_to_message: {
        message_id: 4,
        date: 1,
        chat: privateChat,
        from: { id: 1, is_bot: true, first_name: 'Aduan' },
        text: 'Nomor pelacakan tidak dikenali. Contoh: ADU-7KQ2-M9XF',
      },
    });
    expect(updateToInbound(example, BOT)).toMatchObject({
      messages: [{ inbound: { kind: 'text', text: 'ADU-2GA8-K99E' } }],
    });
    // A reply to the citizen's own message is just text.
    const own = message({
      text: 'ok',
      reply_to_message: { message_id: 2, date: 1, chat: privateChat, from, text: 'ADU-2GA8-K99E' },
    });
    expect(updateToInbound(own, BOT)).toMatchObject({
      messages: [{ inbound: { kind: 'text', text: 'ok' } }],
    });
  });

  it('a pressed button is a choice, with the callback to answer and the keyboard to remove', () => {
    const update = {
      update_id: 9,
      callback_query: {
        id: 'cb1',
        from,
        chat_instance: 'x',
        data: 'type|pengaduan',
        message: { message_id: 5, date: 1, chat: privateChat },
      },
    } as unknown as Update;
    expect(updateToInbound(update, BOT)).toEqual({
      kind: 'callback',
      chatId: '42',
      callbackId: 'cb1',
      messageId: 5,
      messages: [{ messageId: 'u9', inbound: { kind: 'choice', payload: 'type|pengaduan' } }],
    });
  });

  it('a command for another bot in the chat is not a command for us', () => {
    expect(updateToInbound(message({ text: '/start@OtherBot' }), BOT)).toEqual({
      kind: 'inbound',
      chatId: '42',
      messages: [{ messageId: 'u7', inbound: { kind: 'text', text: '/start@OtherBot' } }],
    });
  });

  it('a group gets noticed only when the bot is addressed', () => {
    const group = { id: -100, type: 'supergroup', title: 'Warga RT 5' };
    expect(updateToInbound(message({ text: '/lapor' }, group), BOT)).toEqual({
      kind: 'group',
      chatId: '-100',
    });
    expect(updateToInbound(message({ text: 'halo @aduanbot' }, group), BOT)).toEqual({
      kind: 'group',
      chatId: '-100',
    });
    expect(updateToInbound(message({ text: 'selamat pagi semua' }, group), BOT).kind).toBe('ignore');
  });

  it.each([
    [
      'an edited message',
      { update_id: 1, edited_message: { message_id: 1, date: 1, chat: privateChat, text: 'x' } },
    ],
    [
      'a channel post',
      {
        update_id: 1,
        channel_post: { message_id: 1, date: 1, chat: { id: -5, type: 'channel' }, text: 'x' },
      },
    ],
    [
      'a button in a group',
      {
        update_id: 1,
        callback_query: {
          id: 'c',
          from,
          chat_instance: 'x',
          data: 'a|b',
          message: { message_id: 1, date: 1, chat: { id: -1, type: 'group' } },
        },
      },
    ],
  ])('ignores %s on purpose', (_, update) => {
    expect(updateToInbound(update as unknown as Update, BOT).kind).toBe('ignore');
  });

  it.each(['voice', 'sticker', 'video'])(
    'a %s is unsupported, with the sender’s language for the reply',
    (kind) => {
      expect(updateToInbound(message({ [kind]: { file_id: 'f' } }), BOT)).toEqual({
        kind: 'unsupported',
        chatId: '42',
        what: kind,
        languageCode: 'id',
      });
    },
  );

  it('caps a text at Telegram’s own limit', () => {
    const t = updateToInbound(message({ text: 'a'.repeat(10_000) }), BOT);
    expect(
      t.kind === 'inbound' && t.messages[0]?.inbound.kind === 'text' ? t.messages[0].inbound.text.length : 0,
    ).toBe(4096);
  });
});

describe('outbound → Telegram', () => {
  it('escapes everything, then turns *bold* into <b>', () => {
    expect(toTelegramHtml('*Judul*: <img src=x onerror=alert(1)> & "ok"')).toBe(
      '<b>Judul</b>: &lt;img src=x onerror=alert(1)&gt; &amp; "ok"',
    );
  });

  it('choices become an inline keyboard whose callback data is the payload', () => {
    const [m] = renderForTelegram({
      text: 'Pilih:',
      choices: [
        { payload: 'type|pengaduan', label: 'Pengaduan' },
        { payload: 'type|aspirasi', label: 'Aspirasi' },
        { payload: 'type|permintaan_informasi', label: 'Permintaan informasi' },
      ],
    });
    expect(m?.reply_markup).toEqual({
      inline_keyboard: [
        [{ text: 'Pengaduan', callback_data: 'type|pengaduan' }],
        [{ text: 'Aspirasi', callback_data: 'type|aspirasi' }],
        [{ text: 'Permintaan informasi', callback_data: 'type|permintaan_informasi' }],
      ],
    });
  });

  it('short labels sit two to a row', () => {
    const [m] = renderForTelegram({
      text: 'x',
      choices: ['Ya', 'Tidak', 'Lewati'].map((l) => ({ payload: `s|${l}`, label: l })),
    });
    expect(m?.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Ya', callback_data: 's|Ya' },
          { text: 'Tidak', callback_data: 's|Tidak' },
        ],
        [{ text: 'Lewati', callback_data: 's|Lewati' }],
      ],
    });
  });

  it('a location request offers a share-location button; its other buttons send their label', () => {
    const [m] = renderForTelegram({
      text: 'Di mana?',
      requestLocation: true,
      choices: [{ payload: '~g|skip', label: 'Lewati' }],
    });
    expect(m?.reply_markup).toMatchObject({
      keyboard: [[{ request_location: true }], [{ text: 'Lewati' }]],
      one_time_keyboard: true,
    });
  });

  it('a plain message removes a reply keyboard left from before', () => {
    expect(renderForTelegram({ text: 'Terima kasih' })[0]?.reply_markup).toEqual({ remove_keyboard: true });
  });

  it('splits a text longer than Telegram allows, keyboard on the last part', () => {
    const long = `${'baris\n'.repeat(1000)}akhir`;
    const parts = renderForTelegram({ text: long, choices: [{ payload: 'a|b', label: 'OK' }] });
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.text.length <= TELEGRAM_TEXT_LIMIT)).toBe(true);
    expect(parts.map((p) => p.text).join('\n')).toBe(long);
    expect(parts.slice(0, -1).every((p) => p.reply_markup === undefined)).toBe(true);
    expect(parts.at(-1)?.reply_markup).toHaveProperty('inline_keyboard');
  });
});
