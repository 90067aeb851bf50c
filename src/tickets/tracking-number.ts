/**
 * Tracking numbers a citizen can read aloud over the phone and type back days later: `ADU-7KQ2-M9XJ`.
 *
 * Eight symbols follow the `ADU` prefix: seven random ones and a check symbol. The alphabet has no
 * symbol that is easily mistaken for another (0, O, 1, I, L, U and Z are left out), and it has exactly
 * 29 symbols.
 * 29 is prime, which is what lets a mod-29 weighted check symbol catch every typo of the two kinds
 * people make most: one wrong symbol, and two neighbouring symbols swapped.
 */

/**
 * The 29 symbols of a tracking number, in value order (`'2'` is 0, `'Y'` is 28).
 *
 * Crockford's base 32 already drops I, L, O and U; we also drop 0 and 1 (read as O and I/L) and Z
 * (read as 2, in handwriting and in many phone fonts). Dropping Z is what brings the count from 30 to
 * the prime 29, and it lets us read a typed Z as the 2 it almost certainly was.
 */
export const TRACKING_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXY';

/** Every tracking number starts with this, so it is recognisable in a chat, an SMS or a letter. */
export const TRACKING_PREFIX = 'ADU';

const BASE = TRACKING_ALPHABET.length; // 29
const RANDOM_SYMBOLS = 7;
const BASE_POW_RANDOM = BigInt(BASE) ** BigInt(RANDOM_SYMBOLS); // 29^7 ≈ 1.7e10 ≈ 2^34
// The check symbol's weight is 8, so its value is multiplied by 8⁻¹ mod 29 = 11 (8 × 11 = 88 = 3 × 29 + 1).
const INVERSE_OF_LAST_WEIGHT = 11;

const VALUE_OF = new Map<string, number>([...TRACKING_ALPHABET].map((c, i) => [c, i]));

// Z is not in the alphabet and looks like 2, so a typed Z can only have meant 2. Nothing is guessed for
// 0/O or 1/I/L: none of them is in the alphabet and neither is anything they resemble, so those inputs
// are rejected and the citizen is asked to check the number.
const LOOK_ALIKES: ReadonlyMap<string, string> = new Map([['Z', '2']]);

/**
 * Makes a new tracking number from random bytes, e.g. `ADU-7KQ2-M9XJ`.
 *
 * The first 8 bytes are read as one unsigned 64-bit integer and reduced mod 29⁷ to give the seven
 * random symbols; the eighth symbol is the check symbol. Reducing 2⁶⁴ values mod 29⁷ favours some
 * numbers over others by at most one part in 2⁶⁴ / 29⁷ ≈ 10⁹, far too little to matter, so no
 * rejection loop is needed and the result is a pure function of the bytes (handy in tests).
 * Uniqueness is the caller's job: 29⁷ ≈ 17 billion numbers make collisions rare, not impossible.
 *
 * @param randomBytes at least 8 bytes from a cryptographic source (`crypto.randomBytes(8)`); extra
 *   bytes are ignored.
 * @throws RangeError with fewer than 8 bytes.
 */
export function generateTrackingNumber(randomBytes: Uint8Array): string {
  if (randomBytes.length < 8) throw new RangeError(`need at least 8 random bytes, got ${randomBytes.length}`);
  let n = 0n;
  for (let i = 0; i < 8; i++) n = (n << 8n) | BigInt(randomBytes[i] ?? 0);
  n %= BASE_POW_RANDOM;

  const values: number[] = [];
  for (let i = 0; i < RANDOM_SYMBOLS; i++) {
    values.unshift(Number(n % BigInt(BASE)));
    n /= BigInt(BASE);
  }
  values.push(checkValue(values));
  return format(values.map((v) => TRACKING_ALPHABET[v]).join(''));
}

/**
 * Reads a tracking number as a citizen typed it and returns it in canonical form (`ADU-7KQ2-M9XJ`),
 * or `null` when it is not one of ours.
 *
 * Forgiven: lower case; spaces, dashes (any kind), dots, underscores and `#` anywhere; a missing
 * `ADU` prefix; Z typed for 2. Not forgiven: any other symbol outside the alphabet (0, O, 1, I, L,
 * U…), a wrong number of symbols, or a check symbol that does not match — which catches every single
 * mistyped symbol and every swap of two neighbouring symbols.
 *
 * @example normalizeTrackingNumber('adu 7kq2 m9xj') // 'ADU-7KQ2-M9XJ'
 */
export function normalizeTrackingNumber(input: string): string | null {
  let s = input
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\-‐‑‒–—―−_.#]/g, '');
  // U is not in the alphabet, so a leading ADU can only be the prefix, never the first symbols.
  if (s.length === 3 + 8 && s.startsWith(TRACKING_PREFIX)) s = s.slice(3);
  if (s.length !== 8) return null;

  const values: number[] = [];
  for (const c of s) {
    const v = VALUE_OF.get(LOOK_ALIKES.get(c) ?? c);
    if (v === undefined) return null;
    values.push(v);
  }
  if (checkValue(values.slice(0, RANDOM_SYMBOLS)) !== values[RANDOM_SYMBOLS]) return null;
  return format(values.map((v) => TRACKING_ALPHABET[v]).join(''));
}

/**
 * True when `s` is a tracking number exactly in canonical form (`ADU-XXXX-XXXX`, upper case, valid
 * check symbol). Meant for identifiers that went through {@link normalizeTrackingNumber} or were
 * generated here, such as an API path; normalise what people type instead of testing it with this.
 */
export function isValidTrackingNumber(s: string): boolean {
  return /^ADU-[2-9A-HJKMNP-TV-Y]{4}-[2-9A-HJKMNP-TV-Y]{4}$/.test(s) && normalizeTrackingNumber(s) === s;
}

/**
 * The check symbol's value for seven symbol values: the one that makes Σ (i + 1) · vᵢ ≡ 0 (mod 29)
 * over all eight positions. Because 29 is prime and every weight 1…8 is non-zero mod 29, changing one
 * symbol always changes the sum; swapping neighbours a, b changes it by a − b, non-zero when a ≠ b.
 */
function checkValue(values: readonly number[]): number {
  let sum = 0;
  values.forEach((v, i) => {
    sum += (i + 1) * v;
  });
  return (((BASE - (sum % BASE)) % BASE) * INVERSE_OF_LAST_WEIGHT) % BASE;
}

function format(symbols: string): string {
  return `${TRACKING_PREFIX}-${symbols.slice(0, 4)}-${symbols.slice(4)}`;
}
