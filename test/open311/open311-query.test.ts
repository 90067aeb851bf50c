import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_EXAMINED, Open311Query, requestsQuerySchema } from '../../src/open311/open311-query.ts';
import { Keys } from '../../src/redis/keys.ts';
import { ticketFromSubmission } from '../../src/tickets/from-submission.ts';
import type { Status } from '../../src/tickets/lifecycle.ts';
import type { Ticket } from '../../src/tickets/ticket.ts';
import { generateTrackingNumber } from '../../src/tickets/tracking-number.ts';
import { submissionFixture } from '../support/fixtures.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

const NOW = new Date('2026-11-02T03:00:00Z');
const base = ticketFromSubmission(
  submissionFixture('o311query'),
  { channel: 'web', chatId: 'chat-o311query', lang: 'id' },
  { trackingId: 'ADU-2345-6789', agencyId: 'bantul-dinkes', now: NOW },
);

/** How a search reads the window: what it costs Redis, whatever the window holds. */
describe('Open311 search over the window', () => {
  let server: TestRedis;
  let redis: Redis;
  let keys: Keys;
  let query: Open311Query;
  beforeAll(async () => {
    server = await startTestRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });
  beforeEach(() => {
    keys = new Keys(`o311q${randomBytes(4).toString('hex')}`);
    query = new Open311Query(redis, keys);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Stores tickets as the ticket store does (hash + the all-tickets index), `at` ms before NOW. */
  const seed = async (tickets: { id: string; at: number; status?: Status; category?: string }[]) => {
    const pipeline = redis.pipeline();
    for (const { id, at, status, category } of tickets) {
      const createdAt = new Date(NOW.getTime() - at).toISOString();
      const ticket: Ticket = {
        ...base,
        trackingId: id,
        status: status ?? 'verified',
        category: category ?? 'kesehatan',
        createdAt,
        updatedAt: createdAt,
      };
      pipeline.hset(keys.ticket(id), 'v', 1, 't', JSON.stringify(ticket));
      pipeline.zadd(keys.ticketsAll, Date.parse(createdAt), id);
    }
    await pipeline.exec();
  };
  const search = async (raw: Record<string, string> = {}) =>
    (await query.search(requestsQuerySchema.parse(raw), NOW)).map((t) => t.trackingId);

  it('pages by score, never by a growing offset, and gives tickets that share a millisecond once each', async () => {
    // 700 tickets, 300 of them created in the same millisecond across the 250-ticket pages.
    const tickets = Array.from({ length: 700 }, (_, i) => ({
      id: `T${String(i).padStart(4, '0')}`,
      at: i >= 200 && i < 500 ? 350_500 : (i + 1) * 1000,
    }));
    await seed(tickets);
    const reads = vi.spyOn(redis, 'zrevrangebyscore');
    const found = await search();
    expect(found).toHaveLength(700);
    expect(new Set(found).size).toBe(700);
    // Newest first: creation times never go up along the answer.
    const at = new Map(tickets.map((t) => [t.id, t.at]));
    const ages = found.map((id) => at.get(id) as number);
    expect(ages).toEqual([...ages].sort((a, b) => a - b));
    // An offset only ever skips tickets of one shared millisecond, never the pages before.
    const offsets = reads.mock.calls.map((call) => Number(call[call.indexOf('LIMIT') + 1]));
    expect(offsets.length).toBeGreaterThan(2);
    for (const offset of offsets) expect(offset).toBeLessThanOrEqual(300);
    expect(offsets.filter((o) => o > 0).length).toBeLessThanOrEqual(2);
  });

  it(`reads at most ${MAX_EXAMINED} tickets, however few of them match`, async () => {
    // The newest MAX_EXAMINED tickets are another service's; the one match is older than all of them.
    await seed([
      { id: 'OLD-MATCH', at: (MAX_EXAMINED + 10) * 1000, category: 'pendidikan' },
      ...Array.from({ length: MAX_EXAMINED }, (_, i) => ({ id: `N${i}`, at: (i + 1) * 1000 })),
    ]);
    const loads = vi.spyOn(redis, 'pipeline');
    expect(await search({ service_code: 'pendidikan' })).toEqual([]);
    expect(loads.mock.calls.length).toBeLessThanOrEqual(Math.ceil(MAX_EXAMINED / 250));
    // Within the examined stretch a match is found; further back, end_date reaches it.
    const end = new Date(NOW.getTime() - MAX_EXAMINED * 1000).toISOString();
    expect(await search({ service_code: 'pendidikan', end_date: end })).toEqual(['OLD-MATCH']);
  });

  it('leaves out received, archived and confidential tickets, and keeps reading past them', async () => {
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => generateTrackingNumber(randomBytes(8)));
    await seed([
      { id: a as string, at: 1000, status: 'received' },
      { id: b as string, at: 2000, status: 'archived' },
      { id: c as string, at: 3000, status: 'resolved' },
      { id: d as string, at: 4000, status: 'in_progress' },
    ]);
    await redis.hset(
      keys.ticket(e as string),
      't',
      JSON.stringify({ ...base, trackingId: e, status: 'verified', confidential: true }),
    );
    await redis.zadd(keys.ticketsAll, NOW.getTime() - 5000, e as string);
    expect(await search()).toEqual([c, d]);
    expect(await search({ status: 'closed' })).toEqual([c]);
    expect(await search({ service_request_id: [a, b, c, d, e].join(',') })).toEqual([c, d]);
    for (const id of [a, b, e]) expect(await query.byId(id as string)).toBeNull();
    expect((await query.byId(c as string))?.trackingId).toBe(c);
  });
});
