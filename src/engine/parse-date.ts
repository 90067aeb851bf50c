import { CARDINALS, numberWords } from './number-words.ts';
import type { Lang } from './types.ts';

/**
 * Reading the date a citizen gives for "when did this happen?". Citizens type on phones, mostly in
 * Bahasa Indonesia, so the parser accepts relative words ("kemarin", "3 hari lalu"), Indonesian
 * day-first numbers ("12/11/2026"), ISO dates and month names in both languages, old spellings
 * ("nopember") included. Everything is pure: the current instant and the deployment's time zone are
 * arguments, so the same text always gives the same answer in tests and in production.
 */

/**
 * The outcome of {@link parseReportDate}: a local calendar date (YYYY-MM-DD in the deployment's time
 * zone), or why the text was refused:
 * - `invalid`: not a date we understand, or not a real calendar day (31/02/2026);
 * - `future`: after today in the deployment's zone;
 * - `too_old`: more than `maxDaysAgo` days before today.
 */
export type ParseDateResult =
  | { ok: true; date: string }
  | { ok: false; reason: 'invalid' | 'future' | 'too_old' };

// Lookup tables are Maps so that text such as "constructor" or "__proto__" can never hit an inherited
// property of a plain object and come back as a bogus number.
function table(entries: Record<string, number>): ReadonlyMap<string, number> {
  return new Map(Object.entries(entries));
}

const MONTH_NAMES: Record<Lang, readonly string[]> = {
  id: [
    'Januari',
    'Februari',
    'Maret',
    'April',
    'Mei',
    'Juni',
    'Juli',
    'Agustus',
    'September',
    'Oktober',
    'November',
    'Desember',
  ],
  en: [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ],
};

/**
 * Every spelling of a month we accept, lower case. Indonesian full names and abbreviations, the old
 * spellings still common among older citizens (pebruari, nopember), and English names, since the
 * English flow and many Indonesian phones' autocorrect produce them.
 */
// biome-ignore format: one line per month keeps the table readable
const MONTHS = table({
  januari: 1, jan: 1, january: 1,
  februari: 2, feb: 2, pebruari: 2, peb: 2, february: 2,
  maret: 3, mar: 3, march: 3,
  april: 4, apr: 4,
  mei: 5, may: 5,
  juni: 6, jun: 6, june: 6,
  juli: 7, jul: 7, july: 7,
  agustus: 8, agu: 8, agt: 8, ags: 8, agst: 8, aug: 8, august: 8,
  september: 9, sep: 9, sept: 9,
  oktober: 10, okt: 10, oct: 10, october: 10,
  november: 11, nov: 11, nopember: 11, nop: 11,
  desember: 12, des: 12, dec: 12, december: 12,
});

/** Days before today for fixed words. Negative values are in the future, recognised so we can say so. */
const RELATIVE_DAYS = table({
  'hari ini': 0,
  'hr ini': 0,
  sekarang: 0,
  today: 0,
  kemarin: 1,
  kemaren: 1, // colloquial spelling, very common in chat
  kmrn: 1,
  kmarin: 1,
  yesterday: 1,
  'kemarin lusa': 2,
  'kemaren lusa': 2,
  'the day before yesterday': 2,
  // "tadi" (earlier today; "tadi pagi"/"tadi siang" lose their time of day first), "semalam" (last
  // night, said the next day), and the week or month before as a whole — an estimate is welcome.
  tadi: 0,
  semalam: 1,
  'minggu lalu': 7,
  'minggu kemarin': 7,
  'pekan lalu': 7,
  'last week': 7,
  'bulan lalu': 30,
  'bulan kemarin': 30,
  'last month': 30,
  besok: -1,
  tomorrow: -1,
  lusa: -2, // "lusa" alone is the day after tomorrow; only "kemarin lusa" is in the past
});

/** Counts written as words: "dua hari lalu", "a week ago", and the "se-" prefix of "seminggu"/"sehari". */
const COUNT_WORDS: ReadonlyMap<string, number> = new Map([
  ...numberWords(CARDINALS),
  ['se', 1],
  ['a', 1],
  ['an', 1],
]);

