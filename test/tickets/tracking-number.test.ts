import { describe, expect, it } from 'vitest';
import {
  generateTrackingNumber,
  isValidTrackingNumber,
  normalizeTrackingNumber,
  TRACKING_ALPHABET,
} from '../../src/tickets/tracking-number.ts';

// A small deterministic generator (xorshift32) stands in for crypto.randomBytes, so a failure here
// names the exact number that broke and reruns identically.
function bytesFrom(seed: number): () => Uint8Array {
  let x = seed >>> 0 || 1;
  return () => {
    const out = new Uint8Array(8);
    for (let i = 0; i < 8; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

const next = bytesFrom(20261125);
const SAMPLE = Array.from({ length: 400 }, () => generateTrackingNumber(next()));
const FORMAT = /^ADU-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

/** The 8 symbols after the prefix, dashes removed. */
const body = (n: string): string => n.slice(4).replace('-', '');
const withBody = (symbols: string): string => `ADU-${symbols.slice(0, 4)}-${symbols.slice(4)}`;

describe('TRACKING_ALPHABET', () => {
  it('has 29 distinct symbols, a prime, and none of the look-alikes', () => {
    expect(TRACKING_ALPHABET).toHaveLength(29);
    expect(new Set(TRACKING_ALPHABET).size).toBe(29);
    for (let d = 2; d * d <= 29; d++) expect(29 % d).not.toBe(0);
    for (const c of '01OILUZ') expect(TRACKING_ALPHABET).not.toContain(c);
  });
});

describe('generateTrackingNumber', () => {
  it('makes ADU-XXXX-XXXX numbers from the alphabet only, all valid', () => {
    for (const n of SAMPLE) {
      expect(n).toMatch(FORMAT);
      for (const c of body(n)) expect(TRACKING_ALPHABET).toContain(c);
      expect(isValidTrackingNumber(n)).toBe(true);
      expect(normalizeTrackingNumber(n)).toBe(n);
    }
  });

  it('is a pure function of the first 8 bytes', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(generateTrackingNumber(bytes)).toBe(generateTrackingNumber(new Uint8Array(bytes)));
    expect(generateTrackingNumber(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 99, 100]))).toBe(
      generateTrackingNumber(bytes),
    );
    expect(generateTrackingNumber(new Uint8Array(8))).toBe('ADU-2222-2222');
  });

  it('spreads over the whole alphabet in every random position', () => {
    const more = bytesFrom(7);
    const seen = Array.from({ length: 8 }, () => new Set<string>());
    for (let i = 0; i < 3000; i++) {
      [...body(generateTrackingNumber(more()))].forEach((c, pos) => {
        seen[pos]?.add(c);
      });
    }
    for (const s of seen) expect(s.size).toBe(29);
  });

  it('rarely repeats', () => {
    expect(new Set(SAMPLE).size).toBe(SAMPLE.length);
  });

  it.each([0, 1, 7])('refuses %i bytes', (length) => {
    expect(() => generateTrackingNumber(new Uint8Array(length))).toThrow(RangeError);
  });
});

