import { z } from 'zod';
import { STATUSES } from './lifecycle.ts';

const mediaRef = z.object({
  ref: z.string(),
  mimeType: z.string(),
  size: z.number().optional(),
  fileName: z.string().optional(),
});

/** Where a reporter can be reached: the channel and chat they reported from, and their language. */
export const reporterSchema = z.object({
  channel: z.string(),
  chatId: z.string(),
  lang: z.enum(['id', 'en']),
});
export type Reporter = z.infer<typeof reporterSchema>;

/** One change in a ticket's life: who did what, when, and why. */
export const ticketEventSchema = z.object({
  seq: z.number().int().min(1),
  at: z.string(),
  actor: z.object({
    kind: z.enum(['system', 'reporter', 'agency', 'coordinator']),
    id: z.string().optional(),
  }),
  type: z.enum(['created', 'status_changed', 'delivery_failed', 'note']),
  from: z.enum(STATUSES).optional(),
  to: z.enum(STATUSES).optional(),
  agencyId: z.string().optional(),
  note: z.string().optional(),
});
export type TicketEvent = z.infer<typeof ticketEventSchema>;

/**
 * A ticket: one confirmed report, routed to one agency. `reporter` is kept for replies only and
 * never leaves through the agency API (see `toAgencyView`).
 */
export const ticketSchema = z.object({
  trackingId: z.string(),
  submissionId: z.string(),
  status: z.enum(STATUSES),
  type: z.string(),
  category: z.string(),
  region: z.string().optional(),
  agencyId: z.string(),
  title: z.string(),
  body: z.string(),
  incidentDate: z.string().optional(),
  location: z
    .object({
      latitude: z.number().optional(),
      longitude: z.number().optional(),
      address: z.string().optional(),
    })
    .optional(),
  attachments: z.array(mediaRef),
  /** Files the reporter sent that could not be kept (wrong type, too large, gone), so the agency knows. */
  rejectedAttachments: z
    .array(z.object({ fileName: z.string().optional(), mimeType: z.string(), reason: z.string() }))
    .default([]),
  anonymous: z.boolean(),
  confidential: z.boolean(),
  reporter: reporterSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Events so far; the next event's `seq` is this plus one. */
  eventCount: z.number().int(),
  /** The confirmation to the reporter was queued (so a re-run of the job does not queue it again). */
  confirmationQueued: z.boolean(),
  /** Set when the reporter's chat can no longer be reached (blocked the bot, number gone). */
  reporterUnreachable: z.boolean().default(false),
});
export type Ticket = z.infer<typeof ticketSchema>;

/**
 * The ticket as an agency sees it. For an anonymous report nothing about the reporter leaves;
 * otherwise only the channel they used (the chat address is for replies through Aduan only).
 */
export function toAgencyView(ticket: Ticket, events: TicketEvent[]) {
  const { reporter, submissionId: _s, confirmationQueued: _c, eventCount: _e, ...rest } = ticket;
  return {
    ...rest,
    reporter: ticket.anonymous ? null : { channel: reporter.channel },
    history: events,
  };
}
