import Holidays from 'date-holidays';

/**
 * Working days as Indonesian public services count them: Monday to Friday, minus the national public
 * holidays (from date-holidays, which follows the government's calendar including the Islamic,
 * Chinese and Balinese ones) and any extra days a deployment adds (cuti bersama, regional holidays).
 *
 * Days are calendar dates in the deployment's time zone (`YYYY-MM-DD`), so "3 working days" means the
 * same thing to the citizen and the office.
 */
export class WorkingDays {
  private readonly holidaysByYear = new Map<number, Set<string>>();
  private readonly holidays = new Holidays('ID');

  /** Built once: constructing an Intl.DateTimeFormat costs far more than using one (11% of an API request). */
  private readonly formatter: Intl.DateTimeFormat;

  constructor(
    timeZone: string,
    private readonly extraHolidays: readonly string[] = [],
  ) {
    this.formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  /** The calendar date of `at` in the deployment's zone. */
  dateOf(at: Date): string {
    return this.formatter.format(at);
  }

  /** Public holidays of a year (cached): the library's `public` type, by their local date. */
  private holidaysOf(year: number): Set<string> {
    let days = this.holidaysByYear.get(year);
    if (!days) {
      days = new Set(
        this.holidays
          .getHolidays(year)
          .filter((h) => h.type === 'public')
          .map((h) => h.date.slice(0, 10)),
      );
      for (const extra of this.extraHolidays) if (extra.startsWith(`${year}-`)) days.add(extra);
      this.holidaysByYear.set(year, days);
    }
    return days;
  }

  /** Whether a `YYYY-MM-DD` date is a working day. */
  isWorkingDay(date: string): boolean {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6) return false;
    return !this.holidaysOf(Number(date.slice(0, 4))).has(date);
  }

  /**
   * The date by which something received at `start` is due, `days` working days later: the day
   * of receipt does not count, the due date is the end of the `days`-th working day after it.
   */
  addWorkingDays(start: Date, days: number): string {
    let date = this.dateOf(start);
    for (let left = days; left > 0; ) {
      const next = new Date(`${date}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      date = next.toISOString().slice(0, 10);
      if (this.isWorkingDay(date)) left--;
    }
    return date;
  }

  /** Whether the due date has passed at `now` (a ticket due today is not late until tomorrow). */
  isPast(due: string, now: Date): boolean {
    return this.dateOf(now) > due;
  }
}