const UNIT_DAYS = table({
  hari: 1,
  hr: 1,
  day: 1,
  days: 1,
  minggu: 7,
  mgg: 7,
  week: 7,
  weeks: 7,
  pekan: 7,
  bulan: 30,
  bln: 30,
  month: 30,
  months: 30,
});

// "2 hari lalu", "2 hari yang lalu", "2 hari yg lalu", "2 hari yll", "seminggu lalu", "3 days ago".
// The space between count and unit is optional so "seminggu" splits into "se" + "minggu".
const AGO =
  /^([a-z0-9]+?) ?(hari|hr|days?|minggu|mgg|weeks?|pekan|bulan|bln|months?) (?:(?:yang|yg) lalu|lalu|yll?|ago)$/;

// "senin lalu", "kamis kemarin", "last friday": the most recent such day before today.
const LAST_WEEKDAY =
  /^(?:(senin|selasa|rabu|kamis|jumat|sabtu|minggu|ahad) (?:lalu|kemarin|kemaren)|last (monday|tuesday|wednesday|thursday|friday|saturday|sunday))$/;
const WEEKDAY_NUMBER = table({
  minggu: 0,
  ahad: 0,
  sunday: 0,
  senin: 1,
  monday: 1,
  selasa: 2,
  tuesday: 2,
  rabu: 3,
  wednesday: 3,
  kamis: 4,
  thursday: 4,
  jumat: 5,
  friday: 5,
  sabtu: 6,
  saturday: 6,
});

/** A date without a year that falls this close after today is taken for a typo'd future date, not last year's. */
const NEAR_FUTURE_DAYS = 7;

const WEEKDAY =
  /^(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|monday|mon|tuesday|tue|tues|wednesday|wed|thursday|thu|thurs|friday|fri|saturday|sat|sunday|sun)\.?,? /;

// A time of day after the date ("kemarin sore", "12/11/2026 14.30", "kemarin jam 3") says nothing about
// the day, so it is dropped rather than making the whole answer unreadable.
const TIME_SUFFIX =
  /(?: (?:jam|pukul|pkl\.?|at) \d{1,2}(?:[.:]\d{2})?| \d{1,2}[:.]\d{2}| (?:pagi|siang|sore|malam|morning|afternoon|evening|night))(?: (?:wib|wita|wit))?$/;

const ISO = /^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$/;
const DMY = /^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4}|\d{2})$/;
const DM = /^(\d{1,2})\s*[-/.]\s*(\d{1,2})$/;
const D_MONTH_Y = /^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*(?:of )?([a-z]+)\.?(?:[\s\-/.,]*(\d{4}|\d{2}))?$/;
const MONTH_D_Y = /^([a-z]+)\.?[\s\-/.]*(\d{1,2})(?:st|nd|rd|th)?(?:[\s\-/.,]+(\d{4}|\d{2}))?$/;

/**
 * Reads the date of an incident from what a citizen typed, and checks it is not in the future and
 * not older than `maxDaysAgo` days.
 *
 * Accepted (case-insensitive, extra spaces and trailing punctuation ignored):
 * - words: "hari ini"/"today", "kemarin"/"yesterday", "kemarin lusa" (2 days ago);
 * - counts: "2 hari lalu", "2 hari yang lalu", "dua hari lalu", "3 days ago", "seminggu lalu",
 *   "2 minggu lalu", "1 week ago", "2 bulan lalu" (a month counts 30 days);
 * - "tadi", "semalam", "minggu lalu"/"pekan lalu"/"last week" (7 days), "bulan lalu"/"last month"
 *   (30 days), "senin lalu"/"last monday" (the most recent such day before today);
 * - a leading "sekitar", "kira-kira", "±" or "about" (an estimate is welcome) is ignored;
 * - numbers, day first as Indonesians write them: "12/11/2026", "12-11-2026", "12.11.2026", "12/11/26"
 *   (two-digit years are 20xx), and ISO "2026-11-12";
 * - month names, Indonesian or English, full or abbreviated, old spellings included: "12 Nov 2026",
 *   "12 nopember 2026", "November 12, 2026";
 * - a leading weekday ("Kamis, 12 Nov 2026") or "tanggal"/"tgl", and a trailing time of day
 *   ("kemarin sore", "jam 14.30"), which are ignored.
 *
 * A date without a year ("12 Nov", "12/11") is the most recent such day that is not in the future,
 * except one up to a week ahead ("26/11" on the 25th), which is reported as `future`: a slip of the
 * finger more likely than an event a year ago.
 * Words for days to come ("besok", "tomorrow") are understood and reported as `future`.
 *
 * @param now the current instant.
 * @param timeZone the deployment's IANA zone (e.g. `Asia/Jakarta`); "today" is today there.
 * @param maxDaysAgo the oldest accepted date, in days before today (that day itself is accepted).
 * @example parseReportDate('kemarin', new Date('2026-11-24T18:00:00Z'), 'Asia/Jakarta', 90)
 *   // { ok: true, date: '2026-11-24' } — it is already 25 November in Jakarta
 */
