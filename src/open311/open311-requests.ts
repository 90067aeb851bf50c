import type { Routing } from '../flows/schema.ts';
import type { Status } from '../tickets/lifecycle.ts';
import type { Ticket } from '../tickets/ticket.ts';

/** GeoReport v2 knows two statuses; these of ours count as closed, every other as open. */
const CLOSED: ReadonlySet<Status> = new Set(['resolved', 'closed', 'archived']);

/** `open` or `closed`, as the spec defines them. */
export function open311Status(status: Status): 'open' | 'closed' {
  return CLOSED.has(status) ? 'closed' : 'open';
}

/**
 * Statuses that are not published at all: `received` (no one has checked it yet: it may name a
 * person, or be abuse) and `archived` (spam, a duplicate, or never completed). SP4N-LAPOR! publishes
 * a report only once it is verified; before that, even its agency and status would tell the public
 * that such a report exists, so Open311 answers as if there were none.
 */
const UNPUBLISHED: ReadonlySet<Status> = new Set(['received', 'archived']);

/**
 * Whether a ticket may appear in public Open311 answers: never a confidential (rahasia) one, and
 * never one that is not (or no longer) published — see {@link UNPUBLISHED}.
 */
export function isPublic(ticket: Ticket): boolean {
  return !ticket.confidential && !UNPUBLISHED.has(ticket.status);
}

/**
 * A ticket as a GeoReport v2 service request. Nothing about the reporter is included, for any
 * ticket; nor are status notes (written to the reporter, they may name them) or attachments (the
 * agency API serves those, behind a key). Only a ticket {@link isPublic} allows is ever shown; for
 * any other (a caller's mistake) the text and the place are still left out.
 */
export function toServiceRequest(ticket: Ticket, routing: Routing) {
  const category = routing.categories.find((c) => c.id === ticket.category);
  const published = isPublic(ticket);
  return {
    service_request_id: ticket.trackingId,
    status: open311Status(ticket.status),
    status_notes: null,
    service_name: category?.label.id ?? ticket.category,
    service_code: ticket.category,
    description: published ? ticket.body : null,
    agency_responsible: routing.agencies.find((a) => a.id === ticket.agencyId)?.name ?? ticket.agencyId,
    service_notice: null,
    requested_datetime: ticket.createdAt,
    updated_datetime: ticket.updatedAt,
    expected_datetime: null,
    address: published ? (ticket.location?.address ?? null) : null,
    address_id: null,
    zipcode: null,
    lat: published ? (ticket.location?.latitude ?? null) : null,
    long: published ? (ticket.location?.longitude ?? null) : null,
    media_url: null,
  };
}
