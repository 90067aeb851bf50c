import type { Outbound, Session, Submission } from '../engine/types.ts';
import type { Keys } from '../redis/keys.ts';
import type { ScriptedRedis } from '../redis/scripts.ts';
import type { Reporter } from '../tickets/ticket.ts';

/** What the inbound chain learns in its one read. */
export interface LoadedSession {
  /** null for a chat we have not seen (or whose draft expired). */
  session: Session | null;
  /** The version read; pass it back to `save`. 0 when there was no session. */
  version: number;
  /** Ids of the chat's recent platform messages (newest last): a message among them was handled. */
  recentMessageIds: string[];
  /** Messages handled in the current rate window. */
  rate: RateWindow;
  /** The id of the last message whose replies are known to have been sent. */
  delivered: string | null;
}

/** A report confirmed in a turn, waiting to be put on the tickets queue. */
export interface PendingReport {
  submission: Submission;
  reporter: Reporter;
}

/** What the last turn of a chat was to send, kept until it is known to be sent. */
export interface LastTurn {
  messageId: string;
  outbound: Outbound[];
  /** When the turn was saved (the session's `lastActivityAt`, epoch ms); absent in older hashes. */
  at?: number;
}

/** Messages of one chat in one rate window. */
export interface RateWindow {
  window: number;
  count: number;
}

/**
 * How a save changes the idle indexes that drive reminders and expiry: `add` when a draft starts
 * (or is answered after its reminder), `reminded` after the reminder, `remove` when no draft is
 * left, `keep` otherwise — the common case, which touches no index at all.
 */
export type IdleChange = 'add' | 'reminded' | 'remove' | 'keep';

export interface SessionStoreOptions {
  /** How long a draft lives without activity. */
  draftTtlSeconds: number;
  /** How long a session without a draft (language choice, recent submissions) is kept. */
  idleTtlSeconds?: number;
  /** Length of the per-chat rate window. */
  rateWindowSeconds?: number;
}

/** How many recent message ids a chat remembers for de-duplication (redeliveries are recent). */
export const RECENT_MESSAGE_IDS = 32;

/**
 * One Redis hash per conversation: a turn is one plain HMGET and one short Lua script (HGET, HSET,
 * EXPIRE) with a version check, so two messages of one citizen arriving together cannot overwrite
 * each other — the loser sees `conflict` and runs its turn again on the winner's session. The
 * hash carries the chat's recent message ids and rate window, so de-duplication and rate limiting
 * are decided by the same check, without keys or round trips of their own.
 */
