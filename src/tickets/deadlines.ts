import type { Ticket, TicketEvent } from './ticket.ts';
import type { WorkingDays } from './working-days.ts';

/**
 * How many working days each stage may take (Permenpan RB 62/2018, as SP4N-LAPOR! publishes them):
 * verified and forwarded within 3; the agency's first response within 5 of receiving it; the follow-up
 * completed within `completionDays` (a deployment's own service standard).
 */
export interface DeadlinePolicy {
  verificationDays: number;
  firstResponseDays: number;
  completionDays: number;
}

export const DEFAULT_DEADLINES: DeadlinePolicy = {
  verificationDays: 3,
  firstResponseDays: 5,
  completionDays: 10,
};

/** One stage's deadline: when it is due, when it was met (if it was), and whether it is late. */
export interface Deadline {
  due: string;
  metAt: string | null;
  overdue: boolean;
}

export interface TicketDeadlines {
  verification: Deadline;
  firstResponse: Deadline | null;
  completion: Deadline | null;
  overdue: boolean;
}

/** Statuses that count as the agency responding. */
const RESPONSES = new Set(['in_progress', 'on_hold', 'resolved']);

function firstAt(events: TicketEvent[], test: (e: TicketEvent) => boolean, after?: string): string | null {
  return events.find((e) => test(e) && (!after || e.at >= after))?.at ?? null;
}

function stage(due: string, metAt: string | null, days: WorkingDays, now: Date): Deadline {
  // Met late still counts as met: "overdue" is about what is still waiting.
  return { due, metAt, overdue: metAt === null && days.isPast(due, now) };
}

/**
 * The deadlines of a ticket from its history. Stages start when the one before ends: first
 * response and completion count from the (latest) dispatch to the agency; an archived or closed
 * ticket is never overdue.
 */
export function deadlinesOf(
  ticket: Ticket,
  events: TicketEvent[],
  days: WorkingDays,
  policy: DeadlinePolicy,
  now: Date,
): TicketDeadlines {
  const finished = ticket.status === 'archived' || ticket.status === 'closed';
  const at = finished ? new Date(ticket.updatedAt) : now;
  const dispatchedAt =
    [...events]
      .reverse()
      .find((e) => e.type === 'rerouted' || (e.type === 'status_changed' && e.to === 'dispatched'))?.at ??
    null;
  const verification = stage(
    days.addWorkingDays(new Date(ticket.createdAt), policy.verificationDays),
    // Met when the report is first forwarded — by a status change, or by a re-route (a coordinator's
    // disposisi straight to an agency, or an agency's "bukan wewenang") — or archived.
    firstAt(
      events,
      (e) =>
        e.type === 'rerouted' ||
        (e.type === 'status_changed' && (e.to === 'dispatched' || e.to === 'archived')),
    ),
    days,
    at,
  );
  const firstResponse = dispatchedAt
    ? stage(
        days.addWorkingDays(new Date(dispatchedAt), policy.firstResponseDays),
        firstAt(
          events,
          (e) => e.type === 'reply' || (e.type === 'status_changed' && RESPONSES.has(e.to ?? '')),
          dispatchedAt,
        ),
        days,
        at,
      )
    : null;
  const completion = dispatchedAt
    ? stage(
        days.addWorkingDays(new Date(dispatchedAt), policy.completionDays),
        firstAt(events, (e) => e.type === 'status_changed' && e.to === 'resolved', dispatchedAt),
        days,
        at,
      )
    : null;
  const overdue = !finished && [verification, firstResponse, completion].some((d) => d?.overdue);
  return { verification, firstResponse, completion, overdue };
}
