import type { Inbound } from '../../engine/types.ts';
import type { WhatsAppMessage } from './whatsapp-library.ts';

/** The longest text taken from one WhatsApp message (the same cap as Telegram's). */
export const MAX_WHATSAPP_TEXT = 4096;

/**
 * What one received WhatsApp message means for Aduan:
 * - `inbound`: a message for the inbound chain;
 * - `media`: a photo or document to download first (the adapter does the I/O);
 * - `unsupported`: a kind we cannot use (voice note, sticker, video…): the citizen is asked for text;
 * - `ignore`: left alone on purpose (groups, status broadcasts, our own messages, old backlog…).
 */
export type WhatsAppInbound =
  | { kind: 'inbound'; chatId: string; messageId: string; inbound: Inbound }
  | {
      kind: 'media';
      chatId: string;
      messageId: string;
      caption?: string;
      /** The message type: `image` or `document`. */
      what: string;
    }
  | { kind: 'unsupported'; chatId: string; messageId: string; what: string }
  | { kind: 'ignore'; reason: string };

/**
 * A one-to-one chat: a phone number (`6281234567890@c.us`) or WhatsApp's newer privacy id
 * (`123456789012345@lid`). Groups end in `@g.us`, broadcasts and status in `@broadcast`,
 * channels in `@newsletter`.
 */
const PRIVATE_CHAT = /^\d{5,20}@(?:c\.us|lid)$/;

/** Types that are not something a person said: receipts, notices, reactions, revoked messages. */
const SILENT_TYPES = new Set([
  'revoked',
  'e2e_notification',
  'notification',
  'notification_template',
  'gp2',
  'group_notification',
  'call_log',
  'protocol',
  'reaction',
  'ciphertext',
  'debug',
  'broadcast_notification',
]);

/** First value of a vCard property (`TEL;type=CELL;waid=62812…:+62 812-…`), unfolded. */
function vcardField(card: string, name: string): string | undefined {
  const unfolded = card.replace(/\r?\n[ \t]/g, '');
  const line = unfolded.split(/\r?\n/).find((l) => new RegExp(`^${name}[;:]`, 'i').test(l));
  const value = line?.slice(line.indexOf(':') + 1).trim();
  return value ? value : undefined;
}

function contactFromVCard(card: string): Inbound | null {
  const tel = vcardField(card, 'TEL');
  // `waid=` is the number WhatsApp knows, without formatting; fall back to the written one.
  const waid = /waid=(\d+)/i.exec(card)?.[1];
  const phone = waid ? `+${waid}` : tel?.replace(/[^\d+]/g, '');
  if (!phone) return null;
  const name = vcardField(card, 'FN');
  return name ? { kind: 'contact', phone, name: name.slice(0, 200) } : { kind: 'contact', phone };
}

/**
 * Translates a received whatsapp-web.js message into Aduan's terms. Pure: the adapter does the talking.
 * Message ids for de-duplication are `id._serialized`, which WhatsApp keeps when it delivers again.
 *
 * @param notBeforeMs messages sent before this instant (epoch ms) are backlog and ignored.
 * @example messageToInbound({ from: '6281234567890@c.us', type: 'chat', body: '1', … }, 0)
 *   // → { kind: 'inbound', chatId: '6281234567890@c.us', messageId: 'false_…', inbound: { kind: 'text', text: '1' } }
 */
export function messageToInbound(message: WhatsAppMessage, notBeforeMs: number): WhatsAppInbound {
  if (message.fromMe || message.id?.fromMe) return { kind: 'ignore', reason: 'own message' };
  if (message.isStatus || message.from === 'status@broadcast') return { kind: 'ignore', reason: 'status' };
  if (message.from.endsWith('@g.us')) return { kind: 'ignore', reason: 'group' };
  if (message.broadcast || !PRIVATE_CHAT.test(message.from))
    return { kind: 'ignore', reason: 'not a private chat' };
  if (SILENT_TYPES.has(message.type)) return { kind: 'ignore', reason: message.type };
  if (message.timestamp * 1000 < notBeforeMs) return { kind: 'ignore', reason: 'backlog' };
  const chatId = message.from;
  const messageId = message.id._serialized;
  const one = (inbound: Inbound): WhatsAppInbound => ({ kind: 'inbound', chatId, messageId, inbound });
  const body = (message.body ?? '').trim();
  switch (message.type) {
    case 'chat':
      return body
        ? one({ kind: 'text', text: body.slice(0, MAX_WHATSAPP_TEXT) })
        : { kind: 'ignore', reason: 'empty text' };
    case 'location': {
      // The library's types say string, its code stores what WhatsApp gives (numbers): accept both.
      const latitude = Number(message.location?.latitude);
      const longitude = Number(message.location?.longitude);
      const valid =
        Number.isFinite(latitude) &&
        Number.isFinite(longitude) &&
        Math.abs(latitude) <= 90 &&
        Math.abs(longitude) <= 180;
      if (!valid) return { kind: 'unsupported', chatId, messageId, what: 'location' };
      const place = message.location.address || message.location.name || message.location.description;
      return one(
        place
          ? { kind: 'location', latitude, longitude, address: String(place).slice(0, 500) }
          : { kind: 'location', latitude, longitude },
      );
    }
    case 'image':
    case 'document':
      if (!message.hasMedia) return { kind: 'unsupported', chatId, messageId, what: message.type };
      return body
        ? { kind: 'media', chatId, messageId, what: message.type, caption: body.slice(0, MAX_WHATSAPP_TEXT) }
        : { kind: 'media', chatId, messageId, what: message.type };
    case 'vcard':
    case 'multi_vcard': {
      const contact = message.vCards?.[0] ? contactFromVCard(message.vCards[0]) : null;
      return contact ? one(contact) : { kind: 'unsupported', chatId, messageId, what: message.type };
    }
    default:
      // Voice notes (`ptt`), audio, stickers, video, polls…: the adapter asks for text politely.
      return { kind: 'unsupported', chatId, messageId, what: message.type };
  }
}
