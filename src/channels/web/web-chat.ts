import type { Redis } from 'ioredis';
import type { Outbound } from '../../engine/types.ts';
import type { Keys } from '../../redis/keys.ts';
import type { ChannelAdapter, SendContext } from '../channel.ts';

/** A bot message as the web chat page receives it over server-sent events (`event: message`). */
export interface WebMessage extends Outbound {
  /** The Redis stream id: the SSE event id, so a reconnecting browser gets what it missed. */
  id: string;
  at: string;
}

/**
 * The citizen's own message as the page receives it (`event: citizen`), to draw the transcript
 * whole after a reload. `messageId` is the id the page posted it with: a page that drew the bubble
 * itself when sending skips it, and a message recorded twice (a redelivered copy) is drawn once.
 */
export interface WebCitizenMessage {
  id: string;
  at: string;
  messageId: string;
  /** What the bubble shows: the text typed, a button's label, or a placeholder (file, location). */
  text: string;
}

/** One entry of a chat's outbox, in order: a bot message or the citizen's. */
export type WebEntry = { event: 'message'; data: WebMessage } | { event: 'citizen'; data: WebCitizenMessage };

/**
 * Entries kept per browser chat, both sides of the conversation; older ones are trimmed (a reload
 * shows at most this many).
 */
const OUTBOX_LENGTH = 300;
/** A chat nobody wrote to for this long loses its outbox. */
const OUTBOX_TTL_SECONDS = 30 * 24 * 3600;

/**
 * What the transcript shows for what the citizen sent but did not type: never a file's name (it
 * may name a person), its address or a location's coordinates. The page is in Bahasa Indonesia.
 */
export const TRANSCRIPT_FILE = '📎 Berkas terkirim';
export const TRANSCRIPT_LOCATION = '📍 Lokasi terkirim';
/** A pressed button whose label the page did not send. */
export const TRANSCRIPT_CHOICE = '☑️ Pilihan terkirim';

/**
 * The web chat's sending side. Each browser chat has an outbox (a capped Redis stream; the page's
 * transcript, so the citizen's messages are recorded in it too, each before its replies) and every
 * process is told through pub/sub that it grew; whichever process holds the browser's event stream
 * forwards it. So a reply or a status update reaches the page whichever process produced it.
 */
export class WebChatAdapter implements ChannelAdapter {
  readonly name = 'web';
  /** The outbox is the page's transcript: the citizen's messages are recorded in it too. */
  readonly keepsTranscript = true;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async send(chatId: string, messages: readonly Outbound[], context?: SendContext): Promise<void> {
    const key = this.keys.webOutbox(chatId);
    const at = new Date().toISOString();
    const mine = context?.inReplyTo && transcriptText(context.inReplyTo);
    if (!mine && messages.length === 0) return;
    const tx = this.redis.multi();
    // The citizen's message first, in the same transaction: nothing can come between it and its replies.
    if (mine && context?.inReplyTo)
      tx.xadd(
        key,
        'MAXLEN',
        '~',
        OUTBOX_LENGTH,
        '*',
        'c',
        JSON.stringify({ messageId: context.inReplyTo.messageId, text: mine }),
        'at',
        at,
      );
    for (const message of messages)
      tx.xadd(key, 'MAXLEN', '~', OUTBOX_LENGTH, '*', 'm', JSON.stringify(message), 'at', at);
    tx.expire(key, OUTBOX_TTL_SECONDS);
    tx.publish(this.keys.webPubSub, chatId);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('web outbox transaction aborted');
  }
}

/**
 * How the citizen's message reads in the transcript: what the page drew when it was sent, less
 * anything that could identify someone (a file's name, coordinates). A button reads as the label
 * the page sent with it (its own view, not checked: it only ever reaches this chat's page, as a
 * typed text would). Null: nothing to show (the page's silent `start`).
 */
function transcriptText({ inbound, shown }: NonNullable<SendContext['inReplyTo']>): string | null {
  switch (inbound.kind) {
    case 'text':
      return inbound.text;
    case 'choice':
      return shown ?? TRANSCRIPT_CHOICE;
    case 'media':
      return TRANSCRIPT_FILE;
    case 'location':
      return TRANSCRIPT_LOCATION;
    default:
      return null;
  }
}

/**
 * One field of an outbox entry (`m`: a bot message, JSON; `c`: the citizen's, JSON; `at`), looked
 * up by name only, never among the values.
 */
