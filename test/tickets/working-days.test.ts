import { describe, expect, it } from 'vitest';
import { WorkingDays } from '../../src/tickets/working-days.ts';

const days = new WorkingDays('Asia/Jakarta');

describe('working days (Indonesia)', () => {
  it.each([
    // [received at (UTC), working days, due date (Jakarta)]
    ['2026-11-23T03:00:00Z', 3, '2026-11-26'], // Monday → Thursday
    ['2026-11-26T03:00:00Z', 3, '2026-12-01'], // Thursday → over the weekend → Tuesday
    ['2026-11-27T16:30:00Z', 1, '2026-11-30'], // Friday 23:30 UTC is Saturday 06:30 in Jakarta → Monday
    ['2026-12-23T03:00:00Z', 3, '2026-12-29'], // Wednesday; Christmas (Friday 25th) and the weekend do not count
    ['2026-08-14T03:00:00Z', 1, '2026-08-18'], // Friday; Monday 17 August (Independence Day) does not count
    ['2026-03-18T03:00:00Z', 3, '2026-03-25'], // Nyepi (19th) and Idul Fitri (20th, 21st) do not count
  ])('received %s, %i working days → due %s', (at, n, due) => {
    expect(days.addWorkingDays(new Date(at), n)).toBe(due);
  });

  it('counts a deployment’s extra days off (cuti bersama)', () => {
    const withLeave = new WorkingDays('Asia/Jakarta', ['2026-12-24']);
    expect(withLeave.addWorkingDays(new Date('2026-12-23T03:00:00Z'), 1)).toBe('2026-12-28');
    expect(days.addWorkingDays(new Date('2026-12-23T03:00:00Z'), 1)).toBe('2026-12-24');
  });

  it('is late only after the due day has ended, in the deployment’s zone', () => {
    expect(days.isPast('2026-11-26', new Date('2026-11-26T16:59:00Z'))).toBe(false); // 23:59 in Jakarta
    expect(days.isPast('2026-11-26', new Date('2026-11-26T17:00:00Z'))).toBe(true); // midnight
  });
});
