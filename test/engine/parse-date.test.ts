import { describe, expect, it } from 'vitest';
import { formatLocalDate, localToday, parseReportDate } from '../../src/engine/parse-date.ts';

// 18:00 UTC on 24 November is 01:00 on 25 November in Jakarta: every "today" below is the 25th,
// which is what proves the parser counts days in the deployment's zone, not in UTC.
const NOW = new Date('2026-11-24T18:00:00Z');
const ZONE = 'Asia/Jakarta';
const MAX = 90; // today (2026-11-25) minus 90 days is 2026-08-27

type Row = [input: string, expected: string];

describe('parseReportDate: relative words', () => {
  const rows: Row[] = [
    ['hari ini', '2026-11-25'],
    ['Hari Ini', '2026-11-25'],
    ['  hari    ini  ', '2026-11-25'],
    ['hr ini', '2026-11-25'],
    ['sekarang', '2026-11-25'],
    ['today', '2026-11-25'],
    ['TODAY', '2026-11-25'],
    ['Today.', '2026-11-25'],
    ['kemarin', '2026-11-24'],
    ['Kemarin!', '2026-11-24'],
    ['kemaren', '2026-11-24'],
    ['kmrn', '2026-11-24'],
    ['yesterday', '2026-11-24'],
    ['kemarin lusa', '2026-11-23'],
    ['KEMARIN  LUSA', '2026-11-23'],
    ['the day before yesterday', '2026-11-23'],
    ['0 hari lalu', '2026-11-25'],
    ['2 hari lalu', '2026-11-23'],
    ['2 hari yang lalu', '2026-11-23'],
    ['2 hari yg lalu', '2026-11-23'],
    ['2 hari yll', '2026-11-23'],
    ['2hari lalu', '2026-11-23'],
    ['dua hari lalu', '2026-11-23'],
    ['sehari lalu', '2026-11-24'],
    ['10 hari lalu', '2026-11-15'],
    ['3 days ago', '2026-11-22'],
    ['1 day ago', '2026-11-24'],
    ['a day ago', '2026-11-24'],
    ['three days ago', '2026-11-22'],
    ['seminggu lalu', '2026-11-18'],
    ['seminggu yang lalu', '2026-11-18'],
    ['1 minggu lalu', '2026-11-18'],
    ['2 minggu lalu', '2026-11-11'],
    ['2 minggu yang lalu', '2026-11-11'],
    ['1 week ago', '2026-11-18'],
    ['a week ago', '2026-11-18'],
    ['2 weeks ago', '2026-11-11'],
    ['90 hari lalu', '2026-08-27'],
    ['kemarin sore', '2026-11-24'],
    ['kemarin malam', '2026-11-24'],
    ['kemarin jam 3', '2026-11-24'],
    ['kemarin pukul 14.30 WIB', '2026-11-24'],
    ['yesterday morning', '2026-11-24'],
  ];
  it.each(rows)('%j → %s', (input, date) => {
    expect(parseReportDate(input, NOW, ZONE, MAX)).toEqual({ ok: true, date });
  });
});

describe('parseReportDate: numeric dates, day first', () => {
  const rows: Row[] = [
    ['12/11/2026', '2026-11-12'],
    ['12-11-2026', '2026-11-12'],
    ['12.11.2026', '2026-11-12'],
    ['12/11/26', '2026-11-12'],
    ['12 / 11 / 2026', '2026-11-12'],
    ['1/9/2026', '2026-09-01'],
    ['01/09/2026', '2026-09-01'],
    ['2026-11-12', '2026-11-12'],
    ['2026-9-1', '2026-09-01'],
    ['2026/11/12', '2026-11-12'],
    ['25/11/2026', '2026-11-25'],
    ['27/08/2026', '2026-08-27'],
    ['tgl 12/11/2026', '2026-11-12'],
    ['tgl.12/11/2026', '2026-11-12'],
    ['tanggal 12-11-2026', '2026-11-12'],
    ['pada tanggal 12.11.2026', '2026-11-12'],
    ['12/11/2026 14:30', '2026-11-12'],
    ['12/11', '2026-11-12'],
    ['12-11', '2026-11-12'],
  ];
  it.each(rows)('%j → %s', (input, date) => {
    expect(parseReportDate(input, NOW, ZONE, MAX)).toEqual({ ok: true, date });
  });
});

