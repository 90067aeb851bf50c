import type { Redis } from 'ioredis';
import type { Outbound } from '../../engine/types.ts';
import type { Keys } from '../../redis/keys.ts';
import type { CloudDeliveryStatus } from './cloud-inbound.ts';

/** WhatsApp's customer-service window: free text may reach a user this long after their last message. */
export const WINDOW_MS = 24 * 3_600_000;
/** How long a sent notification's record, and a held message, are kept. */
const KEEP_SECONDS = 30 * 24 * 3600;
/** Held notifications per chat; a reporter away for months does not pile up a backlog. */
const MAX_HELD = 20;

/** A notification we sent, as remembered by its WhatsApp message id. */
export interface SentNotice {
  trackingId: string;
  /** The ticket event it announced (`status_changed`, `reply`…). */
  event: string;
  /** The ticket's status when it was sent (the template's second parameter). */
  ticketStatus: string;
  chatId: string;
  /** It went out as a template (the window was closed). */
  template: boolean;
}

/**
 * The Cloud API transport's small state in Redis, shared by every process (any process may send or
 * receive): each chat's last message time (the 24-hour window), the notifications sent with their
 * delivery statuses, and notifications held back while the window was closed.
 */
export class CloudState {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Records a message of the chat sent at `atMs`. Kept only as long as it opens the window. A
   * late, older message may set the time back: that only makes a template go where text could.
   */
  async recordInbound(chatId: string, atMs: number): Promise<void> {
    await this.redis.set(
      this.keys.whatsappCloudWindow(chatId),
      String(atMs),
      'PXAT',
      Math.round(atMs + WINDOW_MS),
    );
  }

  /** Whether free text may still reach the chat at `nowMs`, with `marginMs` to spare for a slow send. */
  async windowOpen(chatId: string, nowMs: number, marginMs = 60_000): Promise<boolean> {
    const last = Number(await this.redis.get(this.keys.whatsappCloudWindow(chatId)));
    return Number.isFinite(last) && last > 0 && nowMs < last + WINDOW_MS - marginMs;
  }

  /** Remembers what a sent message was about, so its statuses can be recorded on the notification. */
  async remember(messageId: string, notice: SentNotice): Promise<void> {
    const key = this.keys.whatsappCloudMessage(messageId);
    await this.redis
      .multi()
      .hset(key, { ...notice, template: notice.template ? '1' : '0' })
      .expire(key, KEEP_SECONDS)
      .exec();
  }

  /**
   * Records a delivery status on the notification it belongs to (each status once, with its time:
   * WhatsApp may report them out of order, and a webhook may come twice).
   * @returns the notification and whether this status is new, or null for a message that was not a notification
   */
  async recordStatus(
    messageId: string,
    status: CloudDeliveryStatus,
    atMs: number,
    error?: string,
  ): Promise<{ notice: SentNotice; first: boolean } | null> {
    const key = this.keys.whatsappCloudMessage(messageId);
    const [[, fields], [, first]] = (await this.redis
      .multi()
      .hgetall(key)
      .hsetnx(key, status, String(atMs))
      .exec()) as [[null, Record<string, string>], [null, number]];
    if (!fields.trackingId) {
      // Not ours to track (a conversation reply): undo the field the HSETNX may have made.
      if (first) await this.redis.del(key);
      return null;
    }
    if (error && first) await this.redis.hset(key, 'error', error);
    return {
      notice: {
        trackingId: fields.trackingId,
        event: fields.event ?? '',
        ticketStatus: fields.ticketStatus ?? '',
        chatId: fields.chatId ?? '',
        template: fields.template === '1',
      },
      first: first === 1,
    };
  }

  /** A sent notification's record: what it was about and when each status came (for tests and support). */
  async delivery(messageId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.whatsappCloudMessage(messageId));
  }

  /** Keeps a notification's full messages until the reporter writes again (the window reopens). */
  async hold(chatId: string, messages: readonly Outbound[]): Promise<void> {
    const key = this.keys.whatsappCloudHeld(chatId);
    await this.redis
      .multi()
      .rpush(key, JSON.stringify(messages))
      .ltrim(key, -MAX_HELD, -1)
      .expire(key, KEEP_SECONDS)
      .exec();
  }

  /** Takes every held notification of the chat, oldest first. */
  async takeHeld(chatId: string): Promise<Outbound[][]> {
    const key = this.keys.whatsappCloudHeld(chatId);
    const [[, items]] = (await this.redis.multi().lrange(key, 0, -1).del(key).exec()) as [
      [null, string[]],
      unknown,
    ];
    return items.map((raw) => JSON.parse(raw) as Outbound[]);
  }
}
