import type { Keys } from '../redis/keys.ts';
import type { ScriptedRedis } from '../redis/scripts.ts';
import { type DeadlinePolicy, deadlinesOf, type TicketDeadlines } from './deadlines.ts';
import type { Status } from './lifecycle.ts';
import { type Ticket, type TicketEvent, ticketEventSchema, ticketSchema } from './ticket.ts';
import type { WorkingDays } from './working-days.ts';

/** Which tickets a caller may see: one agency's, or (a coordinator) everyone's. */
export type Scope = { agencyId: string } | { all: true };

export interface TicketFilter {
  status?: Status;
  category?: string;
  region?: string;
  /** Only tickets with a deadline passed and not met. */
  overdue?: boolean;
  /** Only tickets created at or after this time. */
  since?: Date;
}

/** A ticket in a list, with its deadlines. */
export interface TicketWithDeadlines {
  ticket: Ticket;
  events: TicketEvent[];
  deadlines: TicketDeadlines;
}

/** Where a page ended: the last ticket's creation score and id (keyset pagination: stable under inserts). */
interface Cursor {
  score: number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.score}:${cursor.id}`).toString('base64url');
}

/** The cursor a client sent back, or null when it is not one of ours. */
export function decodeCursor(raw: string): Cursor | null {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):(ADU-[2-9A-Y]{4}-[2-9A-Y]{4})$/.exec(text);
  return match ? { score: Number(match[1]), id: match[2] as string } : null;
}

/** How many index entries one page may read before it returns what it has (with a cursor to go on). */
const SCAN_LIMIT = 2000;
const BATCH = 200;

/**
 * Read-only questions about tickets: filtered, paginated lists and statistics (BullMQ's idea: reads
 * in their own class). Lists walk a sorted index newest first and filter in batches, each batch one
 * pipelined round trip.
 */
export class TicketQuery {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly days: WorkingDays,
    private readonly policy: () => DeadlinePolicy,
  ) {}

  /** Tickets and their histories, in the order given (missing ones skipped). */
  async load(ids: string[], now: Date): Promise<TicketWithDeadlines[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.ticket(id), 't').lrange(this.keys.ticketEvents(id), 0, -1);
    const replies = (await pipeline.exec()) ?? [];
    const out: TicketWithDeadlines[] = [];
    for (let i = 0; i < ids.length; i++) {
      const json = replies[2 * i]?.[1] as string | null;
      const rawEvents = (replies[2 * i + 1]?.[1] as string[] | null) ?? [];
      if (!json) continue;
      const ticket = ticketSchema.parse(JSON.parse(json));
      const events = rawEvents.map((e) => ticketEventSchema.parse(JSON.parse(e)));
      out.push({ ticket, events, deadlines: deadlinesOf(ticket, events, this.days, this.policy(), now) });
    }
    return out;
  }

  private indexFor(scope: Scope, filter: TicketFilter): string {
    if ('agencyId' in scope) return this.keys.ticketsByAgency(scope.agencyId);
    return filter.status ? this.keys.ticketsByStatus(filter.status) : this.keys.ticketsAll;
  }

  private matches(item: TicketWithDeadlines, scope: Scope, filter: TicketFilter): boolean {
    const t = item.ticket;
    if ('agencyId' in scope && t.agencyId !== scope.agencyId) return false;
    if (filter.status && t.status !== filter.status) return false;
    if (filter.category && t.category !== filter.category) return false;
    if (filter.region && t.region !== filter.region) return false;
    if (filter.overdue !== undefined && item.deadlines.overdue !== filter.overdue) return false;
    return true;
  }

  /**
   * One page of tickets, newest first, and the cursor of the next page (null at the end).
   * @throws RangeError when `cursor` is not one that `list` made (check it with `decodeCursor` first)
   */
  async list(
    scope: Scope,
    filter: TicketFilter,
    limit: number,
    cursor: string | null,
    now: Date,
  ): Promise<{ items: TicketWithDeadlines[]; next: string | null }> {
    const index = this.indexFor(scope, filter);
    const min = filter.since ? filter.since.getTime() : '-inf';
    let position = cursor === null ? null : decodeCursor(cursor);
    // Never a silent restart at page 1 (a client would loop over the same pages): callers validate
    // the cursor first (the API answers 400), so one that is not ours here is a bug.
    if (cursor !== null && !position) throw new RangeError('not a ticket list cursor');
    const items: TicketWithDeadlines[] = [];
    let scanned = 0;
    while (items.length < limit && scanned < SCAN_LIMIT) {
      const max = position ? position.score : '+inf';
      const raw = await this.redis.zrevrangebyscore(index, max, min, 'WITHSCORES', 'LIMIT', 0, BATCH + 1);
      const entries: Cursor[] = [];
      for (let i = 0; i < raw.length; i += 2)
        entries.push({ id: raw[i] as string, score: Number(raw[i + 1]) });
      // Equal scores come in reverse id order: skip what the cursor already covered.
      const fresh = position
        ? entries.filter((e) => e.score < (position as Cursor).score || e.id < (position as Cursor).id)
        : entries;
      // Fewer than asked for: this read reached the end of the index.
      const exhausted = entries.length <= BATCH;
      if (fresh.length === 0) return { items, next: exhausted ? null : position && encodeCursor(position) };
      const batch = fresh.slice(0, BATCH);
      scanned += batch.length;
      const loaded = await this.load(
        batch.map((e) => e.id),
        now,
      );
      const byId = new Map(loaded.map((l) => [l.ticket.trackingId, l]));
      for (const entry of batch) {
        position = entry;
        const item = byId.get(entry.id);
        if (item && this.matches(item, scope, filter)) items.push(item);
        if (items.length === limit) break;
      }
      if (exhausted && fresh.length <= BATCH && items.length < limit) return { items, next: null };
    }
    return { items, next: position ? encodeCursor(position) : null };
  }

  /**
   * Counts by status, agency and category, the overdue count, and the median time to the first
   * response (hours from dispatch). Walks every ticket in scope: fine for a region's volume; a
   * national deployment would keep these as counters.
   */
  async stats(scope: Scope, now: Date) {
    const index = this.indexFor(scope, {});
    const byStatus: Record<string, number> = {};
    const byAgency: Record<string, number> = {};
    const byCategory: Record<string, number> = {};
    const responseHours: number[] = [];
    let overdue = 0;
    let total = 0;
    for (let start = 0; ; start += BATCH) {
      const ids = await this.redis.zrevrange(index, start, start + BATCH - 1);
      if (ids.length === 0) break;
      for (const item of await this.load(ids, now)) {
        const t = item.ticket;
        total++;
        byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
        byAgency[t.agencyId] = (byAgency[t.agencyId] ?? 0) + 1;
        byCategory[t.category] = (byCategory[t.category] ?? 0) + 1;
        if (item.deadlines.overdue) overdue++;
        const dispatched = item.events.find(
          (e) => e.type === 'rerouted' || (e.type === 'status_changed' && e.to === 'dispatched'),
        );
        const responded = item.deadlines.firstResponse?.metAt;
        if (dispatched && responded)
          responseHours.push((Date.parse(responded) - Date.parse(dispatched.at)) / 3_600_000);
      }
    }
    responseHours.sort((a, b) => a - b);
    const mid = Math.floor(responseHours.length / 2);
    const median =
      responseHours.length === 0
        ? null
        : responseHours.length % 2
          ? responseHours[mid]
          : ((responseHours[mid - 1] as number) + (responseHours[mid] as number)) / 2;
    return {
      total,
      byStatus,
      byAgency,
      byCategory,
      overdue,
      medianHoursToFirstResponse:
        median === null || median === undefined ? null : Math.round(median * 10) / 10,
    };
  }
}
