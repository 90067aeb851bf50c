import { newSession } from '../engine/engine.ts';
import type { Ticket } from '../tickets/ticket.ts';
import type { SessionStore } from './session-store.ts';

/**
 * Marks the reporter's chat as asked to rate `ticket`, so a typed "4" (WhatsApp has no buttons)
 * is read as the rating. A versioned save like any turn: retried if the citizen writes meanwhile.
 * `stillReachable` is asked right before each save: the reporter may have had their data deleted
 * since `ticket` was read, and this save would otherwise bring a deleted chat's session back.
 */
export async function rememberRatingAsked(
  sessions: SessionStore,
  ticket: Ticket,
  stillReachable: () => Promise<boolean> = async () => true,
): Promise<void> {
  const chat = `${ticket.reporter.channel}:${ticket.reporter.chatId}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const loaded = await sessions.load(chat, Date.now());
    if (!(await stillReachable())) return;
    const session = loaded.session ?? newSession(new Date(), ticket.reporter.lang);
    if ((await sessions.save(chat, loaded, { ...session, pendingRating: ticket.trackingId })) === 'saved')
      return;
  }
}