export class SessionStore {
  private readonly idleTtl: number;
  readonly rateWindowSeconds: number;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly options: SessionStoreOptions,
  ) {
    // A chat with no draft keeps only its language and recent submissions: a week is plenty, and
    // it bounds what a flood of made-up chat ids can leave behind.
    this.idleTtl = options.idleTtlSeconds ?? 7 * 24 * 3600;
    this.rateWindowSeconds = options.rateWindowSeconds ?? 60;
  }

  /** The rate window `now` (epoch ms) falls in. */
  windowOf(now: number): number {
    return Math.floor(now / 1000 / this.rateWindowSeconds);
  }

  /** Reads a conversation with its recent message ids and rate window: one round trip. */
  async load(chat: string, now: number): Promise<LoadedSession> {
    const [v, json, m, r, d] = await this.redis.hmget(this.keys.session(chat), 'v', 's', 'm', 'r', 'd');
    const window = this.windowOf(now);
    const [w, c] = (r ?? '').split(':').map(Number);
    return {
      session: json ? parseSession(json) : null,
      version: Number(v ?? 0),
      recentMessageIds: m ? m.split(' ') : [],
      rate: { window, count: w === window && Number.isFinite(c) ? (c as number) : 0 },
      delivered: d ?? null,
    };
  }

  /** The last turn's replies and the reports still waiting for the queue (read only when recovering). */
  async outbox(chat: string): Promise<{ lastTurn: LastTurn | null; pending: PendingReport[] }> {
    const [o, p] = await this.redis.hmget(this.keys.session(chat), 'o', 'p');
    return {
      lastTurn: o ? (JSON.parse(o) as LastTurn) : null,
      pending: p ? (JSON.parse(p) as PendingReport[]) : [],
    };
  }

  /**
   * The last turn's replies with the id of the last message known delivered, read together (one
   * round trip): what a chat's next message needs to tell whether that turn's replies were missed.
   */
  async lastTurn(chat: string): Promise<{ lastTurn: LastTurn | null; delivered: string | null }> {
    const [o, d] = await this.redis.hmget(this.keys.session(chat), 'o', 'd');
    return { lastTurn: o ? (JSON.parse(o) as LastTurn) : null, delivered: d ?? null };
  }

  /** The id of the last message whose replies are known to have been sent (one field, not the session). */
  delivered(chat: string): Promise<string | null> {
    return this.redis.hget(this.keys.session(chat), 'd');
  }

  /** Records that the replies to `messageId` were sent (so a redelivery does not send them again). */
  async markDelivered(chat: string, messageId: string): Promise<void> {
    await this.redis.hset(this.keys.session(chat), 'd', messageId);
  }

  /**
   * Lets one redelivered copy of `messageId` send its replies again: true for the first caller
   * within `ttlMs`, false for every concurrent or later copy.
   */
  async claimResend(chat: string, messageId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.resendClaim(chat, messageId), '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Gives up a resend claim whose send failed. */
  async releaseResend(chat: string, messageId: string): Promise<void> {
    await this.redis.del(this.keys.resendClaim(chat, messageId));
  }

  /**
   * Takes reports off the chat's pending list once they are on the queue; with `sentMessageId`,
   * also records that message's replies as sent (as `markDelivered`), in the same round trip.
   */
  async settle(chat: string, submissionIds: string[], sentMessageId = ''): Promise<void> {
    await this.redis.sessionSettle(
      this.keys.session(chat),
      this.keys.pendingReports,
      chat,
      JSON.stringify(submissionIds),
      sentMessageId,
    );
  }

  /** Chats with reports confirmed at or before `before` (epoch ms) and still not queued. */
  pendingSince(before: number, limit = 200): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.pendingReports, '-inf', before, 'LIMIT', 0, limit);
  }

  /**
   * Saves `session` if the stored version is still `loaded.version`, recording `messageId` as
   * handled and counting it in the rate window. The turn's replies and confirmed reports are
   * written in the same step (the outbox), so they survive a crash right after it.
   */
  async save(
    chat: string,
    loaded: Pick<LoadedSession, 'version' | 'recentMessageIds' | 'rate'>,
    session: Session,
    options: { messageId?: string; idle?: IdleChange; outbound?: Outbound[]; reports?: PendingReport[] } = {},
  ): Promise<'saved' | 'conflict'> {
    const ids = options.messageId
      ? [...loaded.recentMessageIds, options.messageId].slice(-RECENT_MESSAGE_IDS)
      : loaded.recentMessageIds;
    const count = options.messageId ? loaded.rate.count + 1 : loaded.rate.count;
    const lastTurn: LastTurn | null = options.messageId
      ? { messageId: options.messageId, outbound: options.outbound ?? [], at: session.lastActivityAt }
      : null;
    const result = await this.redis.sessionSave(
      this.keys.session(chat),
      this.keys.idleRemind,
      this.keys.idleExpire,
      this.keys.pendingReports,
      String(loaded.version),
      JSON.stringify(session),
      String(session.flowId ? this.options.draftTtlSeconds : this.idleTtl),
      ids.join(' '),
      `${loaded.rate.window}:${count}`,
      options.idle ?? 'keep',
      chat,
      String(session.lastActivityAt),
      lastTurn ? JSON.stringify(lastTurn) : '',
      options.reports?.length ? JSON.stringify(options.reports) : '',
    );
    return result === 0 ? 'conflict' : 'saved';
  }

  /** Marks the rate window as over its limit (so the notice is sent once); not version-checked on purpose. */
  async markRateNoticeSent(chat: string, rate: RateWindow): Promise<void> {
    await this.redis.hset(this.keys.session(chat), 'r', `${rate.window}:${rate.count + 1}`);
  }

  /**
   * Forgets a conversation entirely (a deletion request, UU PDP), with its index entries, if it is
   * still at `version` (as read by `load`): false when a turn saved it meanwhile.
   */
  async deleteIfUnchanged(chat: string, version: number): Promise<boolean> {
    const deleted = await this.redis.sessionForget(
      this.keys.session(chat),
      this.keys.idleRemind,
      this.keys.idleExpire,
      this.keys.pendingReports,
      String(version),
      chat,
    );
    return deleted === 1;
  }

  /** Chats due to be looked at for a reminder: tracked since `before` (epoch ms) or earlier. */
  dueForReminder(before: number, limit = 200): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.idleRemind, '-inf', before, 'LIMIT', 0, limit);
  }

  /** Chats due to be looked at for expiry. */
  dueForExpiry(before: number, limit = 200): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.idleExpire, '-inf', before, 'LIMIT', 0, limit);
  }

  /** Looks at a chat again later: its last activity was newer than the index said. */
  async reschedule(chat: string, index: 'remind' | 'expire', lastActivityAt: number): Promise<void> {
    await this.redis.zadd(
      index === 'remind' ? this.keys.idleRemind : this.keys.idleExpire,
      'XX',
      lastActivityAt,
      chat,
    );
  }

  /** Takes a chat out of one index (no draft, or nothing left to do for it there). */
  async untrack(chat: string, index: 'remind' | 'expire'): Promise<void> {
    await this.redis.zrem(index === 'remind' ? this.keys.idleRemind : this.keys.idleExpire, chat);
  }
}

/**
 * A stored session, or null when it cannot be read (hand-edited or from an incompatible
 * version): the citizen then starts afresh instead of the process failing on every message.
 */
function parseSession(json: string): Session | null {
  try {
    const value = JSON.parse(json) as Session;
    return value &&
      typeof value === 'object' &&
      typeof value.lang === 'string' &&
      typeof value.answers === 'object'
      ? value
      : null;
  } catch {
    return null;
  }
}
