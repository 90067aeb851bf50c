import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFlowSet } from '../../src/flows/loader.ts';
import type { Routing } from '../../src/flows/schema.ts';
import { isPublic, toServiceRequest } from '../../src/open311/open311-requests.ts';
import { ticketFromSubmission } from '../../src/tickets/from-submission.ts';
import { STATUSES, type Status } from '../../src/tickets/lifecycle.ts';
import type { Ticket } from '../../src/tickets/ticket.ts';
import { submissionFixture } from '../support/fixtures.ts';

/** What a public Open311 answer shows of a report, status by status. */
describe('a ticket as a public service request', () => {
  let routing: Routing;
  beforeAll(async () => {
    routing = (await loadFlowSet(join(import.meta.dirname, '../../flows'))).routing;
  });

  const ticketIn = (status: Status): Ticket => ({
    ...ticketFromSubmission(
      submissionFixture('o311pub1', {
        location: {
          kind: 'location',
          value: { latitude: -7.7456, longitude: 110.4123, address: 'Jl. Kaliurang km 5' },
        },
      }),
      { channel: 'web', chatId: 'chat-o311pub1', lang: 'id' },
      { trackingId: 'ADU-2345-6789', agencyId: 'bantul-dinkes', now: new Date('2026-11-02T03:00:00Z') },
    ),
    status,
  });

  it.each(STATUSES)('publishes a %s report only once verified and until archived', (status) => {
    expect(isPublic(ticketIn(status))).toBe(status !== 'received' && status !== 'archived');
    expect(isPublic({ ...ticketIn(status), confidential: true })).toBe(false);
  });

  it.each(['received', 'archived'] as const)(
    'keeps the text and the place of a %s report unpublished even if asked to show it',
    (status) => {
      const request = toServiceRequest(ticketIn(status), routing);
      expect(request).toMatchObject({ description: null, address: null, lat: null, long: null });
      expect(request.service_request_id).toBe('ADU-2345-6789');
      expect(JSON.stringify(request)).not.toMatch(/puskesmas|Kaliurang|110\.41/);
    },
  );

  it.each(STATUSES.filter((s) => s !== 'received' && s !== 'archived'))(
    'publishes the text and the place once %s',
    (status) => {
      expect(toServiceRequest(ticketIn(status), routing)).toMatchObject({
        description: expect.stringContaining('puskesmas'),
        address: 'Jl. Kaliurang km 5',
        lat: -7.7456,
        long: 110.4123,
      });
    },
  );
});
