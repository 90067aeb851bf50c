import { z } from 'zod';
import type { Inbound } from '../../engine/types.ts';
import { MAX_WHATSAPP_TEXT } from '../whatsapp/whatsapp-inbound.ts';

/** A WhatsApp user's id in the Cloud API: their phone number in international form, digits only. */
const WA_ID = /^\d{5,20}$/;

const text = z.string().max(100_000);
const mediaSchema = z.object({
  id: z.string().min(1).max(200),
  mime_type: z.string().max(200).optional(),
  caption: text.optional(),
  filename: z.string().max(1000).optional(),
});
const messageSchema = z.object({
  from: z.string(),
  id: z.string().min(1).max(200),
  timestamp: z.coerce.number(),
  type: z.string(),
  text: z.object({ body: text }).optional(),
  interactive: z
    .object({
      type: z.string(),
      button_reply: z.object({ id: z.string(), title: z.string().optional() }).optional(),
      list_reply: z.object({ id: z.string(), title: z.string().optional() }).optional(),
    })
    .optional(),
  /** A quick-reply button of a template message: its text is what the citizen "said". */
  button: z.object({ text: z.string().optional(), payload: z.string().optional() }).optional(),
  location: z
    .object({
      latitude: z.coerce.number(),
      longitude: z.coerce.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
  image: mediaSchema.optional(),
  document: mediaSchema.optional(),
  contacts: z
    .array(
      z.object({
        name: z.object({ formatted_name: z.string().optional() }).optional(),
        phones: z.array(z.object({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
      }),
    )
    .optional(),
});
const statusSchema = z.object({
  id: z.string().min(1).max(200),
  status: z.string(),
  timestamp: z.coerce.number(),
  recipient_id: z.string().optional(),
  errors: z
    .array(
      z.object({ code: z.coerce.number(), title: z.string().optional(), message: z.string().optional() }),
    )
    .optional(),
});

/**
 * A webhook notification as Meta posts it:
 * `{object:'whatsapp_business_account', entry:[{id, changes:[{field:'messages', value:{messaging_product,
 * metadata:{display_phone_number, phone_number_id}, contacts, messages|statuses}}]}]}`.
 * Items are checked one by one, so one odd message does not drop the others.
 */
export const cloudNotificationSchema = z.object({
  object: z.string(),
  entry: z.array(
    z.object({
      changes: z.array(
        z.object({
          field: z.string(),
          value: z.object({
            metadata: z.object({ phone_number_id: z.string() }).optional(),
            messages: z.array(z.unknown()).optional(),
            statuses: z.array(z.unknown()).optional(),
          }),
        }),
      ),
    }),
  ),
});

/** What WhatsApp tells us about a message we sent. */
export type CloudDeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

/**
 * One item of a notification, in Aduan's terms:
 * - `inbound`: a message for the inbound chain;
 * - `media`: a photo or document to fetch from the Graph API first (the adapter does the I/O);
 * - `unsupported`: a kind we cannot use (voice note, sticker, video…): the citizen is asked for text;
 * - `status`: a delivery status of a message we sent;
 * - `ignore`: left alone on purpose (another number's traffic, reactions, system notices…).
 */
export type CloudEvent =
  | { kind: 'inbound'; chatId: string; messageId: string; sentAtMs: number; inbound: Inbound }
  | {
      kind: 'media';
      chatId: string;
      messageId: string;
      sentAtMs: number;
      /** `image` or `document`. */
      what: string;
      mediaId: string;
      mimeType?: string;
      fileName?: string;
      caption?: string;
    }
  | { kind: 'unsupported'; chatId: string; messageId: string; sentAtMs: number; what: string }
  | {
      kind: 'status';
      messageId: string;
      status: CloudDeliveryStatus;
      atMs: number;
      error?: { code: number; title: string };
    }
  | { kind: 'ignore'; reason: string };

/** Message types that are not something a person said to the bot. */
const SILENT = new Set(['reaction', 'system', 'ephemeral', 'request_welcome']);
const STATUSES = new Set<string>(['sent', 'delivered', 'read', 'failed']);

function messageToEvent(raw: unknown): CloudEvent {
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'ignore', reason: 'malformed message' };
  const m = parsed.data;
  if (!WA_ID.test(m.from)) return { kind: 'ignore', reason: 'not a user' };
  const base = { chatId: m.from, messageId: m.id, sentAtMs: m.timestamp * 1000 };
  const one = (inbound: Inbound): CloudEvent => ({ kind: 'inbound', ...base, inbound });
  if (SILENT.has(m.type)) return { kind: 'ignore', reason: m.type };
  switch (m.type) {
    case 'text': {
      const body = m.text?.body.trim() ?? '';
      return body
        ? one({ kind: 'text', text: body.slice(0, MAX_WHATSAPP_TEXT) })
        : { kind: 'ignore', reason: 'empty text' };
    }
    case 'interactive': {
      // Our button and row ids are the engine's choice payloads.
      const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
      return reply?.id
        ? one({ kind: 'choice', payload: reply.id })
        : { kind: 'unsupported', ...base, what: 'interactive' };
    }
    case 'button': {
      const said = (m.button?.text ?? m.button?.payload ?? '').trim();
      return said
        ? one({ kind: 'text', text: said.slice(0, MAX_WHATSAPP_TEXT) })
        : { kind: 'ignore', reason: 'empty button' };
    }
    case 'location': {
      const l = m.location;
      const valid =
        l &&
        Number.isFinite(l.latitude) &&
        Number.isFinite(l.longitude) &&
        Math.abs(l.latitude) <= 90 &&
        Math.abs(l.longitude) <= 180;
      if (!l || !valid) return { kind: 'unsupported', ...base, what: 'location' };
      const place = l.address || l.name;
      return one(
        place
          ? { kind: 'location', latitude: l.latitude, longitude: l.longitude, address: place.slice(0, 500) }
          : { kind: 'location', latitude: l.latitude, longitude: l.longitude },
      );
    }
    case 'image':
    case 'document': {
      const media = m[m.type];
      if (!media) return { kind: 'unsupported', ...base, what: m.type };
      const caption = media.caption?.trim();
      return {
        kind: 'media',
        ...base,
        what: m.type,
        mediaId: media.id,
        ...(media.mime_type ? { mimeType: media.mime_type.split(';')[0]?.trim() ?? media.mime_type } : {}),
        ...(media.filename ? { fileName: media.filename.slice(0, 200) } : {}),
        ...(caption ? { caption: caption.slice(0, MAX_WHATSAPP_TEXT) } : {}),
      };
    }
    case 'contacts': {
      const card = m.contacts?.[0];
      const phone = card?.phones?.find((p) => p.wa_id || p.phone);
      const number = phone?.wa_id ? `+${phone.wa_id}` : phone?.phone?.replace(/[^\d+]/g, '');
      if (!number) return { kind: 'unsupported', ...base, what: 'contacts' };
      const name = card?.name?.formatted_name?.trim();
      return one(
        name
          ? { kind: 'contact', phone: number, name: name.slice(0, 200) }
          : { kind: 'contact', phone: number },
      );
    }
    default:
      // Voice notes (`audio`), stickers, video, orders, `unsupported`…: the adapter asks for text.
      return { kind: 'unsupported', ...base, what: m.type };
  }
}

function statusToEvent(raw: unknown): CloudEvent {
  const parsed = statusSchema.safeParse(raw);
  if (!parsed.success || !STATUSES.has(parsed.data.status))
    return { kind: 'ignore', reason: 'unknown status' };
  const s = parsed.data;
  const error = s.errors?.[0];
  return {
    kind: 'status',
    messageId: s.id,
    status: s.status as CloudDeliveryStatus,
    atMs: s.timestamp * 1000,
    ...(error
      ? { error: { code: error.code, title: (error.title ?? error.message ?? '').slice(0, 200) } }
      : {}),
  };
}

/**
 * Translates one webhook notification into events, in the order Meta listed them. Pure: the
 * adapter does the talking. Only our own phone number's traffic counts (one WhatsApp Business
 * Account may hold several numbers, and the app receives all of them).
 *
 * @example notificationToEvents({ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages',
 *   value: { metadata: { phone_number_id: '1234567890' }, messages: [{ from: '6281234567890', id: 'wamid.A',
 *   timestamp: '1767225600', type: 'text', text: { body: 'lapor' } }] } }] }] }, '1234567890')
 *   // → [{ kind: 'inbound', chatId: '6281234567890', messageId: 'wamid.A', sentAtMs: 1767225600000,
 *   //      inbound: { kind: 'text', text: 'lapor' } }]
 * @returns null when the body is not a WhatsApp Business Account notification at all
 */
export function notificationToEvents(body: unknown, phoneNumberId: string): CloudEvent[] | null {
  const parsed = cloudNotificationSchema.safeParse(body);
  if (!parsed.success || parsed.data.object !== 'whatsapp_business_account') return null;
  const events: CloudEvent[] = [];
  for (const entry of parsed.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') continue;
      const { metadata, messages, statuses } = change.value;
      if (metadata?.phone_number_id !== phoneNumberId) {
        events.push({ kind: 'ignore', reason: 'another phone number' });
        continue;
      }
      for (const message of messages ?? []) events.push(messageToEvent(message));
      for (const status of statuses ?? []) events.push(statusToEvent(status));
    }
  }
  return events;
}
