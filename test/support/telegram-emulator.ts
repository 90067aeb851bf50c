/**
 * A Telegram Bot API server for tests, on loopback, that answers as Telegram does.
 *
 * Real grammY talks to it over HTTP (`new Bot(token, { client: { apiRoot: emu.apiRoot } })`), so the
 * code under test runs unchanged: long polling or a webhook, JSON / urlencoded / multipart bodies, the
 * `{ ok, result }` / `{ ok: false, error_code, description, parameters }` envelopes with matching HTTP
 * statuses, and Telegram's error texts where a bot is likely to trip (chat not found, blocked, message is
 * not modified, can't parse entities, button data too long, 409 conflicts, 429 retry_after).
 *
 * The test side plays the citizen (`sendText`, `pressButton`, `sendLocation`, `sendPhoto`, ...) and
 * watches the bot (`messages`, `waitForMessage`, `calls`, `waitForCall`), and can inject faults
 * (`failNext`, `delayNext`, `stallNext`, `dropNext`, `block`).
 *
 * Deliberate differences from Telegram, all in the test's favour: update and message ids start at 1,
 * webhooks may be plain http (Telegram wants https), photos keep the exact bytes the test sent (Telegram
 * re-encodes them), and a webhook update that keeps failing is dropped after a few quick retries rather
 * than retried for hours.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type {
  BotCommand,
  Chat,
  ForceReply,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  PhotoSize,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
  Update,
  User,
  UserFromGetMe,
  WebhookInfo,
} from 'grammy/types';

/** A token of the shape BotFather hands out; its number (123456) is the bot's user id. */
export const DEFAULT_TOKEN = '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11';

/** How a test names a chat: a private chat's id (= the citizen's user id), or a fuller description. */
export type ChatRef = number | ChatSpec;

/** A chat as the test describes it; anything left out gets a plausible default. */
export interface ChatSpec {
  /** Positive for private chats (it is the user's id), negative for groups and channels. */
  id: number;
  /** Default: 'private' for a positive id, 'group' or 'supergroup' (-100…) for a negative one. */
  type?: 'private' | 'group' | 'supergroup' | 'channel';
  first_name?: string;
  last_name?: string;
  username?: string;
  /** Group or channel title. */
  title?: string;
  /** The citizen's app language, which Telegram passes on as `from.language_code`; default 'id'. */
  language_code?: string;
  /** Who speaks in a group when a call does not say; default a fixed citizen. */
  from?: Partial<User> & { id: number };
}

/** Per-message options for the citizen's actions. */
export interface CitizenOptions {
  /** The message (by id, in the same chat) this one replies to. */
  replyTo?: number;
  /** A different sender, for groups. */
  from?: Partial<User> & { id: number };
}

/** Any markup a bot can attach to a message. */
export type SentMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;

/**
 * A message the bot sent, in its current state (after edits).
 *
 * `reply_markup` is whatever the bot attached, reply keyboards included; Telegram itself only ever
 * echoes inline keyboards back, and the API answers here do the same.
 */
export interface BotMessage {
  message_id: number;
  date: number;
  edit_date?: number;
  chat: Chat;
  from: User;
  /** The text as the citizen sees it: parse_mode markup removed, entities in `entities`. */
  text?: string;
  entities?: MessageEntity[];
  reply_markup?: SentMarkup;
  reply_to_message?: Message;
  /** The text exactly as the bot sent it, before `parse_mode` was applied. */
  raw_text?: string;
  parse_mode?: string;
}

/** Telegram's answer envelope. */
export type ApiResponse =
  | { ok: true; result: unknown; description?: string }
  | {
      ok: false;
      error_code: number;
      description: string;
      parameters?: { retry_after?: number; migrate_to_chat_id?: number };
    };

/** One Bot API call the emulator received. */
export interface ApiCall {
  method: string;
  /** Parameters as received; JSON-looking strings from form bodies are decoded. */
  params: Record<string, unknown>;
  /** Filled in once answered. */
  response?: ApiResponse;
  /** Milliseconds since the epoch when the call arrived. */
  at: number;
  /** True when the bot made this call as the body of its webhook response. */
  webhookReply?: boolean;
  /** True when `stallNext` swallowed this call: never answered and never carried out. */
  stalled?: boolean;
  /** True when `dropNext` cut this call's connection: never answered and never carried out. */
  dropped?: boolean;
}

/** An error envelope for `failNext`; `retry_after` goes into `parameters`, as Telegram does for 429. */
export interface FaultSpec {
  error_code: number;
  description: string;
  retry_after?: number;
  migrate_to_chat_id?: number;
}

/** What `waitForMessage` looks for: a substring or pattern of the text (or caption), or a predicate. */
export type MessageMatcher = string | RegExp | ((message: BotMessage) => boolean);

/** Options for `waitForMessage`. */
export interface WaitOptions {
  /** Default 15 000. */
  timeoutMs?: number;
  /**
   * Skip the first `after` bot messages of the chat (counted as `sentCount` does); take the count just
   * before the action whose answer you wait for.
   */
  after?: number;
}

/** A file a citizen sent, as the emulator keeps it. */
export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  bytes: Buffer;
  mime_type?: string;
}

/** Options for `startTelegramEmulator`. */
export interface TelegramEmulatorOptions {
  /** The bot token; default `DEFAULT_TOKEN`. */
  token?: string;
  /** getMe's first_name; default 'Aduan Test'. */
  botName?: string;
  /** getMe's username; default 'aduan_test_bot'. */
  botUsername?: string;
  /** Further attempts after a failed webhook delivery before the update is dropped; default 3. */
  webhookRetries?: number;
  /** Pause between webhook attempts; default 100 ms. */
  webhookRetryDelayMs?: number;
  /** How long one webhook delivery may take; default 10 000 ms. */
  webhookTimeoutMs?: number;
}

/** The running emulator: Bot API server plus the citizen's and the observer's controls. */
export interface TelegramEmulator {
  /** `http://127.0.0.1:PORT`, for grammY's `client.apiRoot`. */
  readonly apiRoot: string;
  readonly token: string;
  /** What getMe answers. */
  readonly me: UserFromGetMe;

  /** Makes a chat known without a message from it, as if the citizen had started the bot earlier. */
  addChat(chat: ChatRef): Chat;
  /** The citizen types a message; a leading `/command` gets a bot_command entity as in Telegram. */
  sendText(chat: ChatRef, text: string, options?: CitizenOptions): Update;
  /** The citizen sends `/command payload` (the slash is optional), e.g. a deep link's `/start lapor`. */
  sendCommand(chat: ChatRef, command: string, payload?: string, options?: CitizenOptions): Update;
  /**
   * The citizen taps an inline button of one of the bot's messages, chosen by its callback_data or
   * `{ text }`. Throws when that message does not (or no longer) show such a button.
   */
  pressButton(chat: ChatRef, messageId: number, button: string | { text: string }): Update;
  /** The citizen taps a button of the reply keyboard currently shown; throws if it is not shown. */
  tapKeyboard(chat: ChatRef, text: string): Update;
  sendLocation(chat: ChatRef, latitude: number, longitude: number, options?: CitizenOptions): Update;
  /** Sends a photo: three sizes, the largest holding exactly `bytes` (smaller ones are truncated copies). */
  sendPhoto(chat: ChatRef, bytes: Buffer, caption?: string, options?: CitizenOptions): Update;
  sendDocument(
    chat: ChatRef,
    bytes: Buffer,
    fileName: string,
    mimeType: string,
    caption?: string,
    options?: CitizenOptions,
  ): Update;
  /** Shares a contact; by default the citizen's own, as a request_contact button does. */
  sendContact(
    chat: ChatRef,
    phoneNumber: string,
    contact?: { first_name?: string; last_name?: string; user_id?: number },
  ): Update;
  /** The citizen edits one of their own messages: an `edited_message` update. */
  editText(chat: ChatRef, messageId: number, newText: string): Update;
  /** A post in a channel the bot is in; a bare number is taken as the channel's (negative) id. */
  channelPost(chat: ChatRef, text: string): Update;
  /** Queues any update body, for kinds the helpers above do not cover. */
  queueUpdate(body: Omit<Update, 'update_id'>): Update;
  /** Queues an already sent update again, same update_id, as Telegram may after a lost answer. */
  redeliver(updateId: number): Update;