export function parseReportDate(
  text: string,
  now: Date,
  timeZone: string,
  maxDaysAgo: number,
): ParseDateResult {
  const today = localToday(now, timeZone);
  const todayDay = dayNumberOf(today);
  const s = clean(text);
  if (s === '') return { ok: false, reason: 'invalid' };

  const relative = relativeDaysAgo(s) ?? lastWeekdayDaysAgo(s, todayDay);
  if (relative !== undefined) return judge(relative, todayDay, maxDaysAgo);

  const parts = absoluteParts(s) ?? absoluteParts(s.replace(WEEKDAY, ''));
  if (parts === undefined) return { ok: false, reason: 'invalid' };

  let day: number | undefined;
  if (parts.year !== undefined) {
    if (isRealDate(parts.year, parts.month, parts.day))
      day = daysFromCivil(parts.year, parts.month, parts.day);
  } else {
    // Walk back from this year: the first real date not after today is the most recent one. Eight
    // years is enough for 29 February, the only day that can be missing for several years in a row.
    const thisYear = Number(today.slice(0, 4));
    // "26/11" typed on the 25th means tomorrow, not a year ago: say it is in the future.
    if (isRealDate(thisYear, parts.month, parts.day)) {
      const ahead = daysFromCivil(thisYear, parts.month, parts.day) - todayDay;
      if (ahead > 0 && ahead <= NEAR_FUTURE_DAYS) return { ok: false, reason: 'future' };
    }
    for (let y = thisYear; y >= thisYear - 8 && day === undefined; y--) {
      if (!isRealDate(y, parts.month, parts.day)) continue;
      const candidate = daysFromCivil(y, parts.month, parts.day);
      if (candidate <= todayDay) day = candidate;
    }
  }
  if (day === undefined) return { ok: false, reason: 'invalid' };
  return judge(todayDay - day, todayDay, maxDaysAgo);
}

/**
 * Writes a stored date the way a person reads it: `12 November 2026` in Indonesian, `12 November 2026`
 * in English (English month names), the day without a leading zero.
 *
 * @param date YYYY-MM-DD, as produced by {@link parseReportDate}.
 * @throws RangeError when `date` is not a real YYYY-MM-DD date; stored dates always are, so this is a bug.
 * @example formatLocalDate('2026-08-05', 'id') // '5 Agustus 2026'
 */
export function formatLocalDate(date: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const year = Number(m?.[1]);
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (!m || !isRealDate(year, month, day)) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return `${day} ${MONTH_NAMES[lang][month - 1]} ${year}`;
}

/**
 * Today's date (YYYY-MM-DD) in an IANA time zone. The server's own zone never matters: at
 * 2026-11-24T18:00Z it is already 2026-11-25 in `Asia/Jakarta` (UTC+7).
 *
 * @throws RangeError for an unknown time zone (from `Intl.DateTimeFormat`).
 * @example localToday(new Date('2026-11-24T18:00:00Z'), 'Asia/Jakarta') // '2026-11-25'
 */
export function localToday(now: Date, timeZone: string): string {
  const parts = formatterFor(timeZone).formatToParts(now);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year').padStart(4, '0')}-${get('month').padStart(2, '0')}-${get('day').padStart(2, '0')}`;
}

