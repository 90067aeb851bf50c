import { STORED_REF } from '../attachments/attachment-store.ts';
import type { Keys } from '../redis/keys.ts';
import type { ScriptedRedis } from '../redis/scripts.ts';
import { type Ticket, type TicketEvent, ticketEventSchema, ticketSchema } from './ticket.ts';

/** A ticket read with the version needed to change it. */
export interface VersionedTicket {
  ticket: Ticket;
  version: number;
}

/** Thrown when a ticket changed between read and write more often than retries allow. */
export class TicketConflictError extends Error {
  constructor(readonly trackingId: string) {
    super(`Ticket ${trackingId} kept changing while it was being updated; try again.`);
    this.name = 'TicketConflictError';
  }
}

/**
 * Tickets in Redis: one hash per ticket (version + JSON), its event list, and sorted-set indexes
 * by agency, by status and overall. Every multi-key change is one Lua script, so the indexes and
 * the history never disagree with the ticket.
 */
export class TicketStore {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
  ) {}

  /**
   * Stores a new ticket unless its submission already has one. Its stored files join the kept
   * attachments set in the same script, so the attachment sweep never deletes a file a ticket has.
   * @returns `created` with the ticket's tracking id, `exists` with the earlier ticket's id, or
   *   `taken` when the tracking id collides with another ticket (draw a new one).
   */
  async create(
    ticket: Ticket,
    firstEvent: TicketEvent,
  ): Promise<{ result: 'created' | 'exists' | 'taken'; trackingId: string }> {
    const [code, trackingId] = await this.redis.ticketCreate(
      this.keys.ticketBySubmission(ticket.submissionId),
      this.keys.ticket(ticket.trackingId),
      this.keys.ticketEvents(ticket.trackingId),
      this.keys.ticketsByAgency(ticket.agencyId),
      this.keys.ticketsByStatus(ticket.status),
      this.keys.ticketsAll,
      this.keys.attachmentsKept,
      ticket.trackingId,
      JSON.stringify(ticket),
      JSON.stringify(firstEvent),
      Date.parse(ticket.createdAt),
      ...storedRefs(ticket),
    );
    return { result: code === 1 ? 'created' : code === 0 ? 'exists' : 'taken', trackingId };
  }

  /** The tracking id of the ticket made from a submission, if any. */
  bySubmission(submissionId: string): Promise<string | null> {
    return this.redis.get(this.keys.ticketBySubmission(submissionId));
  }

  async get(trackingId: string): Promise<VersionedTicket | null> {
    const [v, json] = await this.redis.hmget(this.keys.ticket(trackingId), 'v', 't');
    if (!v || !json) return null;
    return { ticket: ticketSchema.parse(JSON.parse(json)), version: Number(v) };
  }

  async events(trackingId: string): Promise<TicketEvent[]> {
    const raw = await this.redis.lrange(this.keys.ticketEvents(trackingId), 0, -1);
    return raw.map((e) => ticketEventSchema.parse(JSON.parse(e)));
  }

  /**
   * Read-modify-write with optimistic concurrency: `change` gets the current ticket and returns
   * the new one plus the event to record (or null to change nothing). Retried on a conflict.
   */
  async update(
    trackingId: string,
    change: (ticket: Ticket) => { ticket: Ticket; event: Omit<TicketEvent, 'seq'> | null } | null,
  ): Promise<{ ticket: Ticket; event: TicketEvent | null } | null> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.get(trackingId);
      if (!current) return null;
      const next = change(current.ticket);
      if (!next) return { ticket: current.ticket, event: null };
      const event: TicketEvent | null = next.event
        ? { ...next.event, seq: current.ticket.eventCount + 1 }
        : null;
      const ticket: Ticket = { ...next.ticket, eventCount: current.ticket.eventCount + (event ? 1 : 0) };
      const result = await this.redis.ticketUpdate(
        this.keys.ticket(trackingId),
        this.keys.ticketEvents(trackingId),
        this.keys.ticketsByStatus(current.ticket.status),
        this.keys.ticketsByStatus(ticket.status),
        this.keys.ticketsByAgency(current.ticket.agencyId),
        this.keys.ticketsByAgency(ticket.agencyId),
        current.version,
        JSON.stringify(ticket),
        event ? JSON.stringify(event) : '',
        trackingId,
        Date.parse(ticket.createdAt),
      );
      if (result === -1) return null;
      if (result > 0) return { ticket, event };
    }
    throw new TicketConflictError(trackingId);
  }

  /** Number of tickets stored (used by tests and readiness figures). */
  count(): Promise<number> {
    return this.redis.zcard(this.keys.ticketsAll);
  }
}

/** The refs of a ticket's files that the attachment store holds (`file:…`); other refs name no file. */
function storedRefs(ticket: Pick<Ticket, 'attachments'>): string[] {
  return ticket.attachments.map((a) => a.ref).filter((ref) => STORED_REF.test(ref));
}
