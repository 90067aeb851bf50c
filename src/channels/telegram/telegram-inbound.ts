import type { Update } from 'grammy/types';
import type { Inbound } from '../../engine/types.ts';
import { normalizeTrackingNumber } from '../../tickets/tracking-number.ts';

/** A tracking number as the bot writes it in its messages. */
const TRACKING_IN_TEXT_ALL = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/g;
/** What answers the rating question of a resolved report's update (a typed 1–5, 6, "belum selesai"). */
const RATING_REPLY = /^(?:[1-6]|belum selesai|belum|not solved)$/i;

/** The longest text taken from one Telegram message (Telegram's own limit is 4096). */
export const MAX_TELEGRAM_TEXT = 4096;

/**
 * What one Telegram update means for Aduan:
 * - `inbound`: one or more messages for the inbound chain, in order (`/status ADU-…` is two);
 * - `callback`: the same, from a pressed inline button; the adapter answers the callback and
 *   removes the keyboard it came from, so an old button cannot answer a later question;
 * - `group`: a message in a group, where the bot does not take reports;
 * - `unsupported`: a message kind we cannot use (voice note, sticker…): the citizen is asked for text;
 * - `ignore`: an update we leave alone on purpose (edits, channel posts, joins…).
 */
export type TelegramUpdate =
  | { kind: 'inbound'; chatId: string; messages: { messageId: string; inbound: Inbound }[] }
  | {
      kind: 'callback';
      chatId: string;
      callbackId: string;
      messageId?: number;
      messages: { messageId: string; inbound: Inbound }[];
    }
  | { kind: 'group'; chatId: string }
  | { kind: 'unsupported'; chatId: string; what: string; languageCode?: string }
  | { kind: 'ignore'; reason: string };

/**
 * Commands and the words the engine already understands. `/start` carries a deep-link payload
 * (`t.me/bot?start=lapor` arrives as `/start lapor`).
 */
const COMMAND_WORDS: Record<string, string> = {
  lapor: 'lapor',
  report: 'lapor',
  status: 'status',
  cek: 'status',
  batal: 'batal',
  cancel: 'batal',
  bantuan: 'bantuan',
  help: 'bantuan',
  bahasa: 'bahasa',
  language: 'bahasa',
  kembali: 'kembali',
  back: 'kembali',
  lewati: 'lewati',
  skip: 'lewati',
};

/** `/cmd@botname args` → `{ command, args }`; null when the text is not a command for this bot. */
function parseCommand(text: string, botUsername: string): { command: string; args: string } | null {
  const match = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) return null;
  const [, command = '', mention, args = ''] = match;
  // `/start@OtherBot` in a chat with several bots is not for us.
  if (mention && mention.toLowerCase() !== botUsername.toLowerCase()) return null;
  return { command: command.toLowerCase(), args: args.trim() };
}

function commandMessages(
  updateId: number,
  command: string,
  args: string,
): { messageId: string; inbound: Inbound }[] {
  const id = `u${updateId}`;
  if (command === 'start')
    return [{ messageId: id, inbound: args ? { kind: 'start', payload: args } : { kind: 'start' } }];
  if (command === 'lapor' || command === 'report')
    return [{ messageId: id, inbound: { kind: 'start', payload: 'lapor' } }];
  const word = COMMAND_WORDS[command];
  if (!word)
    return [{ messageId: id, inbound: { kind: 'text', text: `/${command}${args ? ` ${args}` : ''}` } }];
  const first = { messageId: id, inbound: { kind: 'text', text: word } as Inbound };
  // `/status ADU-7KQ2-M9XF`: ask for the status, then answer the question with the number given.
  return word === 'status' && args
    ? [first, { messageId: `${id}.1`, inbound: { kind: 'text', text: args.slice(0, 64) } }]
    : [first];
}

/**
 * Translates a Telegram update into Aduan's terms. Pure: the adapter does the talking.
 * Message ids for de-duplication are the update id, which Telegram keeps when it delivers again.
 *
 * @example updateToInbound({ update_id: 7, message: { text: 'halo', chat: { id: 42, type: 'private' }, … } }, 'AduanBot')
 *   // → { kind: 'inbound', chatId: '42', messages: [{ messageId: 'u7', inbound: { kind: 'text', text: 'halo' } }] }
 */
