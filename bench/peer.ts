/**
 * The peer: Aduan's Telegram adapter (grammY → inbound chain → engine → Redis session) against the
 * same report written with @grammyjs/conversations on Redis storage. Both bots get the same twelve
 * updates per report through `bot.handleUpdate`; every outgoing Bot API call is answered in this
 * process, no network. Aduan's bot: by an API transformer installed last, so it also stands in front
 * of the adapter's throttler and retry (which would hold the bot to Telegram's 30 messages a second).
 * The conversations bot: by the client's `fetch`, because the plugin gives each conversation an Api
 * of its own built from the client options, and records its calls so a replay does not repeat them;
 * that path also builds the JSON request and parses the answer, a few µs per call more.
 *
 * Chats walk the report in lock step, so each message number is timed on its own: turns per second
 * at step k. Step 12 ("kirim" at the summary) is where the conversation function is replayed
 * furthest. Concurrent chats, because the plugin waits a timer tick (`setTimeout(0)`, about 1 ms) at
 * every suspension: one chat at a time would measure that timer, not the work.
 */
import type { ApiClientOptions, Bot, Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { Redis } from 'ioredis';
import { ChannelRegistry } from '../src/channels/channel.ts';
import { TelegramChannel } from '../src/channels/telegram/telegram-channel.ts';
import type { FlowCatalog } from '../src/engine/engine.ts';
import { InboundChain } from '../src/inbound/inbound-chain.ts';
import { createLogger } from '../src/log/logger.ts';
import { Keys } from '../src/redis/keys.ts';
import { withScripts } from '../src/redis/scripts.ts';
import { SessionStore } from '../src/sessions/session-store.ts';
import { TicketStore } from '../src/tickets/ticket-store.ts';
import { alternate, type Figure, fmt, median, roundsText } from './lib.ts';

/** Alternating rounds (the plugin, then Aduan), each half of BENCH_SECONDS. */
const ROUNDS = 3;

import { conversationsBot } from './peer-conversations.ts';
import { CLIENT_OPTIONS, SCRIPT } from './turns.ts';

const BOT_INFO: UserFromGetMe = {
  id: 1,
  is_bot: true,
  first_name: 'Aduan',
  username: 'aduan_bench_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
} as UserFromGetMe;

/** What the Bot API would answer: sendMessage a message, anything else `true`. */
function reply(method: string, payload: { chat_id?: number | string; text?: string }, id: number): unknown {
  return method === 'sendMessage'
    ? {
        message_id: id,
        date: 0,
        chat: { id: Number(payload.chat_id), type: 'private', first_name: 'W' },
        text: payload.text,
      }
    : true;
}

/** Answers every Bot API call of a bot here, as its outermost API transformer. */
function answerLocally(): Transformer {
  let id = 0;
  return (async (_prev, method, payload) => ({
    ok: true,
    result: reply(method, payload as never, ++id),
  })) as Transformer;
}

/** The same as a `fetch` for grammY's client (the request is built and the answer parsed as usual). */
function fetchLocally(): NonNullable<ApiClientOptions['fetch']> {
  let id = 0;
  return (async (url: string, init: { body?: string }) => {
    const method = String(url).slice(String(url).lastIndexOf('/') + 1);
    const body = JSON.stringify({ ok: true, result: reply(method, JSON.parse(init.body ?? '{}'), ++id) });
    return { json: async () => JSON.parse(body) };
  }) as unknown as NonNullable<ApiClientOptions['fetch']>;
}

let updateId = 0;
function textUpdate(chatId: number, text: string): Update {
  const from = { id: chatId, is_bot: false, first_name: 'Warga', language_code: 'id' };
  return {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Warga' },
      from,
      text,
    },
  } as Update;
}

/**
 * Walks batches of `chats` reports through `bot` in lock step for `seconds`: all chats of a batch
 * send message 1 at once, then message 2, … Turns per second at message k = messages k handled ÷
 * the time their phases took.
 */
