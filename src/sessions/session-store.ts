import type { Session } from '../engine/types.ts';
import type { Keys } from '../redis/keys.ts';
import type { ScriptedRedis } from '../redis/scripts.ts';

/** What the inbound chain learns in its one read. */
export interface LoadedSession {
  /** null for a chat we have not seen (or whose draft expired). */
  session: Session | null;
  /** The version read; pass it back to `save`. 0 when there was no session. */
  version: number;
  /** This platform message was handled before. */
  duplicate: boolean;
  /** Messages of this chat in the current rate window, this one included. */
  recentMessages: number;
}

/** How a save treats the idle indexes that drive reminders and expiry. */
export type IdleMode = 'track' | 'reminded' | 'none';

export interface SessionStoreOptions {
  /** How long a draft lives without activity. */
  draftTtlSeconds: number;
  /** How long a session without a draft (language choice, recent submissions) is kept. */
  idleTtlSeconds?: number;
  /** How long a handled message id is remembered for de-duplication. */
  seenTtlSeconds?: number;
  /** Length of the per-chat rate window. */
  rateWindowSeconds?: number;
}

/**
 * One Redis hash per conversation, read and written in one round trip each, with a version
 * check: two messages of one citizen arriving together cannot overwrite each other — the loser
 * sees `conflict` and runs its turn again on the winner's session.
 */
export class SessionStore {
  private readonly idleTtl: number;
  private readonly seenTtl: number;
  private readonly rateWindow: number;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly options: SessionStoreOptions,
  ) {
    this.idleTtl = options.idleTtlSeconds ?? 30 * 24 * 3600;
    this.seenTtl = options.seenTtlSeconds ?? 7 * 24 * 3600;
    this.rateWindow = options.rateWindowSeconds ?? 60;
  }

  /**
   * Reads a conversation, whether `messageId` was handled already, and (when `countRate`)
   * counts the message against the chat's rate limit.
   */
  async load(
    chat: string,
    messageId: string | undefined,
    countRate: boolean,
    now: number,
  ): Promise<LoadedSession> {
    const window = Math.floor(now / 1000 / this.rateWindow);
    const [version, json, seen, count] = await this.redis.sessionLoad(
      this.keys.session(chat),
      messageId ? this.keys.inboundSeen(chat, messageId) : this.keys.inboundSeen(chat, '-'),
      this.keys.chatRate(chat, window),
      countRate ? '1' : '0',
      this.rateWindow,
    );
    return {
      session: json ? parseSession(json) : null,
      version,
      duplicate: !!messageId && seen === 1,
      recentMessages: count,
    };
  }

  /**
   * Saves `session` if the stored version is still `version`. `messageId` is marked handled in
   * the same step, so a duplicate that raced this one is refused here.
   */
  async save(
    chat: string,
    version: number,
    session: Session,
    options: { messageId?: string; idle?: IdleMode } = {},
  ): Promise<'saved' | 'conflict' | 'duplicate'> {
    const idle: IdleMode = options.idle ?? (session.flowId ? 'track' : 'none');
    const result = await this.redis.sessionSave(
      this.keys.session(chat),
      options.messageId ? this.keys.inboundSeen(chat, options.messageId) : this.keys.inboundSeen(chat, '-'),
      this.keys.idleRemind,
      this.keys.idleExpire,
      version,
      JSON.stringify(session),
      session.flowId ? this.options.draftTtlSeconds : this.idleTtl,
      options.messageId ? this.seenTtl : 0,
      chat,
      idle,
      session.lastActivityAt,
    );
    if (result === -1) return 'duplicate';
    return result === 0 ? 'conflict' : 'saved';
  }

  /** Forgets a conversation entirely (a deletion request, UU PDP). */
  async delete(chat: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.session(chat))
      .zrem(this.keys.idleRemind, chat)
      .zrem(this.keys.idleExpire, chat)
      .exec();
  }

  /** Chats whose last activity is at or before `before` (epoch ms) and that were not reminded yet. */
  dueForReminder(before: number, limit = 200): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.idleRemind, '-inf', before, 'LIMIT', 0, limit);
  }

  /** Chats whose draft has been idle since `before` (epoch ms) or longer. */
  dueForExpiry(before: number, limit = 200): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.idleExpire, '-inf', before, 'LIMIT', 0, limit);
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
