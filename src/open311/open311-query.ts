import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';
import { type Ticket, ticketSchema } from '../tickets/ticket.ts';
import { normalizeTrackingNumber } from '../tickets/tracking-number.ts';
import { Open311Error } from './open311-format.ts';
import { isPublic, open311Status } from './open311-requests.ts';

/** The spec's default and largest window, and its largest answer. */
export const WINDOW_DAYS = 90;
export const MAX_REQUESTS = 1000;
/** The most ids one `service_request_id` list may name: enough for a dashboard, too few to probe. */
export const MAX_IDS = 50;
/**
 * The most tickets one search reads, matching or not. A public read must cost the same however
 * many tickets the window holds; a filter that matches few of them answers with the matches among
 * the newest this many, and an older stretch is reached with `end_date`.
 */
export const MAX_EXAMINED = 2500;
const DAY_MS = 86_400_000;
const BATCH = 250;

const list = (pattern: RegExp, message: string, max: number) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(pattern, message)).min(1).max(max, `at most ${max} in one request`));
const dateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/,
    'expected a W3C/ISO 8601 date-time',
  )
  .transform((v) => new Date(v))
  .refine((d) => !Number.isNaN(d.getTime()), 'expected a W3C/ISO 8601 date-time');

/** The query of `GET requests.json`, as the spec names the parameters (lists comma-delimited). */
export const requestsQuerySchema = z.object({
  service_request_id: list(
    /^[A-Za-z0-9 -]{1,20}$/,
    'expected tracking numbers such as ADU-7KQ2-M9XF',
    MAX_IDS,
  ).optional(),
  service_code: list(
    /^[a-z0-9_-]{1,32}$/,
    'expected service codes from services.json',
    MAX_REQUESTS,
  ).optional(),
  start_date: dateTime.optional(),
  end_date: dateTime.optional(),
  status: list(/^(open|closed)$/, 'expected open, closed, or open,closed', MAX_REQUESTS).optional(),
  jurisdiction_id: z.string().max(100).optional(),
});
export type RequestsQuery = z.infer<typeof requestsQuerySchema>;

/**
 * The time window of a query (ms since the epoch): the spec's 90 days ending now by default,
 * 90 days from `start_date` or up to `end_date` when only one is given, and at most 90 days when
 * both are.
 * @throws Open311Error 400 for a reversed or too long window
 */
export function windowOf(q: RequestsQuery, now: Date): { from: number; to: number } {
  const span = WINDOW_DAYS * DAY_MS;
  const start = q.start_date?.getTime();
  const end = q.end_date?.getTime();
  if (start !== undefined && end !== undefined) {
    if (end < start) throw new Open311Error(400, 'end_date: before start_date', 'end_date');
    if (end - start > span)
      throw new Open311Error(400, `end_date: a window spans at most ${WINDOW_DAYS} days`, 'end_date');
    return { from: start, to: end };
  }
  if (start !== undefined) return { from: start, to: start + span };
  if (end !== undefined) return { from: end - span, to: end };
  return { from: now.getTime() - span, to: now.getTime() };
}

/**
 * Public Open311 reads: service requests by id or by window and filters, newest first, at most
 * 1,000. Only tickets {@link isPublic} allows are returned, not even by id: never a confidential
 * (rahasia) one, nor one still `received` or `archived`.
 */
export class Open311Query {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  private async load(ids: string[]): Promise<Ticket[]> {
    if (ids.length === 0) return [];
    // Tickets are hashes (version + JSON): one pipelined HGET each, one round trip in all.
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.ticket(id), 't');
    const replies = (await pipeline.exec()) ?? [];
    return replies
      .map(([, json]) => (typeof json === 'string' ? ticketSchema.parse(JSON.parse(json)) : null))
      .filter((t): t is Ticket => t !== null && isPublic(t));
  }

  /** One public service request, or null (none, or not public). */
  async byId(rawId: string): Promise<Ticket | null> {
    const id = normalizeTrackingNumber(rawId);
    return id ? ((await this.load([id]))[0] ?? null) : null;
  }

  /**
   * The service requests a query asks for (`service_request_id` overrides every other filter),
   * newest first. The window is read in pages by score (keyset: each page continues below the last
   * creation time seen), never by a growing offset, and at most {@link MAX_EXAMINED} tickets are
   * read in all, matching or not.
   */
  async search(q: RequestsQuery, now: Date): Promise<Ticket[]> {
    if (q.service_request_id) {
      const ids = q.service_request_id.map(normalizeTrackingNumber).filter((id): id is string => id !== null);
      return this.load([...new Set(ids)]);
    }
    const { from, to } = windowOf(q, now);
    const codes = q.service_code ? new Set(q.service_code) : null;
    const statuses = q.status ? new Set(q.status) : null;
    const out: Ticket[] = [];
    // The page's upper bound (a score as Redis writes it), and how many tickets at exactly that
    // score the pages before already gave: tickets created in the same millisecond share a score.
    let max: string | number = to;
    let skip = 0;
    let examined = 0;
    while (out.length < MAX_REQUESTS && examined < MAX_EXAMINED) {
      const size = Math.min(BATCH, MAX_EXAMINED - examined);
      const page = await this.redis.zrevrangebyscore(
        this.keys.ticketsAll,
        max,
        from,
        'WITHSCORES',
        'LIMIT',
        skip,
        size,
      );
      const ids: string[] = [];
      let last = '';
      let atLast = 0;
      for (let i = 0; i < page.length; i += 2) {
        ids.push(page[i] as string);
        const score = page[i + 1] as string;
        atLast = score === last ? atLast + 1 : 1;
        last = score;
      }
      if (ids.length === 0) break;
      examined += ids.length;
      // Every id of this page had the bound's score: the next page skips them too.
      if (last === String(max)) skip += atLast;
      else {
        max = last;
        skip = atLast;
      }
      for (const t of await this.load(ids)) {
        if (codes && !codes.has(t.category)) continue;
        if (statuses && !statuses.has(open311Status(t.status))) continue;
        out.push(t);
        if (out.length === MAX_REQUESTS) break;
      }
      if (ids.length < size) break;
    }
    return out;
  }
}