  /** The bot's messages in a chat, oldest first, in their current state; deleted ones left out. */
  messages(chatId: number): BotMessage[];
  /** The bot's newest message in the chat that is not deleted. */
  lastMessage(chatId: number): BotMessage | undefined;
  /** How many messages the bot has ever sent to the chat, deleted ones included (for `after`). */
  sentCount(chatId: number): number;
  /** Both sides of the conversation, oldest first. */
  history(chatId: number): Message[];
  /** The reply keyboard the citizen currently sees, if any. */
  replyKeyboard(chatId: number): ReplyKeyboardMarkup | undefined;
  /** Resolves with the first bot message matching; `options` may be just a timeout in ms. */
  waitForMessage(chatId: number, match: MessageMatcher, options?: number | WaitOptions): Promise<BotMessage>;
  /** Every API call received so far, or only those of one method. */
  calls(method?: string): ApiCall[];
  /** Resolves with the first answered call of `method` (from index `after` of `calls(method)`) matching. */
  waitForCall(
    method: string,
    predicate?: (call: ApiCall) => boolean,
    options?: number | WaitOptions,
  ): Promise<ApiCall>;
  /** Commands set for a language ('' = default) and scope (default `{ type: 'default' }`). */
  commands(languageCode?: string, scope?: Record<string, unknown>): BotCommand[];
  /** A file by file_id. */
  file(fileId: string): StoredFile | undefined;
  /** Updates not yet confirmed by the bot (or delivered to its webhook). */
  pendingUpdates(): Update[];

  /** The next `times` calls of `method` answer with this error instead. */
  failNext(method: string, times: number, error: FaultSpec): void;
  /**
   * The next `times` (default 1) calls of `method` are answered `ms` later (processed after the pause,
   * even when the bot stopped waiting before: a call carried out whose answer was lost).
   */
  delayNext(method: string, ms: number, times?: number): void;
  /**
   * The next `times` (default 1) calls of `method` are lost on the way: recorded (with `stalled`) but
   * never carried out and never answered; the connection stays open until the bot gives up on it
   * (or `close`). Checked before `delayNext` and `failNext`, which are left for the calls after.
   */
  stallNext(method: string, times?: number): void;
  /**
   * The next `times` (default 1) calls of `method` fail at the network level at once: recorded (with
   * `dropped`), never carried out, and their connection is cut without an answer (the bot sees a
   * reset connection, as when a network path fails). Checked after `stallNext`, before the others.
   */
  dropNext(method: string, times?: number): void;
  /**
   * The citizen blocks the bot (in a group: removes it): later sends, edits and chat actions to the
   * chat answer 403, and the bot gets a `my_chat_member` update unless `silent`.
   */
  block(chatId: number, options?: { silent?: boolean }): void;
  /** Undoes `block` (another `my_chat_member` update unless `silent`). */
  unblock(chatId: number, options?: { silent?: boolean }): void;

  /** Stops the server; pending long polls are answered with no updates first. */
  close(): Promise<void>;
}

/** Starts an emulator on 127.0.0.1 on a free port. */
export async function startTelegramEmulator(
  options: TelegramEmulatorOptions = {},
): Promise<TelegramEmulator> {
  const emulator = new Emulator(options);
  await emulator.listen();
  return emulator;
}

// ---------------------------------------------------------------------------------------------------
// Errors and parameters

/** A Bot API error; turned into the `{ ok: false }` envelope with the same HTTP status. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
  }

  envelope(): ApiResponse {
    return {
      ok: false,
      error_code: this.code,
      description: this.description,
      ...(this.parameters ? { parameters: this.parameters } : {}),
    };
  }
}

const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);
const parseError = (what: string) => badRequest(`can't parse entities: ${what}`);

/** A successful result that also carries Telegram's informational `description` (setWebhook does). */
class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

type Params = Record<string, unknown>;
type Handler = (params: Params, signal: AbortSignal) => unknown;

/** A file part of a multipart body. */
class UploadedFile {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    readonly data: Buffer,
  ) {}
}

// Form bodies carry everything as strings, so handlers accept both the JSON and the string spelling.
function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

function requireInt(params: Params, name: string): number {
  const v = params[name];
  if (v === undefined || v === null || v === '') throw badRequest(`${name} is empty`);
  const n = int(v);
  if (n === undefined) throw badRequest(`invalid ${name} specified`);
  return n;
}

function bool(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function jsonParam(v: unknown, error: string): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw badRequest(error);
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** JSON with sorted keys, so two equal markups compare equal whatever order the bot built them in. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : value,
  );
}

function randomId(prefix: string, bytes: number): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

// ---------------------------------------------------------------------------------------------------
// Text formatting: Telegram strips parse_mode markup into entities and rejects malformed markup.

interface Formatted {
  text: string;
  entities: MessageEntity[];
}

// Telegram reports parse errors at UTF-8 byte offsets.
function byteOffset(src: string, index: number): number {
  return Buffer.byteLength(src.slice(0, index), 'utf8');
}

function sortEntities(entities: MessageEntity[]): MessageEntity[] {
  return entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

const HTML_TAGS: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  span: 'spoiler',
  'tg-spoiler': 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};