describe('the check symbol', () => {
  it('rejects every single-symbol substitution at every position', () => {
    let tried = 0;
    for (const n of SAMPLE) {
      const symbols = body(n);
      for (let pos = 0; pos < 8; pos++) {
        for (const c of TRACKING_ALPHABET) {
          if (c === symbols[pos]) continue;
          const typo = withBody(symbols.slice(0, pos) + c + symbols.slice(pos + 1));
          expect(isValidTrackingNumber(typo), `${n} → ${typo}`).toBe(false);
          expect(normalizeTrackingNumber(typo), `${n} → ${typo}`).toBeNull();
          tried++;
        }
      }
    }
    expect(tried).toBe(SAMPLE.length * 8 * 28);
  });

  it('rejects every swap of two unequal neighbouring symbols, the check symbol included', () => {
    let tried = 0;
    for (const n of SAMPLE) {
      const s = [...body(n)];
      for (let pos = 0; pos < 7; pos++) {
        if (s[pos] === s[pos + 1]) continue;
        const swapped = [...s];
        [swapped[pos], swapped[pos + 1]] = [s[pos + 1] as string, s[pos] as string];
        const typo = withBody(swapped.join(''));
        expect(isValidTrackingNumber(typo), `${n} → ${typo}`).toBe(false);
        expect(normalizeTrackingNumber(typo), `${n} → ${typo}`).toBeNull();
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(SAMPLE.length * 6);
  });

  it('also rejects swaps across the dash as typed without dashes', () => {
    for (const n of SAMPLE) {
      const s = body(n);
      if (s[3] === s[4]) continue;
      expect(normalizeTrackingNumber(`${s.slice(0, 3)}${s[4]}${s[3]}${s.slice(5)}`)).toBeNull();
    }
  });
});

describe('normalizeTrackingNumber', () => {
  const VALID = 'ADU-7KQ2-M9XJ';
  const rows: [input: string, expected: string | null][] = [
    ['ADU-7KQ2-M9XJ', VALID],
    ['adu-7kq2-m9xj', VALID],
    ['Adu-7Kq2-M9xJ', VALID],
    ['ADU7KQ2M9XJ', VALID],
    ['7KQ2M9XJ', VALID],
    ['7kq2-m9xj', VALID],
    ['7kq2 m9xj', VALID],
    ['  ADU - 7KQ2 - M9XJ  ', VALID],
    ['ADU--7KQ2--M9XJ', VALID],
    ['ADU 7KQ 2M9 XJ', VALID],
    ['ADU–7KQ2–M9XJ', VALID], // en dash from autocorrect
    ['ADU_7KQ2_M9XJ', VALID],
    ['ADU.7KQ2.M9XJ', VALID],
    ['#ADU-7KQ2-M9XJ', VALID],
    ['ADU-7KQ2-M9XJ.', VALID],
    ['ＡＤＵ－７ＫＱ２－Ｍ９ＸＪ', VALID], // full-width, as some keyboards produce
    ['ADU-7KQZ-M9XJ', VALID], // Z is read as 2
    ['adu-7kqz-m9xj', VALID],
    ['ADU-7KQ2-M9XK', null], // wrong check symbol
    ['ADU-7KQ2-M9X', null], // too short
    ['ADU-7KQ2-M9XJJ', null], // too long
    ['7KQ2M9X', null],
    ['ADU-7KQ2-M9XJ-ADU', null],
    ['ABC-7KQ2-M9XJ', null], // another prefix
    ['ADU-7KQ0-M9XJ', null], // 0 is never used, nothing is guessed for it
    ['ADU-7KQO-M9XJ', null],
    ['ADU-7KQ1-M9XJ', null],
    ['ADU-7KQI-M9XJ', null],
    ['ADU-7KQL-M9XJ', null],
    ['ADU-7KQU-M9XJ', null],
    ['ADU/7KQ2/M9XJ', null], // a slash is not a separator we expect
    ['nomor saya ADU-7KQ2-M9XJ', null],
    ['', null],
    ['   ', null],
    ['🙏', null],
  ];
  it.each(rows)('%j → %j', (input, expected) => {
    expect(normalizeTrackingNumber(input)).toBe(expected);
  });

  it('accepts every generated number typed carelessly', () => {
    for (const n of SAMPLE) {
      const sloppy = ` ${body(n).toLowerCase().replace(/2/g, 'z')} `;
      expect(normalizeTrackingNumber(sloppy)).toBe(n);
    }
  });
});

describe('isValidTrackingNumber', () => {
  const rows: [input: string, expected: boolean][] = [
    ['ADU-7KQ2-M9XJ', true],
    ['ADU-2222-2222', true],
    ['adu-7kq2-m9xj', false], // not canonical: normalise first
    ['ADU7KQ2M9XJ', false],
    ['7KQ2-M9XJ', false],
    [' ADU-7KQ2-M9XJ', false],
    ['ADU-7KQZ-M9XJ', false],
    ['ADU-7KQ2-M9XK', false],
    ['', false],
  ];
  it.each(rows)('%j → %s', (input, expected) => {
    expect(isValidTrackingNumber(input)).toBe(expected);
  });
});