export function updateToInbound(update: Update, botUsername: string): TelegramUpdate {
  if (update.callback_query) {
    const query = update.callback_query;
    const chat = query.message?.chat;
    if (chat?.type !== 'private' || typeof query.data !== 'string')
      return { kind: 'ignore', reason: 'callback outside a private chat' };
    return {
      kind: 'callback',
      chatId: String(chat.id),
      callbackId: query.id,
      messageId: query.message?.message_id,
      messages: [{ messageId: `u${update.update_id}`, inbound: { kind: 'choice', payload: query.data } }],
    };
  }
  const message = update.message;
  if (!message)
    return { kind: 'ignore', reason: Object.keys(update).find((k) => k !== 'update_id') ?? 'empty' };
  const chatId = String(message.chat.id);
  if (message.chat.type !== 'private') {
    // Only a direct address in a group is answered (a command or a mention), never every chat line.
    const text = message.text ?? '';
    const addressed = text.startsWith('/') || text.toLowerCase().includes(`@${botUsername.toLowerCase()}`);
    return addressed ? { kind: 'group', chatId } : { kind: 'ignore', reason: 'group chatter' };
  }
  const id = `u${update.update_id}`;
  const one = (inbound: Inbound): TelegramUpdate => ({
    kind: 'inbound',
    chatId,
    messages: [{ messageId: id, inbound }],
  });
  if (typeof message.text === 'string') {
    const command = message.text.startsWith('/') ? parseCommand(message.text, botUsername) : null;
    if (command)
      return {
        kind: 'inbound',
        chatId,
        messages: commandMessages(update.update_id, command.command, command.args),
      };
    // A reply to one of the bot's updates about a report adds to that report ("balas ADU-…"). Not
    // a bare rating ("5", "belum selesai": the answer to the rating question in the same update),
    // and only a real tracking number: the help texts' examples (ADU-7KQ2-M9XF) fail the check symbol.
    const about =
      message.reply_to_message?.from?.is_bot && !RATING_REPLY.test(message.text.trim())
        ? [...(message.reply_to_message.text ?? '').matchAll(TRACKING_IN_TEXT_ALL)]
            .map((m) => normalizeTrackingNumber(m[0]))
            .find((id) => id !== null)
        : undefined;
    if (about)
      return one({ kind: 'text', text: `balas ${about} ${message.text}`.slice(0, MAX_TELEGRAM_TEXT) });
    return one({ kind: 'text', text: message.text.slice(0, MAX_TELEGRAM_TEXT) });
  }
  if (message.location) {
    const { latitude, longitude } = message.location;
    const address = message.venue?.address;
    return one(
      address
        ? { kind: 'location', latitude, longitude, address }
        : { kind: 'location', latitude, longitude },
    );
  }
  const caption = message.caption?.slice(0, MAX_TELEGRAM_TEXT);
  if (message.photo && message.photo.length > 0) {
    // Telegram sends several sizes of one photo; the last is the largest.
    const largest = message.photo[message.photo.length - 1];
    if (largest) {
      const media = {
        ref: `telegram:${largest.file_id}`,
        mimeType: 'image/jpeg',
        ...(largest.file_size ? { size: largest.file_size } : {}),
      };
      return one(caption ? { kind: 'media', media, caption } : { kind: 'media', media });
    }
  }
  if (message.document) {
    const d = message.document;
    const media = {
      ref: `telegram:${d.file_id}`,
      mimeType: d.mime_type ?? 'application/octet-stream',
      ...(d.file_size ? { size: d.file_size } : {}),
      ...(d.file_name ? { fileName: d.file_name.slice(0, 200) } : {}),
    };
    return one(caption ? { kind: 'media', media, caption } : { kind: 'media', media });
  }
  if (message.contact)
    return one({ kind: 'contact', phone: message.contact.phone_number, name: message.contact.first_name });
  const what =
    ['voice', 'audio', 'video', 'video_note', 'sticker', 'animation', 'poll', 'dice'].find(
      (k) => k in message,
    ) ?? 'other';
  const languageCode = message.from?.language_code;
  return languageCode
    ? { kind: 'unsupported', chatId, what, languageCode }
    : { kind: 'unsupported', chatId, what };
}