function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

type Listener = (entries: WebEntry[]) => void;

interface ListenerEntry {
  lastId: string;
  deliver: Listener;
  /** Ends the browser's stream (at shutdown). */
  end: () => void;
  busy: Promise<void>;
}

/** Event streams one chat may hold open in one process (a few tabs; more is someone misbehaving). */
export const MAX_STREAMS_PER_CHAT = 5;

/** How often every open stream re-reads its outbox, whatever pub/sub said: the safety net. */
const CATCH_UP_MS = 15_000;

/**
 * Local fan-out of outbox messages to the event streams open in this process. One subscriber
 * connection per process, however many browsers are connected.
 *
 * Pub/sub is only a hint to read now: a message published while the subscriber was reconnecting
 * is lost to pub/sub, so every stream also re-reads its outbox when the subscriber is back and
 * every 15 seconds. The outbox (a Redis stream) is the truth; nothing is sent twice because each
 * stream remembers the last id it sent.
 */
export class WebChatHub {
  private readonly listeners = new Map<string, Set<ListenerEntry>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly keys: Keys,
    private readonly logger: { warn(o: object, m: string): void },
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, chatId: string) => {
      if (channel === this.keys.webPubSub) this.poke(chatId);
    });
    this.subscriber.on('error', (err: Error) =>
      this.logger.warn({ error: err.message }, 'web chat subscriber connection error'),
    );
    // After a reconnect ioredis subscribes again by itself; what was published meanwhile is read now.
    this.subscriber.on('ready', () => this.pullAll());
    await this.subscriber.subscribe(this.keys.webPubSub);
    this.timer = setInterval(() => this.pullAll(), CATCH_UP_MS);
    this.timer.unref();
  }

  /** Ends every open stream (browsers reconnect, elsewhere) and closes the subscriber. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const set of this.listeners.values()) for (const entry of set) entry.end();
    this.listeners.clear();
    await this.subscriber.quit().catch(() => undefined);
  }

  /**
   * Streams one chat's entries after `lastId` (the browser's Last-Event-ID; none = the whole
   * outbox, so a reload shows the conversation, both sides). Returns the function that stops it,
   * or null when the chat already has `MAX_STREAMS_PER_CHAT` streams open here.
   */
  listen(
    chatId: string,
    lastId: string | undefined,
    deliver: Listener,
    end: () => void,
  ): (() => void) | null {
    const set = this.listeners.get(chatId) ?? new Set<ListenerEntry>();
    if (set.size >= MAX_STREAMS_PER_CHAT) return null;
    const entry: ListenerEntry = { lastId: lastId ?? '0', deliver, end, busy: Promise.resolve() };
    this.listeners.set(chatId, set);
    set.add(entry);
    // Registered before the first read, so a message published meanwhile is not missed.
    this.pull(chatId, entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.listeners.get(chatId) === set) this.listeners.delete(chatId);
    };
  }

  private poke(chatId: string): void {
    for (const entry of this.listeners.get(chatId) ?? []) this.pull(chatId, entry);
  }

  private pullAll(): void {
    for (const chatId of this.listeners.keys()) this.poke(chatId);
  }

  /** Reads what is new for one listener; reads of one listener are chained so nothing is sent twice. */
  private pull(chatId: string, entry: ListenerEntry): void {
    entry.busy = entry.busy.then(async () => {
      try {
        const rows = await this.redis.xrange(
          this.keys.webOutbox(chatId),
          `(${entry.lastId}`,
          '+',
          'COUNT',
          OUTBOX_LENGTH,
        );
        if (rows.length === 0) return;
        const entries: WebEntry[] = rows.map(([id, fields]) => {
          const at = field(fields, 'at') ?? '';
          const citizen = field(fields, 'c');
          if (citizen !== undefined) {
            const { messageId, text } = JSON.parse(citizen) as { messageId: string; text: string };
            return { event: 'citizen', data: { id, at, messageId, text } };
          }
          const message = JSON.parse(field(fields, 'm') ?? '{}') as Outbound;
          return { event: 'message', data: { ...message, id, at } };
        });
        entry.lastId = rows[rows.length - 1]?.[0] ?? entry.lastId;
        entry.deliver(entries);
      } catch {
        // Redis unreachable for a moment: the reconnect and the 15-second catch-up read again.
      }
    });
  }
}
