import type { ChannelRegistry } from '../channels/channel.ts';
import { expiryNotice, type FlowCatalog, newSession, reminderFor } from '../engine/engine.ts';
import type { Logger } from '../log/logger.ts';
import { hashId } from '../log/logger.ts';
import type { SessionStore } from './session-store.ts';

export interface IdleSweeperDeps {
  sessions: SessionStore;
  channels: ChannelRegistry;
  catalog: () => FlowCatalog;
  logger: Logger;
  reminderAfterMs: number;
  expireAfterMs: number;
}

/**
 * Idle drafts: one reminder after `reminderAfterMs` without a message, then the draft is deleted
 * (with a notice) after `expireAfterMs`. Driven by two sorted sets kept by every session save,
 * so a sweep touches only chats that are due. Each change is a versioned save: a citizen who
 * answers while the sweep runs wins, and the sweep skips them.
 */
export function createIdleSweeper(deps: IdleSweeperDeps): (now: Date) => Promise<void> {
  const split = (chat: string) => {
    const i = chat.indexOf(':');
    return { channel: chat.slice(0, i), chatId: chat.slice(i + 1) };
  };

  const remind = async (chat: string, now: Date) => {
    const loaded = await deps.sessions.load(chat, now.getTime());
    const s = loaded.session;
    if (!s?.flowId || s.reminded) return deps.sessions.untrack(chat, 'remind');
    // The index is set when a draft starts; the session knows the latest activity.
    if (s.lastActivityAt > now.getTime() - deps.reminderAfterMs)
      return deps.sessions.reschedule(chat, 'remind', s.lastActivityAt);
    const saved = await deps.sessions.save(chat, loaded, { ...s, reminded: true }, { idle: 'reminded' });
    if (saved !== 'saved') return;
    const { channel, chatId } = split(chat);
    await deps.channels.get(channel)?.send(chatId, reminderFor(deps.catalog(), s));
  };

  const expire = async (chat: string, now: Date) => {
    const loaded = await deps.sessions.load(chat, now.getTime());
    const s = loaded.session;
    if (!s?.flowId) return deps.sessions.untrack(chat, 'expire');
    if (s.lastActivityAt > now.getTime() - deps.expireAfterMs)
      return deps.sessions.reschedule(chat, 'expire', s.lastActivityAt);
    // Keep the language and past submissions; drop the draft.
    const cleared = { ...newSession(new Date(s.lastActivityAt), s.lang), submitted: s.submitted };
    const saved = await deps.sessions.save(chat, loaded, cleared, { idle: 'remove' });
    if (saved !== 'saved') return;
    const { channel, chatId } = split(chat);
    await deps.channels.get(channel)?.send(chatId, expiryNotice(s));
  };

  return async (now: Date) => {
    for (const chat of await deps.sessions.dueForExpiry(now.getTime() - deps.expireAfterMs)) {
      await expire(chat, now).catch((err: Error) =>
        deps.logger.warn({ chat: hashId(chat), error: err.message }, 'idle expiry failed'),
      );
    }
    for (const chat of await deps.sessions.dueForReminder(now.getTime() - deps.reminderAfterMs)) {
      await remind(chat, now).catch((err: Error) =>
        deps.logger.warn({ chat: hashId(chat), error: err.message }, 'idle reminder failed'),
      );
    }
  };
}