describe('parseReportDate: month names', () => {
  const rows: Row[] = [
    ['12 Nov 2026', '2026-11-12'],
    ['12 November 2026', '2026-11-12'],
    ['12 november 2026', '2026-11-12'],
    ['12 NOVEMBER 2026', '2026-11-12'],
    ['12 nopember 2026', '2026-11-12'],
    ['12 nop 2026', '2026-11-12'],
    ['12 nov. 2026', '2026-11-12'],
    ['12-nov-2026', '2026-11-12'],
    ['12nov2026', '2026-11-12'],
    ['12 nov 26', '2026-11-12'],
    ['12 Nov', '2026-11-12'],
    ['Kamis, 12 Nov 2026', '2026-11-12'],
    ['kamis 12 november', '2026-11-12'],
    ['November 12, 2026', '2026-11-12'],
    ['Nov 12', '2026-11-12'],
    ['12th November 2026', '2026-11-12'],
    ['12th of November', '2026-11-12'],
    ['Thursday, November 12th, 2026', '2026-11-12'],
    ['tanggal 12 november', '2026-11-12'],
    // Every Indonesian and English spelling of every month, in a past year so none is in the future.
    ...(
      [
        [['januari', 'jan', 'january'], 1],
        [['februari', 'feb', 'pebruari', 'peb', 'february'], 2],
        [['maret', 'mar', 'march'], 3],
        [['april', 'apr'], 4],
        [['mei', 'may'], 5],
        [['juni', 'jun', 'june'], 6],
        [['juli', 'jul', 'july'], 7],
        [['agustus', 'agu', 'agt', 'ags', 'agst', 'aug', 'august'], 8],
        [['september', 'sep', 'sept'], 9],
        [['oktober', 'okt', 'oct', 'october'], 10],
        [['november', 'nov', 'nopember', 'nop'], 11],
        [['desember', 'des', 'dec', 'december'], 12],
      ] as const
    ).flatMap(([names, month]) =>
      names.map((name): Row => [`3 ${name} 2025`, `2025-${String(month).padStart(2, '0')}-03`]),
    ),
  ];
  it.each(rows)('%j → %s', (input, date) => {
    // A wide window: this table is about spelling, not about age.
    expect(parseReportDate(input, NOW, ZONE, 3650)).toEqual({ ok: true, date });
  });
});

describe('parseReportDate: a date without a year is the most recent one not in the future', () => {
  const rows: Row[] = [
    ['25 Nov', '2026-11-25'], // today
    ['24 nov', '2026-11-24'],
    ['10 Des', '2025-12-10'], // 15 days ahead this year, so last year
    ['31 des', '2025-12-31'],
    ['1 jan', '2026-01-01'],
    ['10/12', '2025-12-10'],
    ['29 feb', '2024-02-29'], // 2026 and 2025 have none
    ['29/02', '2024-02-29'],
  ];
  it.each(rows)('%j → %s', (input, date) => {
    expect(parseReportDate(input, NOW, ZONE, 3650)).toEqual({ ok: true, date });
  });

  it('says too_old when the most recent such day is beyond the window', () => {
    expect(parseReportDate('10 Des', NOW, ZONE, MAX)).toEqual({ ok: false, reason: 'too_old' });
  });

  it.each(['26 Nov', '26/11', '2 Des'])(
    '%j, up to a week ahead, is taken as a future date (a slip), not as last year’s',
    (input) => {
      expect(parseReportDate(input, NOW, ZONE, 3650)).toEqual({ ok: false, reason: 'future' });
    },
  );
});

