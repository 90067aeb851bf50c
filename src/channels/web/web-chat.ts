import type { Redis } from 'ioredis';
import type { Outbound } from '../../engine/types.ts';
import type { Keys } from '../../redis/keys.ts';
import type { ChannelAdapter } from '../channel.ts';

/** A message as the web chat page receives it over server-sent events. */
export interface WebMessage extends Outbound {
  /** The Redis stream id: the SSE event id, so a reconnecting browser gets what it missed. */
  id: string;
  at: string;
}

/** Messages kept per browser chat; older ones are trimmed (a reload shows at most this many). */
const OUTBOX_LENGTH = 300;
/** A chat nobody wrote to for this long loses its outbox. */
const OUTBOX_TTL_SECONDS = 30 * 24 * 3600;

/**
 * The web chat's sending side. Each browser chat has an outbox (a capped Redis stream) and every
 * process is told through pub/sub that it grew; whichever process holds the browser's event stream
 * forwards it. So a reply or a status update reaches the page whichever process produced it.
 */
export class WebChatAdapter implements ChannelAdapter {
  readonly name = 'web';

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async send(chatId: string, messages: readonly Outbound[]): Promise<void> {
    const key = this.keys.webOutbox(chatId);
    const at = new Date().toISOString();
    const tx = this.redis.multi();
    for (const message of messages)
      tx.xadd(key, 'MAXLEN', '~', OUTBOX_LENGTH, '*', 'm', JSON.stringify(message), 'at', at);
    tx.expire(key, OUTBOX_TTL_SECONDS);
    tx.publish(this.keys.webPubSub, chatId);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('web outbox transaction aborted');
  }
}

type Listener = (messages: WebMessage[]) => void;

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
   * Streams one chat's messages after `lastId` (the browser's Last-Event-ID; none = the whole
   * outbox, so a reload shows the conversation). Returns the function that stops it, or null when
   * the chat already has `MAX_STREAMS_PER_CHAT` streams open here.
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
        const messages: WebMessage[] = rows.map(([id, fields]) => {
          const get = (name: string) => fields[fields.indexOf(name) + 1] ?? '';
          return { ...(JSON.parse(get('m')) as Outbound), id, at: get('at') };
        });
        entry.lastId = rows[rows.length - 1]?.[0] ?? entry.lastId;
        entry.deliver(messages);
      } catch {
        // Redis unreachable for a moment: the reconnect and the 15-second catch-up read again.
      }
    });
  }
}