async function perMessage(bot: Bot, seconds: number, chats: number, firstChat: number): Promise<number[]> {
  const cells = SCRIPT.map(() => ({ n: 0, ms: 0 }));
  const deadline = performance.now() + seconds * 1000;
  for (let batch = firstChat; performance.now() < deadline; batch += chats) {
    for (const [k, inbound] of SCRIPT.entries()) {
      const text = inbound.kind === 'text' ? inbound.text : '';
      const updates = Array.from({ length: chats }, (_, c) => textUpdate(batch + c, text));
      const t0 = performance.now();
      await Promise.all(updates.map((u) => bot.handleUpdate(u)));
      const cell = cells[k] as { n: number; ms: number };
      cell.n += chats;
      cell.ms += performance.now() - t0;
    }
  }
  return cells.map((c) => c.n / (c.ms / 1000));
}

export interface PeerOptions {
  redisUrl: string;
  catalog: FlowCatalog;
  seconds: number;
  /** Reports walked in lock step (concurrent chats). */
  chats: number;
}

export async function benchPeer(o: PeerOptions): Promise<Figure[]> {
  const redis = withScripts(new Redis(o.redisUrl, CLIENT_OPTIONS));
  const keys = new Keys(`bench-peer-${Date.now()}`);
  try {
    let seq = 0;
    const channels = new ChannelRegistry();
    const chain = new InboundChain({
      catalog: () => o.catalog,
      sessions: new SessionStore(redis, keys, { draftTtlSeconds: 86_400 }),
      tickets: new TicketStore(redis, keys),
      channels,
      submit: async () => undefined,
      logger: createLogger('silent'),
      now: () => new Date(),
      newId: () => `peer${seq++}`,
      timeZone: 'Asia/Jakarta',
      messagesPerMinute: 1_000_000,
    });
    const telegram = new TelegramChannel({
      token: '0:bench',
      apiRoot: 'http://127.0.0.1:9',
      handle: (envelope) => chain.handle(envelope),
      firstTimeInGroup: async () => false,
      logger: createLogger('silent'),
    });
    telegram.bot.botInfo = BOT_INFO;
    telegram.bot.api.config.use(answerLocally());
    channels.register(telegram);
    const peer = conversationsBot(redis, `${keys.prefix}:conv:`, BOT_INFO, fetchLocally());

    // Warm up both (JIT, scripts), then measure each.
    await perMessage(telegram.bot, 0.5, o.chats, 1_000_000);
    await perMessage(peer as unknown as Bot, 0.5, o.chats, 2_000_000);
    let firstChat = 3_000_000;
    const rounds = await alternate(
      ROUNDS,
      () => perMessage(peer as unknown as Bot, o.seconds / 2, o.chats, (firstChat += 1_000_000)),
      () => perMessage(telegram.bot, o.seconds / 2, o.chats, (firstChat += 1_000_000)),
      (rates) => rates[11] ?? 0,
    );
    // Per message number: the median over the rounds of each side, and of the rounds' ratios.
    const at = (k: number, side: number[][]) => median(side.map((rates) => rates[k - 1] ?? 0));
    const ratioAt = (k: number) =>
      median(rounds.mine.map((rates, r) => (rates[k - 1] ?? 0) / (rounds.base[r]?.[k - 1] ?? 1)));
    const aduan = SCRIPT.map((_, i) => at(i + 1, rounds.mine));
    const theirs = SCRIPT.map((_, i) => at(i + 1, rounds.base));
    const row = (k: number): Figure => ({
      group: '2',
      name: `Telegram turns/s at step ${k}, ${o.chats} chats`,
      value: at(k, rounds.mine),
      unit: '/s',
      baselineName: '@grammyjs/conversations',
      baselineValue: at(k, rounds.base),
      ratio: ratioAt(k),
      ...(k === 12 ? { target: { min: 5, text: '≥ 5.00' } } : {}),
      ...(k === 12
        ? {
            note: `${roundsText(rounds.ratios)}; turns/s at messages 1…12 (medians) — Aduan: ${aduan.map((x) => fmt(x)).join(' ')}; conversations: ${theirs.map((x) => fmt(x)).join(' ')}`,
          }
        : {}),
    });
    return [row(1), row(12)];
  } finally {
    await redis.quit();
  }
}
