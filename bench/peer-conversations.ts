/**
 * The twelve-message report written the way a grammY developer would write it with
 * @grammyjs/conversations 2 (a conversation function that waits for each answer; the plugin keeps
 * its state in Redis through @grammyjs/storage-redis and replays the function up to the current
 * wait on every update). Same questions, same checks, same summary as flows/complaint.yaml's
 * pengaduan path, without the second language, help texts and global words.
 */
import {
  type Conversation,
  type ConversationFlavor,
  conversations,
  createConversation,
} from '@grammyjs/conversations';
import { RedisAdapter } from '@grammyjs/storage-redis';
import { type ApiClientOptions, Bot, type Context, InlineKeyboard } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Redis } from 'ioredis';

type Outer = ConversationFlavor<Context>;

const TYPES = ['Pengaduan', 'Aspirasi', 'Permintaan informasi'];
const CATEGORIES = ['Kesehatan', 'Pendidikan', 'Infrastruktur', 'Kependudukan', 'Bansos', 'Lainnya'];
const REGIONS = ['Yogyakarta', 'Sleman', 'Bantul', 'Kulon Progo', 'Gunungkidul'];

function keyboard(options: string[]): InlineKeyboard {
  const k = new InlineKeyboard();
  for (const [i, o] of options.entries()) k.text(o, `${i}`).row();
  return k;
}

/** A choice by number or by (the start of) its label, asked again until it is one. */
async function choose(
  conversation: Conversation<Outer, Context>,
  ctx: Context,
  q: string,
  options: string[],
) {
  await ctx.reply(q, { reply_markup: keyboard(options) });
  for (;;) {
    const answer = await conversation.waitFor('message:text');
    const text = answer.message.text.trim().toLowerCase();
    const n = Number(text);
    const found =
      Number.isInteger(n) && n >= 1 && n <= options.length
        ? options[n - 1]
        : options.find((o) => o.toLowerCase().startsWith(text));
    if (found) return found;
    await answer.reply('Silakan pilih salah satu pilihan.');
  }
}

async function text(
  conversation: Conversation<Outer, Context>,
  ctx: Context,
  q: string,
  min: number,
  max: number,
) {
  await ctx.reply(q);
  for (;;) {
    const answer = await conversation.waitFor('message:text');
    const value = answer.message.text.trim();
    if (value.length >= min && value.length <= max) return value;
    await answer.reply(`Mohon tulis ${min} sampai ${max} karakter.`);
  }
}

async function yesNo(conversation: Conversation<Outer, Context>, ctx: Context, q: string) {
  await ctx.reply(q, { reply_markup: new InlineKeyboard().text('Ya', 'ya').text('Tidak', 'tidak') });
  for (;;) {
    const answer = await conversation.waitFor('message:text');
    const value = answer.message.text.trim().toLowerCase();
    if (value === 'ya' || value === 'tidak') return value === 'ya';
    await answer.reply('Jawab "ya" atau "tidak".');
  }
}

/** The report, one wait per question. */
async function report(conversation: Conversation<Outer, Context>, ctx: Context, submit: () => Promise<void>) {
  const type = await choose(conversation, ctx, 'Apa yang ingin Bapak/Ibu sampaikan?', TYPES);
  const category = await choose(conversation, ctx, 'Laporan ini tentang apa?', CATEGORIES);
  const region = await choose(conversation, ctx, 'Kabupaten/kota mana?', REGIONS);
  const title = await text(conversation, ctx, 'Judul laporan?', 10, 150);
  const body = await text(conversation, ctx, 'Ceritakan kejadiannya.', 30, 4000);
  let date = '';
  await ctx.reply('Kapan kejadiannya? (hari ini, kemarin, atau 17-08-2026)');
  for (;;) {
    const answer = await conversation.waitFor('message:text');
    const value = answer.message.text.trim().toLowerCase();
    const now = await conversation.now();
    if (value === 'hari ini' || value === 'kemarin') {
      date = new Date(now - (value === 'kemarin' ? 86_400_000 : 0)).toISOString().slice(0, 10);
      break;
    }
    const m = /^(\d{1,2})-(\d{1,2})-(\d{4})$/.exec(value);
    if (m) {
      date = `${m[3]}-${m[2]?.padStart(2, '0')}-${m[1]?.padStart(2, '0')}`;
      break;
    }
    await answer.reply('Tanggal tidak dikenali.');
  }
  const location = await text(conversation, ctx, 'Di mana lokasinya?', 3, 500);
  await ctx.reply('Lampirkan foto atau dokumen, atau ketik "lewati".');
  await conversation.waitFor('message:text');
  const anonymous = await yesNo(conversation, ctx, 'Laporan anonim?');
  const confidential = await yesNo(conversation, ctx, 'Laporan rahasia?');
  const summary = [
    `Jenis: ${type}`,
    `Kategori: ${category}`,
    `Wilayah: ${region}`,
    `Judul: ${title}`,
    `Isi: ${body}`,
    `Tanggal: ${date}`,
    `Lokasi: ${location}`,
    `Anonim: ${anonymous ? 'ya' : 'tidak'}`,
    `Rahasia: ${confidential ? 'ya' : 'tidak'}`,
  ].join('\n');
  await ctx.reply(`${summary}\n\nKirim laporan ini?`, {
    reply_markup: new InlineKeyboard().text('Kirim', 'kirim').text('Batal', 'batal'),
  });
  for (;;) {
    const answer = await conversation.waitFor('message:text');
    const value = answer.message.text.trim().toLowerCase();
    if (value === 'kirim') {
      await conversation.external(() => submit());
      await answer.reply('Terima kasih, laporan Bapak/Ibu sudah kami terima.');
      return;
    }
    if (value === 'batal') {
      await answer.reply('Laporan dibatalkan.');
      return;
    }
    await answer.reply('Ketik "kirim" atau "batal".');
  }
}

/** A bot with the conversation, its state in Redis under `prefix`, no network (see `answerLocally`). */
export function conversationsBot(
  redis: Redis,
  prefix: string,
  botInfo: UserFromGetMe,
  fetch: ApiClientOptions['fetch'],
): Bot<Outer> {
  // Answered at the fetch level: a conversation's context gets an Api of its own (built from these
  // client options) whose calls the plugin records, so they are made once, not on every replay.
  const bot = new Bot<Outer>('0:bench', { botInfo, client: { fetch } });
  bot.use(
    conversations({
      storage: { type: 'key', adapter: new RedisAdapter({ instance: redis }), prefix },
    }),
  );
  bot.use(
    createConversation(
      (c: Conversation<Outer, Context>, ctx: Context) => report(c, ctx, async () => undefined),
      'report',
    ),
  );
  bot.hears(/^lapor$/i, (ctx) => ctx.conversation.enter('report'));
  return bot;
}
