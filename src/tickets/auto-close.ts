import type { Keys } from '../redis/keys.ts';
import type { ScriptedRedis } from '../redis/scripts.ts';
import type { TicketService } from './ticket-service.ts';
import type { TicketStore } from './ticket-store.ts';
import type { WorkingDays } from './working-days.ts';

/**
 * Closes resolved reports whose reporter did not answer (no rating, no "not solved") within
 * `afterDays` working days of the resolution, as SP4N-LAPOR! does. Run by the housekeeping job;
 * each close is an event by the system, and the reporter is told.
 *
 * @returns how many tickets were closed
 */
export async function closeUnanswered(
  deps: { redis: ScriptedRedis; keys: Keys; store: TicketStore; service: TicketService; days: WorkingDays },
  afterDays: number,
  now: Date,
): Promise<number> {
  let closed = 0;
  for (const trackingId of await deps.redis.zrange(deps.keys.ticketsByStatus('resolved'), '0', '-1')) {
    const resolvedAt = (await deps.store.events(trackingId)).findLast(
      (e) => e.type === 'status_changed' && e.to === 'resolved',
    )?.at;
    if (!resolvedAt || !deps.days.isPast(deps.days.addWorkingDays(new Date(resolvedAt), afterDays), now))
      continue;
    const result = await deps.service.changeStatus(
      trackingId,
      'closed',
      `Ditutup otomatis: tidak ada tanggapan pelapor dalam ${afterDays} hari kerja setelah laporan selesai ditindaklanjuti.`,
      { kind: 'system' },
    );
    if (result) closed++;
  }
  return closed;
}