function parseAttributes(src: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of src.matchAll(/([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    const name = (m[1] ?? '').toLowerCase();
    attrs[name] = decodeHtml(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function decodeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot);/g, (whole, name: string) => {
    if (name === 'lt') return '<';
    if (name === 'gt') return '>';
    if (name === 'amp') return '&';
    if (name === 'quot') return '"';
    const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

interface OpenTag {
  name: string;
  type: string;
  offset: number;
  extra: Record<string, string>;
  /** A `<code class="language-x">` inside `<pre>` only names the pre's language. */
  merged?: boolean;
}

function parseHtml(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: OpenTag[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === '&') {
      const m = /^&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot);/.exec(src.slice(i, i + 12));
      if (m) {
        text += decodeHtml(m[0]);
        i += m[0].length;
        continue;
      }
      text += ch;
      i++;
      continue;
    }
    if (ch !== '<') {
      text += ch;
      i++;
      continue;
    }
    const at = byteOffset(src, i);
    const end = src.indexOf('>', i);
    if (end === -1) throw parseError(`Unclosed start tag at byte offset ${at}`);
    const inner = src.slice(i + 1, end);
    i = end + 1;
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      const top = open.pop();
      if (!top) throw parseError(`Unexpected end tag at byte offset ${at}`);
      if (top.name !== name) {
        throw parseError(
          `Unmatched end tag at byte offset ${at}, expected "</${top.name}>", found "</${name}>"`,
        );
      }
      if (!top.merged && text.length > top.offset) {
        const entity: Record<string, unknown> = {
          type: top.type,
          offset: top.offset,
          length: text.length - top.offset,
        };
        Object.assign(entity, top.extra);
        entities.push(entity as unknown as MessageEntity);
      }
      continue;
    }
    const name = (/^[a-zA-Z][a-zA-Z0-9-]*/.exec(inner)?.[0] ?? '').toLowerCase();
    let type = HTML_TAGS[name];
    if (!type) throw parseError(`Unsupported start tag "${name}" at byte offset ${at}`);
    const attrs = parseAttributes(inner.slice(name.length));
    const tag: OpenTag = { name, type, offset: text.length, extra: {} };
    if (name === 'span' && attrs.class !== 'tg-spoiler') {
      throw parseError(`Tag "span" must have class "tg-spoiler" at byte offset ${at}`);
    }
    if (name === 'a') {
      const href = attrs.href ?? '';
      if (href.startsWith('tg://user?id=')) {
        type = 'text_mention';
        tag.type = type;
      }
      tag.extra = { url: href };
    }
    if (name === 'tg-emoji') tag.extra = { custom_emoji_id: attrs['emoji-id'] ?? '' };
    if (name === 'blockquote' && 'expandable' in attrs) tag.type = 'expandable_blockquote';
    const parent = open[open.length - 1];
    if (name === 'code' && parent?.name === 'pre' && attrs.class?.startsWith('language-')) {
      parent.extra = { language: attrs.class.slice('language-'.length) };
      tag.merged = true;
    }
    open.push(tag);
  }
  const unclosed = open[open.length - 1];
  if (unclosed) throw parseError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  return { text, entities: sortEntities(entities) };
}

const MDV2_RESERVED = '_*[]()~`>#+-=|{}.!';
const ENTITY_NAMES: Record<string, string> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  code: 'Code',
  pre: 'Pre',
  text_link: 'TextUrl',
  custom_emoji: 'CustomEmoji',
};

interface OpenMd {
  type: string;
  offset: number;
  at: number;
  language?: string;
}

/** Reads `(url)` after a link's `]`, with MarkdownV2's `\)` and `\\` escapes. */
function readMdUrl(src: string, from: number): { url: string; next: number } | undefined {
  if (src[from] !== '(') return undefined;
  let url = '';
  for (let j = from + 1; j < src.length; j++) {
    const c = src[j] as string;
    if (c === '\\' && j + 1 < src.length) {
      url += src[j + 1];
      j++;
    } else if (c === ')') {
      return { url, next: j + 1 };
    } else {
      url += c;
    }
  }
  return undefined;
}

function parseMarkdownV2(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  const stack: OpenMd[] = [];
  let quoteStart: number | undefined;
  const push = (type: string, i: number, language?: string) =>
    stack.push({ type, offset: text.length, at: byteOffset(src, i), ...(language ? { language } : {}) });
  const close = (top: OpenMd, extra: Record<string, unknown> = {}) => {
    stack.pop();
    if (text.length > top.offset) {
      entities.push({
        type: top.type,
        offset: top.offset,
        length: text.length - top.offset,
        ...(top.language ? { language: top.language } : {}),
        ...extra,
      } as unknown as MessageEntity);
    }
  };
  const endQuote = () => {
    if (quoteStart !== undefined && text.length > quoteStart) {
      entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
    }
    quoteStart = undefined;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    const top = stack[stack.length - 1];
    const next = src.charCodeAt(i + 1);
    if (c === '\\' && next > 0 && next <= 126) {
      text += src[i + 1];
      i++;
      continue;
    }
    if (top && (top.type === 'code' || top.type === 'pre')) {
      // Inside code only ` and \ are special.
      if (c !== '`') {
        text += c;
      } else if (top.type === 'code') {
        close(top);
      } else if (src.startsWith('```', i)) {
        close(top);
        i += 2;
      } else {
        text += c;
      }
      continue;
    }
    if (c === '\n') {
      if (quoteStart !== undefined && src[i + 1] !== '>') endQuote();
      text += c;
      continue;
    }
    if (c === '>' && (i === 0 || src[i - 1] === '\n')) {
      quoteStart ??= text.length;
      continue;
    }
    if (!MDV2_RESERVED.includes(c)) {
      text += c;
      continue;
    }
    if (top) {
      let ends = false;
      let skip = 0;
      if (top.type === 'bold') ends = c === '*';
      else if (top.type === 'italic')
        ends = c === '_' && (src[i + 1] !== '_' || stack.at(-2)?.type === 'underline');
      else if (top.type === 'underline') {
        ends = c === '_' && src[i + 1] === '_';
        skip = 1;
      } else if (top.type === 'strikethrough') ends = c === '~';
      else if (top.type === 'spoiler') {
        ends = c === '|' && src[i + 1] === '|';
        skip = 1;
      } else if (top.type === 'text_link' || top.type === 'custom_emoji') ends = c === ']';
      if (ends) {
        if (top.type === 'text_link' || top.type === 'custom_emoji') {
          const link = readMdUrl(src, i + 1);
          if (!link) {
            // `[text]` without `(url)` stays plain text, as in Telegram.
            stack.pop();
            continue;
          }
          const extra =
            top.type === 'custom_emoji'
              ? { custom_emoji_id: /[?&]id=(\d+)/.exec(link.url)?.[1] ?? '' }
              : { url: link.url };
          close(top, extra);
          i = link.next - 1;
          continue;
        }
        close(top);
        i += skip;
        continue;
      }
    }
    if (c === '*') push('bold', i);
    else if (c === '_') {
      if (src[i + 1] === '_') {
        push('underline', i);
        i++;
      } else push('italic', i);
    } else if (c === '~') push('strikethrough', i);
    else if (c === '|' && src[i + 1] === '|') {
      push('spoiler', i);
      i++;
    } else if (c === '[') push('text_link', i);
    else if (c === '!' && src[i + 1] === '[') {
      push('custom_emoji', i);
      i++;
    } else if (c === '`') {
      if (src.startsWith('```', i)) {
        const newline = src.indexOf('\n', i + 3);
        const firstLine = newline === -1 ? '' : src.slice(i + 3, newline);
        const language = /^[\w+#.-]+$/.test(firstLine) ? firstLine : undefined;
        push('pre', i, language);
        i += 2 + (language ? firstLine.length + 1 : 0);
      } else push('code', i);
    } else {
      throw parseError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    }
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed) {
    throw parseError(
      `Can't find end of ${ENTITY_NAMES[unclosed.type] ?? unclosed.type} entity at byte offset ${unclosed.at}`,
    );
  }
  endQuote();
  return { text, entities: sortEntities(entities) };
}

/** Telegram's legacy `Markdown`: no nesting, `_ * \` [` are the only specials. */
function parseMarkdown(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  let i = 0;
  const missingEnd = (at: number) =>
    parseError(`Can't find end of the entity starting at byte offset ${byteOffset(src, at)}`);
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '\\' && '_*`['.includes(src[i + 1] ?? '')) {
      text += src[i + 1];
      i += 2;
      continue;
    }
    if (c === '`' && src.startsWith('```', i)) {
      const end = src.indexOf('```', i + 3);
      if (end === -1) throw missingEnd(i);
      let body = src.slice(i + 3, end);
      let language: string | undefined;
      const newline = body.indexOf('\n');
      if (newline > 0 && /^[\w+#.-]+$/.test(body.slice(0, newline))) {
        language = body.slice(0, newline);
        body = body.slice(newline + 1);
      }
      if (body.length) {
        entities.push({
          type: 'pre',
          offset: text.length,
          length: body.length,
          ...(language ? { language } : {}),
        });
      }
      text += body;
      i = end + 3;
      continue;
    }
    if (c === '*' || c === '_' || c === '`') {
      const end = src.indexOf(c, i + 1);
      if (end === -1) throw missingEnd(i);
      const body = src.slice(i + 1, end);
      const type = c === '*' ? 'bold' : c === '_' ? 'italic' : 'code';
      if (body.length) entities.push({ type, offset: text.length, length: body.length });
      text += body;
      i = end + 1;
      continue;
    }
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      if (end === -1) throw missingEnd(i);
      const label = src.slice(i + 1, end);
      const close = src[end + 1] === '(' ? src.indexOf(')', end + 2) : -1;
      if (close === -1) {
        text += src.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      const url = src.slice(end + 2, close);
      if (label.length) entities.push({ type: 'text_link', offset: text.length, length: label.length, url });
      text += label;
      i = close + 1;
      continue;
    }
    text += c;
    i++;
  }
  return { text, entities: sortEntities(entities) };
}

/** Telegram trims leading and trailing whitespace off message texts, entities shifting with them. */
function trimFormatted(f: Formatted): Formatted {
  const lead = f.text.length - f.text.trimStart().length;
  const text = f.text.trim();
  const end = lead + text.length;
  const entities = f.entities
    .map((e) => {
      const from = Math.max(e.offset, lead);
      const to = Math.min(e.offset + e.length, end);
      return { ...e, offset: from - lead, length: to - from };
    })
    .filter((e) => e.length > 0);
  return { text, entities };
}

function formatText(
  rawText: unknown,
  parseMode: unknown,
  rawEntities: unknown,
  emptyError: string,
): Formatted {
  const src = str(rawText);
  if (src === undefined || src === '') throw badRequest(emptyError);
  const mode = (str(parseMode) ?? '').toLowerCase();
  let formatted: Formatted;
  if (mode === 'html') formatted = parseHtml(src);
  else if (mode === 'markdownv2') formatted = parseMarkdownV2(src);
  else if (mode === 'markdown') formatted = parseMarkdown(src);
  else if (mode === '') {
    const given = rawEntities === undefined ? [] : jsonParam(rawEntities, "can't parse entities JSON object");
    if (!Array.isArray(given)) throw badRequest("can't parse entities JSON object");
    formatted = { text: src, entities: sortEntities([...(given as MessageEntity[])]) };
  } else throw badRequest(`unsupported parse_mode`);
  formatted = trimFormatted(formatted);
  if (formatted.text === '') throw badRequest(emptyError);
  if (formatted.text.length > 4096) throw badRequest('message is too long');
  return formatted;
}

/** The entities Telegram's clients attach to what a user types. */
function detectEntities(text: string): MessageEntity[] {
  const found: MessageEntity[] = [];
  for (const m of text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)(?![A-Za-z0-9_@])/g)) {
    const offset = (m.index ?? 0) + (m[1] ?? '').length;
    found.push({ type: 'bot_command', offset, length: (m[2] ?? '').length });
  }
  for (const m of text.matchAll(/(^|[\s(])(@[A-Za-z][A-Za-z0-9_]{4,31})(?![A-Za-z0-9_])/g)) {
    const offset = (m.index ?? 0) + (m[1] ?? '').length;
    found.push({ type: 'mention', offset, length: (m[2] ?? '').length });
  }
  for (const m of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    found.push({ type: 'url', offset: m.index ?? 0, length: m[0].length });
  }
  return sortEntities(found);
}

// ---------------------------------------------------------------------------------------------------
// Markup validation

const INLINE_ACTIONS = [
  'callback_data',
  'url',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
  'web_app',
];

function checkInlineKeyboard(rows: unknown): void {
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays');
  }
  for (const row of rows as unknown[][]) {
    for (const button of row) {
      if (!button || typeof button !== 'object') throw badRequest("can't parse inline keyboard button");
      const b = button as Record<string, unknown>;
      if (typeof b.text !== 'string')
        throw badRequest("can't parse inline keyboard button: Text must be a String");
      const actions = INLINE_ACTIONS.filter((k) => b[k] !== undefined);
      if (actions.length === 0) throw badRequest('text buttons are unallowed in the inline keyboard');
      if (b.callback_data !== undefined) {
        const data = str(b.callback_data) ?? '';
        const bytes = Buffer.byteLength(data, 'utf8');
        if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
      }
      if (b.url !== undefined) {
        const url = str(b.url) ?? '';
        let ok = false;
        try {
          ok = ['http:', 'https:', 'tg:'].includes(new URL(url).protocol);
        } catch {}
        if (!ok) throw badRequest(`inline keyboard button URL '${url}' is invalid: Wrong HTTP URL`);
      }
    }
  }
}

