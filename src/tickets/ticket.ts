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
  /**
   * `note` is internal (never shown to the reporter); `reply` is the agency's answer, sent to the
   * reporter; `reporter_message` is what the reporter added later; `rerouted` moves the ticket to
   * another agency (the coordinator's disposisi, or the agency's own "bukan wewenang": `actor` says which);
   * `reporter_erased` records a deletion request carried out (the reporter's chat address is gone).
   */
  type: z.enum([
    'created',
    'status_changed',
    'delivery_failed',
    'note',
    'reply',
    'reporter_message',
    'rerouted',
    'reporter_erased',
  ]),
  from: z.enum(STATUSES).optional(),
  to: z.enum(STATUSES).optional(),
  agencyId: z.string().optional(),
  /** The agency before a re-route. */
  fromAgencyId: z.string().optional(),
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
  /** No longer read: the confirmation's job id (ticket + event 1) is what makes it once. Kept so stored tickets parse. */
  confirmationQueued: z.boolean(),
  /** The reporter's rating of the follow-up, 1–5, when they gave one. */
  rating: z.number().int().min(1).max(5).optional(),
  /** Set when the reporter's chat can no longer be reached (blocked the bot, number gone). */
  reporterUnreachable: z.boolean().default(false),
  /**
   * Set when the reporter asked to delete their data (UU PDP): `reporter.chatId` is emptied, the case
   * stays. Nothing is sent to the reporter any more and no chat finds the ticket as its own.
   */
  reporterErased: z.boolean().default(false),
});
export type Ticket = z.infer<typeof ticketSchema>;

/**
 * The ticket as an agency sees it. For an anonymous report, or one whose reporter asked to be
 * erased, nothing about the reporter leaves;
 * otherwise only the channel they used (the chat address is for replies through Aduan only).
 * Attachments are links to the API, never file paths.
 */
export function toAgencyView(ticket: Ticket, events: TicketEvent[], extra: Record<string, unknown> = {}) {
  const {
    reporter,
    submissionId: _s,
    confirmationQueued: _c,
    eventCount: _e,
    reporterUnreachable,
    reporterErased,
    attachments,
    ...rest
  } = ticket;
  return {
    ...rest,
    attachments: attachments.map((a, index) => ({
      index,
      mimeType: a.mimeType,
      ...(a.size !== undefined ? { size: a.size } : {}),
      ...(a.fileName ? { fileName: a.fileName } : {}),
      url: `/api/v1/tickets/${ticket.trackingId}/attachments/${index}`,
    })),
    reporter:
      ticket.anonymous || reporterErased
        ? null
        : { channel: reporter.channel, reachable: !reporterUnreachable },
    ...extra,
    history: events,
  };
}

/** The list form of a ticket: no body, no history. */
export function toAgencySummary(ticket: Ticket, extra: Record<string, unknown> = {}) {
  return {
    trackingId: ticket.trackingId,
    status: ticket.status,
    type: ticket.type,
    category: ticket.category,
    ...(ticket.region ? { region: ticket.region } : {}),
    agencyId: ticket.agencyId,
    title: ticket.title,
    anonymous: ticket.anonymous,
    confidential: ticket.confidential,
    reporter: ticket.anonymous || ticket.reporterErased ? null : { channel: ticket.reporter.channel },
    createdAt: ticket.createdAt,
    updatedAt: ticket.updatedAt,
    ...extra,
  };
}
