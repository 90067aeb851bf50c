import { describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINES, deadlinesOf } from '../../src/tickets/deadlines.ts';
import type { Ticket, TicketEvent } from '../../src/tickets/ticket.ts';
import { WorkingDays } from '../../src/tickets/working-days.ts';

const days = new WorkingDays('Asia/Jakarta');

function ticket(createdAt: string, status: Ticket['status'] = 'received'): Ticket {
  return {
    trackingId: 'ADU-2222-2222',
    submissionId: 'sub_x',
    status,
    type: 'pengaduan',
    category: 'kesehatan',
    agencyId: 'sleman-dinkes',
    title: 't',
    body: 'b',
    attachments: [],
    rejectedAttachments: [],
    anonymous: false,
    confidential: false,
    reporter: { channel: 'web', chatId: 'c', lang: 'id' },
    createdAt,
    updatedAt: createdAt,
    eventCount: 1,
    confirmationQueued: true,
    reporterUnreachable: false,
    reporterErased: false,
  };
}
const created = (at: string): TicketEvent => ({
  seq: 1,
  at,
  actor: { kind: 'system' },
  type: 'created',
  to: 'received',
});
const moved = (seq: number, at: string, to: Ticket['status']): TicketEvent => ({
  seq,
  at,
  actor: { kind: 'agency' },
  type: 'status_changed',
  to,
});

describe('deadlines', () => {
  // Wednesday 23 December 2026, 10:00 in Jakarta: Christmas (Friday) and the weekend fall inside.
  const at = '2026-12-23T03:00:00.000Z';

  it('verification is due 3 working days after receipt, across a weekend and a public holiday', () => {
    const d = deadlinesOf(ticket(at), [created(at)], days, DEFAULT_DEADLINES, new Date(at));
    expect(d.verification).toEqual({ due: '2026-12-29', metAt: null, overdue: false });
    expect(d.firstResponse).toBeNull();
  });

  it('is overdue the day after the due date, and not before', () => {
    const onTime = deadlinesOf(
      ticket(at),
      [created(at)],
      days,
      DEFAULT_DEADLINES,
      new Date('2026-12-29T16:00:00Z'),
    );
    const late = deadlinesOf(
      ticket(at),
      [created(at)],
      days,
      DEFAULT_DEADLINES,
      new Date('2026-12-29T17:00:00Z'),
    );
    expect([onTime.overdue, late.overdue]).toEqual([false, true]);
    expect(late.verification.overdue).toBe(true);
  });

  it('counts the first response and completion from the dispatch, and a met stage is never overdue', () => {
    const dispatchedAt = '2026-12-28T03:00:00.000Z'; // Monday
    const events = [
      created(at),
      moved(2, '2026-12-24T03:00:00.000Z', 'verified'),
      moved(3, dispatchedAt, 'dispatched'),
    ];
    const d = deadlinesOf(
      ticket(at, 'dispatched'),
      events,
      days,
      DEFAULT_DEADLINES,
      new Date('2027-01-07T03:00:00Z'),
    );
    expect(d.verification).toEqual({ due: '2026-12-29', metAt: dispatchedAt, overdue: false });
    // 5 working days from Monday 28 Dec: 29, 30, 31, (1 Jan New Year, weekend), 4, (5 Jan Isra Mi'raj), 6.
    expect(d.firstResponse).toEqual({ due: '2027-01-06', metAt: null, overdue: true });
    expect(d.completion?.due).toBe('2027-01-13'); // 10 working days: …, 6, 7, 8, 11, 12, 13
    expect(d.overdue).toBe(true);

    const answered = [...events, moved(4, '2027-01-04T03:00:00.000Z', 'in_progress')];
    expect(
      deadlinesOf(
        ticket(at, 'in_progress'),
        answered,
        days,
        DEFAULT_DEADLINES,
        new Date('2027-01-07T03:00:00Z'),
      ).firstResponse?.overdue,
    ).toBe(false);
  });

  it('a disposisi straight from receipt to an agency meets verification and starts the agency stages', () => {
    const forwardedAt = '2026-12-24T03:00:00.000Z';
    const disposisi: TicketEvent = {
      seq: 2,
      at: forwardedAt,
      actor: { kind: 'coordinator' },
      type: 'rerouted',
      from: 'received',
      to: 'dispatched',
      agencyId: 'sleman-pu',
      fromAgencyId: 'sleman-dinkes',
    };
    const d = deadlinesOf(
      ticket(at, 'dispatched'),
      [created(at), disposisi],
      days,
      DEFAULT_DEADLINES,
      new Date('2026-12-30T03:00:00Z'),
    );
    expect(d.verification).toEqual({ due: '2026-12-29', metAt: forwardedAt, overdue: false });
    expect(d.firstResponse).toMatchObject({ metAt: null, overdue: false });
    expect(d.overdue).toBe(false);
  });

  it('never calls a closed or archived ticket overdue', () => {
    const d = deadlinesOf(
      ticket(at, 'archived'),
      [created(at), moved(2, '2027-02-01T03:00:00.000Z', 'archived')],
      days,
      DEFAULT_DEADLINES,
      new Date('2027-03-01T00:00:00Z'),
    );
    expect(d.overdue).toBe(false);
  });
});