function checkMarkup(raw: unknown, inlineOnly = false): SentMarkup | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const markup = jsonParam(raw, "can't parse reply keyboard markup JSON object");
  if (!markup || typeof markup !== 'object' || Array.isArray(markup)) {
    throw badRequest("can't parse reply keyboard markup JSON object");
  }
  const m = markup as Record<string, unknown>;
  if ('inline_keyboard' in m) {
    checkInlineKeyboard(m.inline_keyboard);
    return m as unknown as InlineKeyboardMarkup;
  }
  if (inlineOnly) throw badRequest('inline keyboard expected');
  if ('keyboard' in m) {
    if (!Array.isArray(m.keyboard) || !m.keyboard.every(Array.isArray)) {
      throw badRequest('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays');
    }
    for (const row of m.keyboard as unknown[][]) {
      for (const b of row) {
        const text = typeof b === 'string' ? b : (b as { text?: unknown } | null)?.text;
        if (typeof text !== 'string') throw badRequest("can't parse keyboard button: Text must be a String");
      }
    }
    return m as unknown as ReplyKeyboardMarkup;
  }
  if ('remove_keyboard' in m) return m as unknown as ReplyKeyboardRemove;
  if ('force_reply' in m) return m as unknown as ForceReply;
  throw badRequest("can't parse reply keyboard markup JSON object");
}

const isInline = (m: SentMarkup | undefined): m is InlineKeyboardMarkup => !!m && 'inline_keyboard' in m;

// ---------------------------------------------------------------------------------------------------
// Multipart, as grammY writes it: lowercase headers without spaces and an unquoted filename.

function parseMultipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing "--"
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const end = body.indexOf(nextDelimiter, start);
    if (end === -1) break;
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"|name=([^;\r\n]+)/i.exec(headers);
      const filename = /filename="([^"]*)"|filename=([^;\r\n]+)/i.exec(headers);
      const type = /content-type:\s*([^\r\n]+)/i.exec(headers);
      const key = name?.[1] ?? name?.[2]?.trim();
      if (key !== undefined) {
        params[key] = filename
          ? new UploadedFile(
              (filename[1] ?? filename[2] ?? '').trim(),
              type?.[1]?.trim() ?? 'application/octet-stream',
              Buffer.from(content),
            )
          : decodeFormValue(content.toString('utf8'));
      }
    }
    pos = end + 2;
  }
  return params;
}

// Objects and arrays travel as JSON strings in form bodies; decode them so `calls()` shows values.
function decodeFormValue(v: string): unknown {
  if (/^\s*[[{]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {}
  }
  return v;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, 'Request Entity Too Large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readParams(req: IncomingMessage, url: URL): Promise<Params> {
  const params: Params = {};
  for (const [k, v] of url.searchParams) params[k] = decodeFormValue(v);
  const body = await readBody(req, 60 * 1024 * 1024);
  if (body.length === 0) return params;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw badRequest("can't parse JSON object");
    Object.assign(params, parsed);
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = decodeFormValue(v);
  } else if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
    const b = boundary?.[1] ?? boundary?.[2]?.trim();
    if (!b) throw badRequest('invalid multipart body');
    Object.assign(params, parseMultipart(body, b));
  }
  return params;
}

/** Resolves once `signal` aborts (at once if it already has). */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

// ---------------------------------------------------------------------------------------------------
// Photos: real dimensions when the bytes are a PNG or JPEG, so thumbnails scale plausibly.

function imageSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) break;
      const marker = bytes[i + 1] ?? 0;
      const length = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: bytes.readUInt16BE(i + 7), height: bytes.readUInt16BE(i + 5) };
      }
      i += 2 + length;
    }
  }
  return { width: 1280, height: 960 };
}

// ---------------------------------------------------------------------------------------------------
// State

interface ChatState {
  chat: Chat;
  /** Who speaks by default: the private chat's user, or a group's default citizen. */
  user: User;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  /** Bot message ids, oldest first, deleted ones included. */
  botMessageIds: number[];
  blocked: boolean;
  left: boolean;
  keyboard?: ReplyKeyboardMarkup;
  chatInstance: string;
}

interface StoredMessage {
  /** The Message as Telegram would return it. */
  json: Message;
  fromBot: boolean;
  deleted: boolean;
  /** For bot messages: the markup as sent, reply keyboards included. */
  markup?: SentMarkup;
  rawText?: string;
  parseMode?: string;
}

interface QueuedUpdate {
  update: Update;
  /** Handed to a getUpdates caller at least once; only then can an offset confirm a redelivery. */
  handedOut: boolean;
  redelivered: boolean;
}

interface Webhook {
  url: string;
  secret?: string;
  maxConnections: number;
  hasCertificate: boolean;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

type Wake = 'ready' | 'timeout' | 'aborted' | 'closed' | 'conflict' | 'setWebhook';

// Telegram's default when allowed_updates is empty or never given.
const NOT_DEFAULT_UPDATES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
const MAX_DOWNLOAD = 20 * 1024 * 1024;

class Emulator implements TelegramEmulator {
  readonly token: string;
  readonly me: UserFromGetMe;
  apiRoot = '';

  private readonly botUser: User;
  private readonly server = createServer((req, res) => void this.serve(req, res));
  private readonly lifetime = new AbortController();
  private readonly chats = new Map<number, ChatState>();
  private readonly files = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private readonly created = new Map<number, Update>();
  private readonly callbackQueries = new Map<string, { answered: boolean }>();
  private readonly commandSets = new Map<string, BotCommand[]>();
  private readonly callLog: ApiCall[] = [];
  private readonly faults = new Map<string, FaultSpec[]>();
  private readonly delays = new Map<string, number[]>();
  private readonly stalls = new Map<string, number>();
  private readonly drops = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly sleepers = new Set<() => void>();
  private queue: QueuedUpdate[] = [];
  private nextUpdateId = 1;
  private nextFile = 1;
  private allowedUpdates: string[] | undefined;
  private poller: { wake: (why: Wake) => void } | undefined;
  private webhook: Webhook | undefined;
  private pumping = false;
  private inflight = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  private readonly webhookRetries: number;
  private readonly webhookRetryDelayMs: number;
  private readonly webhookTimeoutMs: number;

  constructor(options: TelegramEmulatorOptions) {
    this.token = options.token ?? DEFAULT_TOKEN;
    const id = /^(\d+):[\w-]+$/.exec(this.token)?.[1];
    if (!id) throw new Error(`not a bot token: ${this.token} (expected "<digits>:<letters>")`);
    this.botUser = {
      id: Number(id),
      is_bot: true,
      first_name: options.botName ?? 'Aduan Test',
      username: options.botUsername ?? 'aduan_test_bot',
    };
    this.me = {
      ...this.botUser,
      is_bot: true,
      username: this.botUser.username ?? 'aduan_test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
    this.webhookRetries = options.webhookRetries ?? 3;
    this.webhookRetryDelayMs = options.webhookRetryDelayMs ?? 100;
    this.webhookTimeoutMs = options.webhookTimeoutMs ?? 10_000;
    // grammY keeps one keep-alive agent per apiRoot for the whole process; a server that drops idle
    // sockets sooner races with reuse and shows up as a random "socket hang up".
    this.server.keepAliveTimeout = 120_000;
    this.server.headersTimeout = 125_000;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.apiRoot = `http://127.0.0.1:${port}`;
  }

  // ----- HTTP -----

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inflight++;
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const file = /^\/file\/bot([^/]*)\/(.+)$/.exec(url.pathname);
      if (file) return this.download(res, file[1] ?? '', decodeURIComponent(file[2] ?? ''));
      const api = /^\/bot([^/]*)\/([^/]*)$/.exec(url.pathname);
      if (!api) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      if (api[1] !== this.token)
        return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      let response: ApiResponse | undefined;
      try {
        const params = await readParams(req, url);
        response = await this.invoke(api[2] ?? '', params, abort.signal, false);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        response = err.envelope();
      }
      // A stalled call is never answered: the bot gave up (closing the socket) or the emulator closes;
      // a dropped one has its connection cut at once.
      if (!response) return void res.destroy();
      sendJson(res, response.ok ? 200 : response.error_code, response);
    } catch (err) {
      if (!res.headersSent) {
        sendJson(res, 500, {
          ok: false,
          error_code: 500,
          description: `Internal Server Error: ${String(err)}`,
        });
      }
    } finally {
      this.inflight--;
      this.notify();
    }
  }

  private download(res: ServerResponse, token: string, path: string): void {
    if (token !== this.token)
      return sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const file = this.filesByPath.get(path);
    if (!file) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    res.writeHead(200, {
      'content-type': file.mime_type ?? 'application/octet-stream',
      'content-length': file.bytes.length,
    });
    res.end(file.bytes);
  }