describe('parseReportDate: estimates and colloquial words', () => {
  // NOW is Wednesday 25 November 2026 in Jakarta.
  const rows: Row[] = [
    ['tadi', '2026-11-25'],
    ['tadi pagi', '2026-11-25'],
    ['semalam', '2026-11-24'],
    ['minggu lalu', '2026-11-18'],
    ['pekan lalu', '2026-11-18'],
    ['last week', '2026-11-18'],
    ['bulan lalu', '2026-10-26'],
    ['2 bulan lalu', '2026-09-26'],
    ['senin lalu', '2026-11-23'],
    ['rabu lalu', '2026-11-18'], // today is Wednesday: a week ago
    ['last friday', '2026-11-20'],
    ['sekitar 17 agustus', '2026-08-17'],
    ['kira-kira 2 minggu lalu', '2026-11-11'],
    ['± kemarin', '2026-11-24'],
  ];
  it.each(rows)('%j → %s', (input, date) => {
    expect(parseReportDate(input, NOW, ZONE, 3650)).toEqual({ ok: true, date });
  });
});

describe('parseReportDate: refusals', () => {
  const rows: [input: string, reason: 'invalid' | 'future' | 'too_old'][] = [
    ['', 'invalid'],
    ['   ', 'invalid'],
    ['lupa', 'invalid'],
    ['beberapa hari lalu', 'invalid'],
    ['kemarin dulu banget', 'invalid'],
    ['31/02/2026', 'invalid'],
    ['30 feb 2026', 'invalid'],
    ['29/02/2026', 'invalid'], // 2026 is not a leap year
    ['31 april 2026', 'invalid'],
    ['31/04', 'invalid'],
    ['30 feb', 'invalid'],
    ['0/11/2026', 'invalid'],
    ['12/13/2026', 'invalid'], // day first: there is no 13th month
    ['11/31/2026', 'invalid'], // the US order is not guessed
    ['2026-13-01', 'invalid'],
    ['12 foo 2026', 'invalid'],
    ['12 2026', 'invalid'],
    ['nov 2026', 'invalid'],
    ['12/11/202', 'invalid'],
    ['123/11/2026', 'invalid'],
    ['📅', 'invalid'],
    // Words that are properties of every JavaScript object must not be taken for table entries.
    ['constructor', 'invalid'],
    ['toString', 'invalid'],
    ['__proto__', 'invalid'],
    ['constructor hari lalu', 'invalid'],
    ['12 constructor 2026', 'invalid'],
    ['12 hasOwnProperty', 'invalid'],
    ['26/11/2026', 'future'],
    ['1 Desember 2026', 'future'],
    ['2027-01-01', 'future'],
    ['12/11/99', 'future'], // two-digit years are 20xx
    ['besok', 'future'],
    ['tomorrow', 'future'],
    ['lusa', 'future'],
    ['26/08/2026', 'too_old'], // 91 days before today
    ['91 hari lalu', 'too_old'],
    ['14 minggu lalu', 'too_old'],
    ['99999999999 hari lalu', 'too_old'],
    ['12/11/2025', 'too_old'],
    ['1 jan 1990', 'too_old'],
  ];
  it.each(rows)('%j → %s', (input, reason) => {
    expect(parseReportDate(input, NOW, ZONE, MAX)).toEqual({ ok: false, reason });
  });
});