// Building a DateTimeFormat is far slower than using one, and a deployment uses a single zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Gregorian calendar and Latin digits pinned, so no locale default can change the output.
    f = new Intl.DateTimeFormat('en-US-u-ca-gregory-nu-latn', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Lower case, single spaces, no decoration that carries no date ("tgl", trailing "!", time of day). */
function clean(text: string): string {
  let s = text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  s = s.replace(/[\s.,!?;:]+$/, '');
  // An estimate says so ("sekitar 17 agustus", "kira-kira 2 minggu lalu", "± kemarin"): the date is the same.
  s = s.replace(
    /^(?:sekitar|kira[- ]?kira|kira2|kurang lebih|kurleb|about|around|approximately|approx\.?|±|~)\s*/,
    '',
  );
  s = s.replace(/^(?:pada )?(?:(?:tanggal|date|on)\b|tgl\b\.?)\s*:?\s*/, '');
  s = s.replace(TIME_SUFFIX, '');
  return s.trim();
}

/** Days before today for "senin lalu" / "last monday" (7 when today is that weekday), or undefined. */
function lastWeekdayDaysAgo(s: string, todayDay: number): number | undefined {
  const m = LAST_WEEKDAY.exec(s);
  const wanted = m ? WEEKDAY_NUMBER.get(m[1] ?? m[2] ?? '') : undefined;
  if (wanted === undefined) return undefined;
  // Day 0 (1 January 1970) was a Thursday.
  const todayWeekday = (((todayDay + 4) % 7) + 7) % 7;
  return (todayWeekday - wanted + 7) % 7 || 7;
}

/** Days before today for a relative expression, or undefined when the text is not one. */
function relativeDaysAgo(s: string): number | undefined {
  const fixed = RELATIVE_DAYS.get(s);
  if (fixed !== undefined) return fixed;
  const m = AGO.exec(s);
  if (!m) return undefined;
  const [, countText = '', unit = ''] = m;
  const count = /^\d+$/.test(countText) ? Number(countText) : COUNT_WORDS.get(countText);
  const unitDays = UNIT_DAYS.get(unit);
  if (count === undefined || unitDays === undefined) return undefined;
  return count * unitDays;
}

interface DateParts {
  year?: number;
  month: number;
  day: number;
}

/** Day, month and (maybe) year of an absolute date, unchecked against the calendar. */
function absoluteParts(s: string): DateParts | undefined {
  let m = ISO.exec(s);
  if (m) return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  m = DMY.exec(s);
  if (m) return { year: fullYear(m[3] ?? ''), month: Number(m[2]), day: Number(m[1]) };
  m = DM.exec(s);
  if (m) return { month: Number(m[2]), day: Number(m[1]) };
  m = D_MONTH_Y.exec(s);
  if (m) return withMonthName(m[1], m[2], m[3]);
  m = MONTH_D_Y.exec(s);
  if (m) return withMonthName(m[2], m[1], m[3]);
  return undefined;
}

function withMonthName(
  day: string | undefined,
  monthName: string | undefined,
  year: string | undefined,
): DateParts | undefined {
  const month = MONTHS.get(monthName ?? '');
  if (month === undefined) return undefined;
  const parts: DateParts = { month, day: Number(day) };
  if (year !== undefined) parts.year = fullYear(year);
  return parts;
}

/** Reports are about recent events, so a two-digit year is always this century. */
function fullYear(text: string): number {
  const y = Number(text);
  return text.length === 2 ? 2000 + y : y;
}

function judge(daysAgo: number, todayDay: number, maxDaysAgo: number): ParseDateResult {
  if (daysAgo < 0) return { ok: false, reason: 'future' };
  // Compared before building a date, so "99999999 hari lalu" cannot overflow the calendar maths.
  if (daysAgo > maxDaysAgo) return { ok: false, reason: 'too_old' };
  return { ok: true, date: civilFromDays(todayDay - daysAgo) };
}

function isRealDate(year: number, month: number, day: number): boolean {
  return Number.isInteger(year) && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function dayNumberOf(ymd: string): number {
  return daysFromCivil(Number(ymd.slice(0, 4)), Number(ymd.slice(5, 7)), Number(ymd.slice(8, 10)));
}

// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm). Used instead
// of Date.UTC, which silently maps years 0–99 to 1900–1999, and because calendar days need no zone.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
