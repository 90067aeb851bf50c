import type { Lang } from '../engine/types.ts';

/**
 * The SP4N-LAPOR! ticket lifecycle (DESIGN.md). `received` → `verified` → `dispatched` →
 * `in_progress` → `resolved` → `closed`, with `on_hold`, `archived` and `reopened` beside the main line.
 */
export const STATUSES = [
  'received',
  'verified',
  'dispatched',
  'in_progress',
  'on_hold',
  'resolved',
  'reopened',
  'closed',
  'archived',
] as const;
export type Status = (typeof STATUSES)[number];

/**
 * Allowed status changes, as a table so it can be read at a glance. "Bukan wewenang" (not this
 * agency's authority) and the coordinator's disposisi are not here: they are a re-route to another
 * agency (`dispatched` again, with the new agency; TicketService.reroute, the API's `/route`), which
 * needs the agency as well as the status and is allowed from any status but closed and archived.
 */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  received: ['verified', 'archived'],
  verified: ['dispatched', 'archived'],
  dispatched: ['in_progress', 'on_hold', 'archived'],
  in_progress: ['on_hold', 'resolved'],
  on_hold: ['in_progress', 'archived'],
  resolved: ['closed', 'reopened'],
  reopened: ['in_progress', 'resolved'],
  closed: [],
  archived: [],
};

/** Statuses that need a note: the reporter and the record must be told why. */
export const NOTE_REQUIRED: ReadonlySet<Status> = new Set(['archived', 'on_hold']);

/** A transition that the lifecycle does not allow. */
export class TransitionError extends Error {
  constructor(
    readonly from: Status,
    readonly to: Status,
    readonly reason: 'not_allowed' | 'note_required',
  ) {
    super(
      reason === 'note_required'
        ? `Changing a ticket to "${to}" needs a note explaining why.`
        : `A ticket in "${from}" cannot move to "${to}"; allowed: ${TRANSITIONS[from].join(', ') || 'none (final)'}.`,
    );
    this.name = 'TransitionError';
  }
}

/** Throws `TransitionError` unless `from → to` is allowed with this note. */
export function assertTransition(from: Status, to: Status, note: string | undefined): void {
  if (!TRANSITIONS[from].includes(to)) throw new TransitionError(from, to, 'not_allowed');
  if (NOTE_REQUIRED.has(to) && !note?.trim()) throw new TransitionError(from, to, 'note_required');
}

/** How each status is named to the reporter. */
export const STATUS_LABELS: Readonly<Record<Status, Record<Lang, string>>> = {
  received: { id: 'Diterima (belum terverifikasi)', en: 'Received (not yet verified)' },
  verified: { id: 'Terverifikasi', en: 'Verified' },
  dispatched: { id: 'Diteruskan ke instansi', en: 'Forwarded to the agency' },
  in_progress: { id: 'Sedang ditindaklanjuti', en: 'Being followed up' },
  on_hold: {
    id: 'Ditunda — instansi memerlukan keterangan tambahan',
    en: 'On hold — the agency needs more information',
  },
  resolved: { id: 'Selesai ditindaklanjuti', en: 'Followed up' },
  reopened: { id: 'Dibuka kembali', en: 'Reopened' },
  closed: { id: 'Ditutup', en: 'Closed' },
  archived: { id: 'Diarsipkan', en: 'Archived' },
};