  /** Carries out and answers one call; undefined for a stalled call, once the caller has given up. */
  private async invoke(
    method: string,
    params: Params,
    signal: AbortSignal,
    webhookReply: boolean,
  ): Promise<ApiResponse | undefined> {
    // Bot API method names are case-insensitive.
    const name = Object.keys(this.handlers).find((k) => k.toLowerCase() === method.toLowerCase()) ?? method;
    const call: ApiCall = {
      method: name,
      params,
      at: Date.now(),
      ...(webhookReply ? { webhookReply: true } : {}),
    };
    this.callLog.push(call);
    const stalls = this.stalls.get(name) ?? 0;
    if (stalls > 0) {
      this.stalls.set(name, stalls - 1);
      call.stalled = true;
      this.notify();
      // Nobody waits for a webhook reply's answer; an HTTP caller is kept hanging until it gives up.
      if (!webhookReply) await untilAborted(AbortSignal.any([signal, this.lifetime.signal]));
      return undefined;
    }
    const drops = this.drops.get(name) ?? 0;
    if (drops > 0) {
      this.drops.set(name, drops - 1);
      call.dropped = true;
      this.notify();
      return undefined;
    }
    const delay = this.delays.get(name)?.shift();
    if (delay !== undefined) await this.sleep(delay);
    call.response = await this.answer(name, params, signal);
    this.notify();
    return call.response;
  }

  private async answer(name: string, params: Params, signal: AbortSignal): Promise<ApiResponse> {
    const fault = this.faults.get(name)?.shift();
    if (fault) {
      const parameters = {
        ...(fault.retry_after !== undefined ? { retry_after: fault.retry_after } : {}),
        ...(fault.migrate_to_chat_id !== undefined ? { migrate_to_chat_id: fault.migrate_to_chat_id } : {}),
      };
      return new ApiError(
        fault.error_code,
        fault.description,
        Object.keys(parameters).length ? parameters : undefined,
      ).envelope();
    }
    const handler = this.handlers[name];
    if (!handler) return { ok: false, error_code: 404, description: 'Not Found' };
    try {
      const out = await handler(params, signal);
      return out instanceof Described
        ? { ok: true, result: out.result, description: out.description }
        : { ok: true, result: out };
    } catch (err) {
      if (err instanceof ApiError) return err.envelope();
      throw err;
    }
  }

  // ----- Bot API methods -----

  private readonly handlers: Record<string, Handler> = {
    getMe: () => this.me,
    logOut: () => true,
    close: () => true,
    getUpdates: (p, signal) => this.getUpdates(p, signal),
    setWebhook: (p) => this.setWebhook(p),
    deleteWebhook: (p) => this.deleteWebhook(p),
    getWebhookInfo: () => this.webhookInfo(),
    sendMessage: (p) => this.sendMessage(p),
    editMessageText: (p) => this.editMessage(p, true),
    editMessageReplyMarkup: (p) => this.editMessage(p, false),
    deleteMessage: (p) => {
      this.deleteOne(this.targetChat(p.chat_id, false), requireInt(p, 'message_id'));
      return true;
    },
    deleteMessages: (p) => {
      const st = this.targetChat(p.chat_id, false);
      const ids = jsonParam(p.message_ids, "can't parse message_ids JSON array");
      if (!Array.isArray(ids) || ids.length === 0) throw badRequest('message_ids is empty');
      for (const id of ids) {
        const stored = st.messages.get(int(id) ?? 0);
        if (stored && !stored.deleted) stored.deleted = true;
      }
      this.notify();
      return true;
    },
    answerCallbackQuery: (p) => {
      const id = str(p.callback_query_id) ?? '';
      const query = this.callbackQueries.get(id);
      if (!query || query.answered) {
        throw badRequest('query is too old and response timeout expired or query ID is invalid');
      }
      query.answered = true;
      return true;
    },
    sendChatAction: (p) => {
      this.targetChat(p.chat_id, true);
      if (!CHAT_ACTIONS.has(str(p.action) ?? '')) throw badRequest('wrong parameter action in request');
      return true;
    },
    getChat: (p) => ({
      ...clone(this.targetChat(p.chat_id, false).chat),
      accent_color_id: 0,
      max_reaction_count: 11,
    }),
    leaveChat: (p) => {
      const st = this.targetChat(p.chat_id, false);
      if (st.chat.type === 'private')
        throw badRequest("chat member status can't be changed in private chats");
      st.left = true;
      return true;
    },
    setMyCommands: (p) => {
      const commands = jsonParam(p.commands, "can't parse commands JSON object");
      if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON object");
      if (commands.length > 100) throw badRequest('too many commands specified');
      for (const c of commands as Record<string, unknown>[]) {
        if (!/^[a-z0-9_]{1,32}$/.test(str(c?.command) ?? '')) throw badRequest('BOT_COMMAND_INVALID');
        const description = str(c?.description) ?? '';
        if (description.length < 1 || description.length > 256)
          throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      }
      const key = this.commandKey(p.language_code, p.scope);
      if (commands.length) this.commandSets.set(key, clone(commands as BotCommand[]));
      else this.commandSets.delete(key);
      return true;
    },
    getMyCommands: (p) => clone(this.commandSets.get(this.commandKey(p.language_code, p.scope)) ?? []),
    deleteMyCommands: (p) => {
      this.commandSets.delete(this.commandKey(p.language_code, p.scope));
      return true;
    },
    // Accepted so a bot's start-up chores do not fail; calls() shows what was asked.
    setMyDescription: () => true,
    setMyShortDescription: () => true,
    setMyName: () => true,
    setChatMenuButton: () => true,
    setMyDefaultAdministratorRights: () => true,
    getFile: (p) => {
      const file = this.files.get(str(p.file_id) ?? '');
      if (!file) throw badRequest('invalid file_id');
      if (file.bytes.length > MAX_DOWNLOAD) throw badRequest('file is too big');
      return {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_size: file.bytes.length,
        file_path: file.file_path,
      };
    },
  };

  private async getUpdates(p: Params, signal: AbortSignal): Promise<Update[]> {
    if (this.webhook) {
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = int(p.offset);
    const limit = Math.min(100, Math.max(1, int(p.limit) ?? 100));
    const timeout = Math.max(0, int(p.timeout) ?? 0);
    this.setAllowedUpdates(p.allowed_updates);
    if (offset !== undefined) this.confirm(offset);
    // Telegram answers the older of two concurrent long polls with 409, as it does here.
    this.poller?.wake('conflict');
    if (this.queue.length === 0 && timeout > 0 && !this.closed && !signal.aborted) {
      const why = await new Promise<Wake>((resolve) => {
        const me = { wake: (w: Wake) => done(w) };
        const onAbort = () => done('aborted');
        const timer = setTimeout(() => done('timeout'), timeout * 1000);
        const done = (w: Wake) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (this.poller === me) this.poller = undefined;
          resolve(w);
        };
        this.poller = me;
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (why === 'conflict') {
        throw new ApiError(
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        );
      }
      if (why === 'setWebhook') throw new ApiError(409, 'Conflict: terminated by setWebhook request');
      if (why === 'aborted' || why === 'closed') return [];
    }
    const batch = this.queue.slice(0, limit);
    for (const q of batch) q.handedOut = true;
    return batch.map((q) => clone(q.update));
  }

  /** An offset confirms every update below it; a negative one keeps only the last -offset updates. */
  private confirm(offset: number): void {
    if (offset < 0) this.queue = this.queue.slice(Math.max(0, this.queue.length + offset));
    else {
      // A redelivered update keeps its old, already confirmed id: it goes only once it was handed out.
      this.queue = this.queue.filter(
        (q) => !(q.update.update_id < offset && (q.handedOut || !q.redelivered)),
      );
    }
  }

  private setAllowedUpdates(raw: unknown): void {
    if (raw === undefined || raw === null) return;
    const list = jsonParam(raw, "can't parse allowed updates JSON object");
    if (!Array.isArray(list)) throw badRequest("can't parse allowed updates JSON object");
    this.allowedUpdates = list.length ? list.map(String) : undefined;
  }

  private isAllowed(update: Update): boolean {
    const kind = Object.keys(update).find((k) => k !== 'update_id') ?? '';
    return this.allowedUpdates ? this.allowedUpdates.includes(kind) : !NOT_DEFAULT_UPDATES.has(kind);
  }

  private setWebhook(p: Params): Described {
    const url = str(p.url) ?? '';
    if (url === '') return this.deleteWebhook(p);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest('invalid webhook URL specified');
    }
    // Telegram insists on https; loopback tests use plain http.
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
    }
    const secret = str(p.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      throw badRequest('secret token contains unallowed characters');
    }
    if (bool(p.drop_pending_updates)) this.queue = [];
    this.setAllowedUpdates(p.allowed_updates);
    const same = this.webhook?.url === url && this.webhook.secret === secret;
    this.webhook = {
      url,
      ...(secret !== undefined ? { secret } : {}),
      maxConnections: int(p.max_connections) ?? 40,
      hasCertificate: p.certificate !== undefined,
    };
    this.poller?.wake('setWebhook');
    void this.pump();
    return new Described(true, same ? 'Webhook is already set' : 'Webhook was set');
  }

