import type {
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  KeyboardButton,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
} from 'grammy/types';
import type { Outbound } from '../../engine/types.ts';
import { splitText } from '../split-text.ts';

/** Telegram's limit on one message's text. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram's limit on a button's callback data, in bytes. */
export const CALLBACK_DATA_LIMIT = 64;

/** One `sendMessage` call. */
export interface TelegramMessage {
  text: string;
  parse_mode: 'HTML';
  reply_markup?: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;
  link_preview_options: { is_disabled: true };
}

const SHARE_LOCATION = '📍 Kirim lokasi / Share location';

/** HTML for Telegram: everything escaped (citizens' words come back in summaries), then `*bold*`. */
export function toTelegramHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return escaped.replace(/\*([^*\n]+)\*/g, '<b>$1</b>');
}

/** Short labels sit two to a row; long ones get a row each, so nothing is cut off on a phone. */
function rows<T>(buttons: T[], labels: string[]): T[][] {
  const short = labels.every((l) => [...l].length <= 18);
  const perRow = short ? 2 : 1;
  const out: T[][] = [];
  for (let i = 0; i < buttons.length; i += perRow) out.push(buttons.slice(i, i + perRow));
  return out;
}

/**
 * Renders one of Aduan's messages the Telegram way: choices as an inline keyboard whose callback data
 * is the engine's payload; a location request as a reply keyboard with a "share location" button
 * (its other buttons send their label as text, which the engine understands); anything else removes
 * a reply keyboard left from an earlier question. Long texts are split; the keyboard goes on the last part.
 */
export function renderForTelegram(message: Outbound): TelegramMessage[] {
  const html = splitText(toTelegramHtml(message.text), TELEGRAM_TEXT_LIMIT);
  const choices = (message.choices ?? []).filter(
    (c) => Buffer.byteLength(c.payload, 'utf8') <= CALLBACK_DATA_LIMIT,
  );
  let markup: TelegramMessage['reply_markup'];
  if (message.requestLocation) {
    const buttons: KeyboardButton[] = [
      { text: SHARE_LOCATION, request_location: true },
      ...choices.map((c) => ({ text: c.label })),
    ];
    markup = {
      keyboard: buttons.map((b) => [b]),
      resize_keyboard: true,
      one_time_keyboard: true,
      is_persistent: false,
    };
  } else if (choices.length > 0) {
    const buttons: InlineKeyboardButton[] = choices.map((c) => ({ text: c.label, callback_data: c.payload }));
    markup = {
      inline_keyboard: rows(
        buttons,
        choices.map((c) => c.label),
      ),
    };
  } else {
    markup = { remove_keyboard: true };
  }
  return html.map((text, i) => ({
    text,
    parse_mode: 'HTML' as const,
    link_preview_options: { is_disabled: true as const },
    ...(i === html.length - 1 ? { reply_markup: markup } : {}),
  }));
}
