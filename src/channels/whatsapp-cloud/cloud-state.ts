import type { Redis } from 'ioredis';
import type { Outbound } from '../../engine/types.ts';
import type { Keys } from '../../redis/keys.ts';
import type { CloudDeliveryStatus } from './cloud-inbound.ts';

/** WhatsApp's customer-service window: free text may reach a user this long after their last message. */
export const WINDOW_MS = 24 * 3_600_000;
/** How long a sent notification's record, and a held message, are kept. */
const KEEP_SECONDS = 30 * 24 * 3600;
/** A chat's index drops a message id this long after its record expired (slack for clocks that differ). */
const INDEX_SLACK_MS = 24 * 3_600_000;
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

/** A notification's full messages, held while the window was closed. */
export interface HeldNotice {
  /** Its ticket; null for one held before notices carried it. */
  trackingId: string | null;
  messages: Outbound[];
}

/**
 * The Cloud API transport's small state in Redis, shared by every process (any process may send or
 * receive): each chat's last message time (the 24-hour window), the notifications sent with their
 * delivery statuses (listed per chat), and notifications held back while the window was closed.
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

  /**
   * Remembers what a sent message was about, so its statuses can be recorded on the notification,
   * and lists it under its chat: the record holds the phone number, and a deletion request finds it
   * only through the chat (`keysOfChat`).
   */
  async remember(messageId: string, notice: SentNotice): Promise<void> {
    const key = this.keys.whatsappCloudMessage(messageId);
    const index = this.keys.whatsappCloudChatMessages(notice.chatId);
    const expiresAt = Date.now() + KEEP_SECONDS * 1000;
    await this.redis
      .multi()
      .hset(key, { ...notice, template: notice.template ? '1' : '0' })
      .expire(key, KEEP_SECONDS)
      .zadd(index, expiresAt, messageId)
      // Ids whose records are long gone leave the index, so a busy chat's index does not grow for ever.
      .zremrangebyscore(index, '-inf', String(Date.now() - INDEX_SLACK_MS))
      .expire(index, KEEP_SECONDS)
      .exec();
  }

  /** Deletes a sent message's record (its reporter's data was deleted meanwhile) and its index entry. */
  async forgetMessage(messageId: string, chatId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.whatsappCloudMessage(messageId))
      .zrem(this.keys.whatsappCloudChatMessages(chatId), messageId)
      .exec();
  }

  /**
   * Every key this transport keeps for a chat: its window, its held notices, the index of its sent
   * messages and each message record listed there (some may have expired already). For a deletion
   * request, which deletes them; a `6281…@c.us` id (the web transport's) names the same number.
   */
  async keysOfChat(chatId: string): Promise<string[]> {
    const chat = chatId.replace(/@c\.us$/, '');
    const index = this.keys.whatsappCloudChatMessages(chat);
    const ids = await this.redis.zrange(index, '0', '-1');
    return [
      this.keys.whatsappCloudWindow(chat),
      this.keys.whatsappCloudHeld(chat),
      index,
      ...ids.map((id) => this.keys.whatsappCloudMessage(id)),
    ];
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

  /**
   * Keeps a notification's full messages until the reporter writes again (the window reopens), with
   * its ticket: by then the reporter may have had their data deleted.
   */
  async hold(chatId: string, notice: HeldNotice): Promise<void> {
    const key = this.keys.whatsappCloudHeld(chatId);
    await this.redis
      .multi()
      .rpush(key, JSON.stringify(notice))
      .ltrim(key, -MAX_HELD, -1)
      .expire(key, KEEP_SECONDS)
      .exec();
  }

  /** Takes every held notification of the chat, oldest first. */
  async takeHeld(chatId: string): Promise<HeldNotice[]> {
    const key = this.keys.whatsappCloudHeld(chatId);
    const [[, items]] = (await this.redis.multi().lrange(key, 0, -1).del(key).exec()) as [
      [null, string[]],
      unknown,
    ];
    return items.map((raw) => {
      const held = JSON.parse(raw) as HeldNotice | Outbound[];
      // Held before notices carried their ticket: a bare list of messages.
      return Array.isArray(held) ? { trackingId: null, messages: held } : held;
    });
  }
}