  private deleteWebhook(p: Params): Described {
    if (bool(p.drop_pending_updates)) this.queue = [];
    const had = this.webhook !== undefined;
    this.webhook = undefined;
    return new Described(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
  }

  private webhookInfo(): WebhookInfo {
    const hook = this.webhook;
    return {
      url: hook?.url ?? '',
      has_custom_certificate: hook?.hasCertificate ?? false,
      pending_update_count: this.queue.length,
      ...(hook
        ? {
            max_connections: hook.maxConnections,
            ip_address: '127.0.0.1',
            ...(this.allowedUpdates ? { allowed_updates: [...this.allowedUpdates] } : {}),
            ...(hook.lastErrorDate !== undefined
              ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage ?? '' }
              : {}),
          }
        : {}),
    } as WebhookInfo;
  }

  private sendMessage(p: Params): Message {
    const st = this.targetChat(p.chat_id, true);
    const formatted = formatText(p.text, p.parse_mode, p.entities, 'message text is empty');
    const markup = checkMarkup(p.reply_markup);
    const replyTo = this.replyTarget(st, p);
    const json = {
      message_id: st.nextMessageId++,
      from: { ...this.botUser },
      chat: clone(st.chat),
      date: now(),
      ...(replyTo ? { reply_to_message: replyTo } : {}),
      text: formatted.text,
      ...(formatted.entities.length ? { entities: formatted.entities } : {}),
      ...(isInline(markup) ? { reply_markup: markup } : {}),
    } as unknown as Message;
    st.messages.set(json.message_id, {
      json,
      fromBot: true,
      deleted: false,
      ...(markup ? { markup } : {}),
      rawText: str(p.text) ?? '',
      ...(p.parse_mode ? { parseMode: str(p.parse_mode) ?? '' } : {}),
    });
    st.botMessageIds.push(json.message_id);
    if (markup && 'keyboard' in markup) st.keyboard = markup;
    if (markup && 'remove_keyboard' in markup) st.keyboard = undefined;
    this.notify();
    return clone(json);
  }

  private replyTarget(st: ChatState, p: Params): Message | undefined {
    const parameters = p.reply_parameters
      ? (jsonParam(p.reply_parameters, "can't parse reply parameters JSON object") as Record<string, unknown>)
      : undefined;
    const id = int(parameters?.message_id) ?? int(p.reply_to_message_id);
    if (id === undefined) return undefined;
    const target = st.messages.get(id);
    if (!target || target.deleted) {
      if (bool(parameters?.allow_sending_without_reply ?? p.allow_sending_without_reply)) return undefined;
      throw badRequest('message to be replied not found');
    }
    const { reply_to_message: _nested, ...flat } = clone(target.json) as Message & {
      reply_to_message?: unknown;
    };
    return flat as Message;
  }

