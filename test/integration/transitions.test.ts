import { beforeAll, describe, expect, it } from 'vitest';
import { NOTE_REQUIRED, STATUSES, type Status, TRANSITIONS } from '../../src/tickets/lifecycle.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';

/** A path through the lifecycle to reach each status from `received`. */
const PATH_TO: Record<Status, Status[]> = {
  received: [],
  verified: ['verified'],
  dispatched: ['verified', 'dispatched'],
  in_progress: ['verified', 'dispatched', 'in_progress'],
  on_hold: ['verified', 'dispatched', 'on_hold'],
  resolved: ['verified', 'dispatched', 'in_progress', 'resolved'],
  reopened: ['verified', 'dispatched', 'in_progress', 'resolved', 'reopened'],
  closed: ['verified', 'dispatched', 'in_progress', 'resolved', 'closed'],
  archived: ['archived'],
};

/** Every (from, to) pair of statuses, with whether the lifecycle allows it. */
const PAIRS = STATUSES.flatMap((from) =>
  STATUSES.filter((to) => to !== from).map((to) => [from, to, TRANSITIONS[from].includes(to)] as const),
);

describe('every transition through the agency API', () => {
  const env = useTestApp({ env: { API_REQUESTS_PER_MINUTE_PER_KEY: '100000' } });
  let app: TestAduan;
  let key: string;
  let n = 0;
  beforeAll(async () => {
    app = env.app;
    key = (await app.apiKeys.create(null)).key;
  });

  const post = async (trackingId: string, status: Status) => {
    const res = await fetch(`${app.url}/api/v1/tickets/${trackingId}/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status, ...(NOTE_REQUIRED.has(status) ? { note: 'Alasan dicatat.' } : {}) }),
    });
    return { status: res.status, body: (await res.json()) as { status?: string; error?: { code: string } } };
  };

  it.each(PAIRS)('%s → %s (allowed: %s)', async (from, to, allowed) => {
    const { ticket } = await app.service.createFromJob(ticketJobFixture(`transition-${n++}`));
    for (const step of PATH_TO[from]) expect((await post(ticket.trackingId, step)).status).toBe(200);
    const result = await post(ticket.trackingId, to);
    if (allowed) {
      expect(result).toMatchObject({ status: 200, body: { status: to } });
    } else {
      expect(result).toMatchObject({ status: 409, body: { error: { code: 'transition_not_allowed' } } });
      expect((await app.tickets.get(ticket.trackingId))?.ticket.status).toBe(from);
    }
  });
});