describe('parseReportDate: the day boundaries are local', () => {
  const rows: [now: string, zone: string, input: string, expected: string][] = [
    // Still 24 November in UTC, already the 25th in Jakarta.
    ['2026-11-24T18:00:00Z', 'UTC', 'hari ini', '2026-11-24'],
    ['2026-11-24T18:00:00Z', 'Asia/Jakarta', 'hari ini', '2026-11-25'],
    ['2026-11-24T16:59:59Z', 'Asia/Jakarta', 'hari ini', '2026-11-24'],
    ['2026-11-24T17:00:00Z', 'Asia/Jakarta', 'hari ini', '2026-11-25'],
    ['2026-11-24T15:00:00Z', 'Asia/Jayapura', 'hari ini', '2026-11-25'], // UTC+9
    // New year in Jakarta while it is still the old year in UTC.
    ['2025-12-31T17:30:00Z', 'Asia/Jakarta', 'hari ini', '2026-01-01'],
    ['2025-12-31T17:30:00Z', 'Asia/Jakarta', 'kemarin', '2025-12-31'],
    ['2025-12-31T17:30:00Z', 'Asia/Jakarta', '31 des', '2025-12-31'],
    ['2025-12-31T17:30:00Z', 'Asia/Jakarta', '1 jan', '2026-01-01'],
    // Across a leap day and month ends.
    ['2024-03-01T05:00:00Z', 'Asia/Jakarta', 'kemarin', '2024-02-29'],
    ['2025-03-01T05:00:00Z', 'Asia/Jakarta', 'kemarin', '2025-02-28'],
    ['2026-03-03T05:00:00Z', 'Asia/Jakarta', 'seminggu lalu', '2026-02-24'],
  ];
  it.each(rows)('at %s in %s, %j → %s', (now, zone, input, date) => {
    expect(parseReportDate(input, new Date(now), zone, 365)).toEqual({ ok: true, date });
  });

  it('accepts exactly maxDaysAgo and refuses one day more', () => {
    expect(parseReportDate('27/08/2026', NOW, ZONE, MAX)).toEqual({ ok: true, date: '2026-08-27' });
    expect(parseReportDate('26/08/2026', NOW, ZONE, MAX)).toEqual({ ok: false, reason: 'too_old' });
    expect(parseReportDate('kemarin', NOW, ZONE, 0)).toEqual({ ok: false, reason: 'too_old' });
    expect(parseReportDate('hari ini', NOW, ZONE, 0)).toEqual({ ok: true, date: '2026-11-25' });
  });
});

describe('localToday', () => {
  const rows: [now: string, zone: string, expected: string][] = [
    ['2026-11-24T18:00:00Z', 'Asia/Jakarta', '2026-11-25'],
    ['2026-11-24T18:00:00Z', 'UTC', '2026-11-24'],
    ['2026-11-24T18:00:00Z', 'Asia/Makassar', '2026-11-25'],
    ['2026-11-24T03:00:00Z', 'America/Los_Angeles', '2026-11-23'],
    ['2026-01-01T00:00:00Z', 'UTC', '2026-01-01'],
    ['2025-12-31T23:59:59Z', 'Asia/Jakarta', '2026-01-01'],
    ['2024-02-29T12:00:00Z', 'Asia/Jakarta', '2024-02-29'],
  ];
  it.each(rows)('%s in %s is %s', (now, zone, expected) => {
    expect(localToday(new Date(now), zone)).toBe(expected);
  });

  it('throws for an unknown zone', () => {
    expect(() => localToday(NOW, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('formatLocalDate', () => {
  const rows: [date: string, id: string, en: string][] = [
    ['2026-11-12', '12 November 2026', '12 November 2026'],
    ['2026-01-05', '5 Januari 2026', '5 January 2026'],
    ['2026-02-28', '28 Februari 2026', '28 February 2026'],
    ['2026-03-01', '1 Maret 2026', '1 March 2026'],
    ['2026-05-09', '9 Mei 2026', '9 May 2026'],
    ['2026-06-30', '30 Juni 2026', '30 June 2026'],
    ['2026-07-04', '4 Juli 2026', '4 July 2026'],
    ['2026-08-17', '17 Agustus 2026', '17 August 2026'],
    ['2026-10-31', '31 Oktober 2026', '31 October 2026'],
    ['2026-12-25', '25 Desember 2026', '25 December 2026'],
    ['2024-02-29', '29 Februari 2024', '29 February 2024'],
  ];
  it.each(rows)('%s → %j / %j', (date, id, en) => {
    expect(formatLocalDate(date, 'id')).toBe(id);
    expect(formatLocalDate(date, 'en')).toBe(en);
  });

  it.each(['2026-02-30', '2026-13-01', '12/11/2026', '2026-1-5', ''])('throws for %j', (date) => {
    expect(() => formatLocalDate(date, 'id')).toThrow(RangeError);
  });

  it('round-trips every parsed date', () => {
    const parsed = parseReportDate('12 nopember 2026', NOW, ZONE, MAX);
    expect(parsed.ok && formatLocalDate(parsed.date, 'id')).toBe('12 November 2026');
  });
});