  private editMessage(p: Params, withText: boolean): Message {
    if (p.inline_message_id !== undefined) throw badRequest('MESSAGE_ID_INVALID');
    const st = this.targetChat(p.chat_id, true);
    const id = requireInt(p, 'message_id');
    const stored = st.messages.get(id);
    if (!stored || stored.deleted) throw badRequest('message to edit not found');
    if (!stored.fromBot) throw badRequest("message can't be edited");
    const current = stored.json as Message & { text?: string; entities?: MessageEntity[] };
    const currentInline = isInline(stored.markup) ? stored.markup : undefined;
    // An edit without reply_markup takes the inline keyboard away, as in Telegram.
    const markup = checkMarkup(p.reply_markup, true) as InlineKeyboardMarkup | undefined;
    let text = current.text;
    let entities = current.entities ?? [];
    if (withText) {
      if (current.text === undefined) throw badRequest('there is no text in the message to edit');
      const formatted = formatText(p.text, p.parse_mode, p.entities, 'message text is empty');
      text = formatted.text;
      entities = formatted.entities;
    }
    const unchanged =
      text === current.text &&
      stableJson(entities) === stableJson(current.entities ?? []) &&
      stableJson(markup ?? null) === stableJson(currentInline ?? null);
    if (unchanged) {
      throw badRequest(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    const json = {
      ...current,
      edit_date: now(),
      ...(text !== undefined ? { text } : {}),
    } as Record<string, unknown>;
    if (entities.length) json.entities = entities;
    else delete json.entities;
    if (markup) json.reply_markup = markup;
    else delete json.reply_markup;
    stored.json = json as unknown as Message;
    if (markup) stored.markup = markup;
    else if (currentInline) delete stored.markup;
    if (withText) {
      stored.rawText = str(p.text) ?? '';
      if (p.parse_mode) stored.parseMode = str(p.parse_mode) ?? '';
      else delete stored.parseMode;
    }
    this.notify();
    return clone(stored.json);
  }

  private deleteOne(st: ChatState, id: number): void {
    const stored = st.messages.get(id);
    if (!stored || stored.deleted) throw badRequest('message to delete not found');
    stored.deleted = true;
    this.notify();
  }

  private commandKey(language: unknown, scope: unknown): string {
    const s = scope ? jsonParam(scope, "can't parse BotCommandScope JSON object") : { type: 'default' };
    return `${stableJson(s)}|${str(language) ?? ''}`;
  }

  /** The chat a call names; `write` calls fail on a blocked or left chat as Telegram's do. */
  private targetChat(raw: unknown, write: boolean): ChatState {
    if (raw === undefined || raw === null || raw === '') throw badRequest('chat_id is empty');
    const text = str(raw) ?? '';
    let st: ChatState | undefined;
    if (text.startsWith('@')) {
      const name = text.slice(1).toLowerCase();
      st = [...this.chats.values()].find(
        (c) =>
          c.chat.type !== 'private' && (c.chat as { username?: string }).username?.toLowerCase() === name,
      );
    } else {
      const id = int(raw);
      st = id === undefined ? undefined : this.chats.get(id);
    }
    if (!st) throw badRequest('chat not found');
    if (write && st.blocked) {
      throw new ApiError(
        403,
        st.chat.type === 'private'
          ? 'Forbidden: bot was blocked by the user'
          : `Forbidden: bot was kicked from the ${st.chat.type === 'channel' ? 'channel' : st.chat.type} chat`,
      );
    }
    if (write && st.left) {
      throw new ApiError(
        403,
        `Forbidden: bot is not a member of the ${st.chat.type === 'channel' ? 'channel' : st.chat.type} chat`,
      );
    }
    return st;
  }

  // ----- Webhook delivery -----

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const hook = this.webhook;
        const entry = this.queue[0];
        if (this.closed || !hook || !entry) return;
        const outcome = await this.deliver(hook, entry);
        // Webhook changed or removed meanwhile: the update stays queued for whatever comes next.
        if (outcome === 'aborted') continue;
        const at = this.queue.indexOf(entry);
        if (at >= 0) this.queue.splice(at, 1);
        this.notify();
      }
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(hook: Webhook, entry: QueuedUpdate): Promise<'delivered' | 'failed' | 'aborted'> {
    const body = JSON.stringify(entry.update);
    for (let attempt = 0; attempt <= this.webhookRetries; attempt++) {
      if (attempt > 0) await this.sleep(this.webhookRetryDelayMs);
      if (this.closed || this.webhook !== hook) return 'aborted';
      try {
        const res = await this.post(hook, body);
        if (res.status >= 200 && res.status < 300) {
          await this.webhookReply(res.body, res.contentType);
          return 'delivered';
        }
        hook.lastErrorMessage = `Wrong response from the webhook: ${res.status} ${res.statusText}`.trim();
      } catch (err) {
        if (this.closed) return 'aborted';
        const code = (err as NodeJS.ErrnoException).code;
        hook.lastErrorMessage =
          code === 'ECONNREFUSED'
            ? 'Connection refused'
            : code === 'ETIMEDOUT'
              ? 'Read timeout expired'
              : String(err);
      }
      hook.lastErrorDate = now();
    }
    return 'failed';
  }

  // node:http with no agent, so no pooled socket outlives a test's webhook server.
  private post(
    hook: Webhook,
    body: string,
  ): Promise<{ status: number; statusText: string; contentType: string; body: string }> {
    const url = new URL(hook.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: false,
          signal: this.lifetime.signal,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(hook.secret ? { 'X-Telegram-Bot-Api-Secret-Token': hook.secret } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              contentType: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.setTimeout(this.webhookTimeoutMs, () =>
        req.destroy(Object.assign(new Error('webhook timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A webhook may answer with one method call in its response body; Telegram performs it. */
  private async webhookReply(body: string, contentType: string): Promise<void> {
    if (!contentType.includes('json') || body.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return;
    }
    if (!parsed || typeof parsed !== 'object') return;
    const { method, ...params } = parsed as Record<string, unknown>;
    if (typeof method === 'string') await this.invoke(method, params, this.lifetime.signal, true);
  }

  // ----- Citizen side -----

  private chatState(ref: ChatRef, defaultType?: ChatSpec['type']): ChatState {
    const spec: ChatSpec = typeof ref === 'number' ? { id: ref } : ref;
    const existing = this.chats.get(spec.id);
    if (existing) {
      if (typeof ref === 'object' && ref.type && ref.type !== existing.chat.type) {
        throw new Error(`chat ${spec.id} is a ${existing.chat.type} chat, not ${ref.type}`);
      }
      return existing;
    }
    const type =
      spec.type ??
      (spec.id > 0 ? 'private' : (defaultType ?? (spec.id <= -1_000_000_000_000 ? 'supergroup' : 'group')));
    if (type === 'private' && spec.id <= 0)
      throw new Error(`a private chat's id is the user's id, so positive: ${spec.id}`);
    if (type !== 'private' && spec.id >= 0) throw new Error(`group and channel ids are negative: ${spec.id}`);
    const chat =
      type === 'private'
        ? {
            id: spec.id,
            type,
            first_name: spec.first_name ?? 'Warga',
            ...(spec.last_name ? { last_name: spec.last_name } : {}),
            ...(spec.username ? { username: spec.username } : {}),
          }
        : {
            id: spec.id,
            type,
            title: spec.title ?? (type === 'channel' ? 'Kanal Warga' : 'Grup Warga'),
            ...(spec.username && type !== 'group' ? { username: spec.username } : {}),
          };
    const user: User =
      type === 'private'
        ? {
            id: spec.id,
            is_bot: false,
            first_name: spec.first_name ?? 'Warga',
            ...(spec.last_name ? { last_name: spec.last_name } : {}),
            ...(spec.username ? { username: spec.username } : {}),
            language_code: spec.language_code ?? 'id',
          }
        : {
            id: 700_000_001,
            is_bot: false,
            first_name: 'Warga',
            language_code: spec.language_code ?? 'id',
            ...spec.from,
          };
    const st: ChatState = {
      chat: chat as Chat,
      user,
      nextMessageId: 1,
      messages: new Map(),
      botMessageIds: [],
      blocked: false,
      left: false,
      chatInstance: String(BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`))),
    };
    this.chats.set(spec.id, st);
    return st;
  }

  private actingChat(ref: ChatRef, defaultType?: ChatSpec['type']): ChatState {
    if (this.closed) throw new Error('the Telegram emulator is closed');
    const st = this.chatState(ref, defaultType);
    if (st.blocked) throw new Error(`chat ${st.chat.id} has blocked the bot; call unblock() first`);
    return st;
  }

  private sender(st: ChatState, options?: CitizenOptions): User {
    return options?.from ? { is_bot: false, first_name: 'Warga', ...options.from } : { ...st.user };
  }

  private citizenMessage(st: ChatState, content: Record<string, unknown>, options?: CitizenOptions): Update {
    let replyTo: Message | undefined;
    if (options?.replyTo !== undefined) {
      const target = st.messages.get(options.replyTo);
      if (!target || target.deleted)
        throw new Error(`no message ${options.replyTo} in chat ${st.chat.id} to reply to`);
      const { reply_to_message: _nested, ...flat } = clone(target.json) as Message & {
        reply_to_message?: unknown;
      };
      replyTo = flat as Message;
    }
    const channel = st.chat.type === 'channel';
    const json = {
      message_id: st.nextMessageId++,
      ...(channel ? { sender_chat: clone(st.chat) } : { from: this.sender(st, options) }),
      chat: clone(st.chat),
      date: now(),
      ...(replyTo ? { reply_to_message: replyTo } : {}),
      ...content,
    } as unknown as Message;
    st.messages.set(json.message_id, { json, fromBot: false, deleted: false });
    const body = channel ? { channel_post: clone(json) } : { message: clone(json) };
    return this.queueUpdate(body as Omit<Update, 'update_id'>);
  }

  private textContent(text: string): Record<string, unknown> {
    const entities = detectEntities(text);
    return { text, ...(entities.length ? { entities } : {}) };
  }

  addChat(chat: ChatRef): Chat {
    return clone(this.chatState(chat).chat);
  }

  sendText(chat: ChatRef, text: string, options?: CitizenOptions): Update {
    const st = this.actingChat(chat);
    if (st.keyboard?.one_time_keyboard && this.keyboardHas(st.keyboard, text)) st.keyboard = undefined;
    return this.citizenMessage(st, this.textContent(text), options);
  }

  sendCommand(chat: ChatRef, command: string, payload?: string, options?: CitizenOptions): Update {
    const slashed = command.startsWith('/') ? command : `/${command}`;
    return this.sendText(chat, payload ? `${slashed} ${payload}` : slashed, options);
  }

  private keyboardHas(keyboard: ReplyKeyboardMarkup, text: string): boolean {
    return keyboard.keyboard.some((row) => row.some((b) => (typeof b === 'string' ? b : b.text) === text));
  }

  tapKeyboard(chat: ChatRef, text: string): Update {
    const st = this.actingChat(chat);
    const keyboard = st.keyboard;
    if (!keyboard || !this.keyboardHas(keyboard, text)) {
      const shown = keyboard ? keyboard.keyboard.flat().map((b) => (typeof b === 'string' ? b : b.text)) : [];
      throw new Error(
        `chat ${st.chat.id} shows no keyboard button "${text}"; it shows ${JSON.stringify(shown)}`,
      );
    }
    return this.sendText(chat, text);
  }

  pressButton(chat: ChatRef, messageId: number, button: string | { text: string }): Update {
    const st = this.actingChat(chat);
    const stored = st.messages.get(messageId);
    if (!stored?.fromBot || stored.deleted) {
      throw new Error(`chat ${st.chat.id} has no bot message ${messageId} to press a button on`);
    }
    const rows = isInline(stored.markup) ? stored.markup.inline_keyboard : [];
    const buttons = rows.flat() as unknown as Record<string, unknown>[];
    const found = buttons.find((b) =>
      typeof button === 'string' ? b.callback_data === button : b.text === button.text,
    );
    if (!found || typeof found.callback_data !== 'string') {
      const shown = buttons.map((b) => `${String(b.text)} → ${String(b.callback_data ?? b.url ?? '?')}`);
      throw new Error(
        `message ${messageId} in chat ${st.chat.id} has no callback button ${JSON.stringify(button)}; it shows ${JSON.stringify(shown)}`,
      );
    }
    const id = String(BigInt.asUintN(63, BigInt(`0x${randomBytes(8).toString('hex')}`)));
    this.callbackQueries.set(id, { answered: false });
    return this.queueUpdate({
      callback_query: {
        id,
        from: this.sender(st),
        message: clone(stored.json),
        chat_instance: st.chatInstance,
        data: found.callback_data,
      },
    } as Omit<Update, 'update_id'>);
  }

  sendLocation(chat: ChatRef, latitude: number, longitude: number, options?: CitizenOptions): Update {
    return this.citizenMessage(this.actingChat(chat), { location: { latitude, longitude } }, options);
  }

  private storeFile(bytes: Buffer, folder: string, extension: string, mime?: string): StoredFile {
    const kind = folder === 'photos' ? 'AgACAgUAAxkBAAI' : 'BQACAgUAAxkBAAI';
    const file: StoredFile = {
      file_id: randomId(kind, 48),
      file_unique_id: randomId('AQAD', 9),
      file_path: `${folder}/file_${this.nextFile++}.${extension}`,
      bytes: Buffer.from(bytes),
      ...(mime ? { mime_type: mime } : {}),
    };
    this.files.set(file.file_id, file);
    this.filesByPath.set(file.file_path, file);
    return file;
  }

  sendPhoto(chat: ChatRef, bytes: Buffer, caption?: string, options?: CitizenOptions): Update {
    const st = this.actingChat(chat);
    const { width, height } = imageSize(bytes);
    // Telegram offers ~90 px and ~320 px thumbnails next to the full picture.
    const sizes: PhotoSize[] = [90, 320, Math.max(width, height)].map((side, i, all) => {
      const full = i === all.length - 1;
      const scale = full ? 1 : Math.min(1, side / Math.max(width, height));
      const length = full
        ? bytes.length
        : Math.max(1, Math.min(bytes.length, Math.ceil(bytes.length / (i === 0 ? 16 : 4))));
      const file = this.storeFile(bytes.subarray(0, length), 'photos', 'jpg', 'image/jpeg');
      return {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_size: length,
        width: Math.max(1, Math.round(width * scale)),
        height: Math.max(1, Math.round(height * scale)),
      };
    });
    return this.citizenMessage(st, { photo: sizes, ...this.captionContent(caption) }, options);
  }

  private captionContent(caption: string | undefined): Record<string, unknown> {
    if (!caption) return {};
    const entities = detectEntities(caption);
    return { caption, ...(entities.length ? { caption_entities: entities } : {}) };
  }

  sendDocument(
    chat: ChatRef,
    bytes: Buffer,
    fileName: string,
    mimeType: string,
    caption?: string,
    options?: CitizenOptions,
  ): Update {
    const st = this.actingChat(chat);
    const extension = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1] ?? 'dat';
    const file = this.storeFile(bytes, 'documents', extension, mimeType);
    const document = {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_name: fileName,
      mime_type: mimeType,
      file_size: bytes.length,
    };
    return this.citizenMessage(st, { document, ...this.captionContent(caption) }, options);
  }

  sendContact(
    chat: ChatRef,
    phoneNumber: string,
    contact: { first_name?: string; last_name?: string; user_id?: number } = {},
  ): Update {
    const st = this.actingChat(chat);
    const own = contact.user_id === undefined && contact.first_name === undefined;
    const body = {
      phone_number: phoneNumber,
      first_name: contact.first_name ?? st.user.first_name,
      ...(contact.last_name
        ? { last_name: contact.last_name }
        : own && st.user.last_name
          ? { last_name: st.user.last_name }
          : {}),
      ...(contact.user_id !== undefined ? { user_id: contact.user_id } : own ? { user_id: st.user.id } : {}),
    };
    if (st.keyboard?.one_time_keyboard) st.keyboard = undefined;
    return this.citizenMessage(st, { contact: body });
  }

  editText(chat: ChatRef, messageId: number, newText: string): Update {
    const st = this.actingChat(chat);
    const stored = st.messages.get(messageId);
    if (!stored || stored.fromBot || stored.deleted || !('text' in stored.json)) {
      throw new Error(`chat ${st.chat.id} has no text message ${messageId} of the citizen's to edit`);
    }
    const json = { ...clone(stored.json), edit_date: now(), ...this.textContent(newText) } as Record<
      string,
      unknown
    >;
    if (!detectEntities(newText).length) delete json.entities;
    stored.json = json as unknown as Message;
    const key = st.chat.type === 'channel' ? 'edited_channel_post' : 'edited_message';
    return this.queueUpdate({ [key]: clone(json) } as Omit<Update, 'update_id'>);
  }

  channelPost(chat: ChatRef, text: string): Update {
    const st = this.actingChat(chat, 'channel');
    if (st.chat.type !== 'channel')
      throw new Error(`chat ${st.chat.id} is a ${st.chat.type} chat, not a channel`);
    return this.citizenMessage(st, this.textContent(text));
  }

  queueUpdate(body: Omit<Update, 'update_id'>): Update {
    if (this.closed) throw new Error('the Telegram emulator is closed');
    const update = { update_id: this.nextUpdateId++, ...clone(body) } as Update;
    this.created.set(update.update_id, update);
    this.enqueue(clone(update), false);
    return clone(update);
  }

  redeliver(updateId: number): Update {
    const update = this.created.get(updateId);
    if (!update) throw new Error(`no update ${updateId} was ever queued`);
    this.enqueue(clone(update), true);
    return clone(update);
  }

  private enqueue(update: Update, redelivered: boolean): void {
    // Telegram does not even store updates of kinds the bot did not ask for.
    if (!this.isAllowed(update)) return;
    this.queue.push({ update, handedOut: false, redelivered });
    this.poller?.wake('ready');
    if (this.webhook) void this.pump();
    this.notify();
  }

  block(chatId: number, options: { silent?: boolean } = {}): void {
    const st = this.chatState(chatId);
    if (st.blocked) return;
    st.blocked = true;
    if (!options.silent) this.memberUpdate(st, 'member', 'kicked');
  }

  unblock(chatId: number, options: { silent?: boolean } = {}): void {
    const st = this.chatState(chatId);
    if (!st.blocked) return;
    st.blocked = false;
    if (!options.silent) this.memberUpdate(st, 'kicked', 'member');
  }

  private memberUpdate(st: ChatState, from: string, to: string): void {
    const bot = { ...this.botUser };
    this.queueUpdate({
      my_chat_member: {
        chat: clone(st.chat),
        from: { ...st.user },
        date: now(),
        old_chat_member: { status: from, user: bot, ...(from === 'kicked' ? { until_date: 0 } : {}) },
        new_chat_member: { status: to, user: bot, ...(to === 'kicked' ? { until_date: 0 } : {}) },
      },
    } as unknown as Omit<Update, 'update_id'>);
  }

  // ----- Observation -----

  private botMessageView(stored: StoredMessage): BotMessage {
    const view = clone(stored.json) as unknown as BotMessage;
    if (stored.markup) view.reply_markup = clone(stored.markup);
    if (stored.rawText !== undefined) view.raw_text = stored.rawText;
    if (stored.parseMode !== undefined) view.parse_mode = stored.parseMode;
    return view;
  }

  private allBotMessages(chatId: number): StoredMessage[] {
    const st = this.chats.get(chatId);
    if (!st) return [];
    return st.botMessageIds
      .map((id) => st.messages.get(id))
      .filter((m): m is StoredMessage => m !== undefined);
  }

  messages(chatId: number): BotMessage[] {
    return this.allBotMessages(chatId)
      .filter((m) => !m.deleted)
      .map((m) => this.botMessageView(m));
  }

  lastMessage(chatId: number): BotMessage | undefined {
    return this.messages(chatId).at(-1);
  }

  sentCount(chatId: number): number {
    return this.chats.get(chatId)?.botMessageIds.length ?? 0;
  }

  history(chatId: number): Message[] {
    const st = this.chats.get(chatId);
    if (!st) return [];
    return [...st.messages.values()].filter((m) => !m.deleted).map((m) => clone(m.json));
  }

  replyKeyboard(chatId: number): ReplyKeyboardMarkup | undefined {
    const keyboard = this.chats.get(chatId)?.keyboard;
    return keyboard ? clone(keyboard) : undefined;
  }

  waitForMessage(chatId: number, match: MessageMatcher, options?: number | WaitOptions): Promise<BotMessage> {
    const { timeoutMs = 15_000, after = 0 } =
      typeof options === 'number' ? { timeoutMs: options } : (options ?? {});
    const test = (m: BotMessage): boolean => {
      if (typeof match === 'function') return match(m);
      const body = m.text ?? (m as { caption?: string }).caption ?? '';
      return typeof match === 'string' ? body.includes(match) : match.test(body);
    };
    return this.waitUntil(
      () =>
        this.allBotMessages(chatId)
          .slice(after)
          .filter((m) => !m.deleted)
          .map((m) => this.botMessageView(m))
          .find(test),
      timeoutMs,
      () =>
        `no bot message in chat ${chatId} matched ${String(match)} within ${timeoutMs} ms (after ${after}); the bot sent: ${JSON.stringify(
          this.messages(chatId).map((m) => m.text),
        )}`,
    );
  }

  calls(method?: string): ApiCall[] {
    return this.callLog.filter((c) => method === undefined || c.method === method);
  }

  waitForCall(
    method: string,
    predicate?: (call: ApiCall) => boolean,
    options?: number | WaitOptions,
  ): Promise<ApiCall> {
    const { timeoutMs = 15_000, after = 0 } =
      typeof options === 'number' ? { timeoutMs: options } : (options ?? {});
    return this.waitUntil(
      () =>
        this.calls(method)
          .slice(after)
          .find((c) => c.response !== undefined && (!predicate || predicate(c))),
      timeoutMs,
      () =>
        `no answered ${method} call matched within ${timeoutMs} ms; calls so far: ${this.callLog.map((c) => c.method).join(', ')}`,
    );
  }

  private waitUntil<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = () => {
        if (this.closed) {
          finish();
          reject(new Error(`the Telegram emulator closed while waiting: ${describe()}`));
          return;
        }
        let found: T | undefined;
        try {
          found = probe();
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (found !== undefined) {
          finish();
          resolve(found);
        }
      };
      timer = setTimeout(() => {
        finish();
        reject(new Error(describe()));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  commands(languageCode = '', scope: Record<string, unknown> = { type: 'default' }): BotCommand[] {
    return clone(this.commandSets.get(`${stableJson(scope)}|${languageCode}`) ?? []);
  }

  file(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  pendingUpdates(): Update[] {
    return this.queue.map((q) => clone(q.update));
  }

  // ----- Faults -----

  failNext(method: string, times: number, error: FaultSpec): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push({ ...error });
    this.faults.set(method, list);
  }

  delayNext(method: string, ms: number, times = 1): void {
    const list = this.delays.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(ms);
    this.delays.set(method, list);
  }

  stallNext(method: string, times = 1): void {
    this.stalls.set(method, (this.stalls.get(method) ?? 0) + times);
  }

  dropNext(method: string, times = 1): void {
    this.drops.set(method, (this.drops.get(method) ?? 0) + times);
  }

  // ----- Lifecycle -----

  /** A pause that `close()` cuts short, so no timer outlives the emulator. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      this.sleepers.add(done);
      timer = setTimeout(done, ms);
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.lifetime.abort();
    this.poller?.wake('closed');
    for (const wake of [...this.sleepers]) wake();
    this.notify();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Let the answers just released reach their sockets before cutting the keep-alive connections.
    const deadline = Date.now() + 500;
    while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    this.server.closeAllConnections();
    await stopped;
  }
}
