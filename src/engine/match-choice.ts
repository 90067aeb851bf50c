import { CARDINALS, numberWords, ORDINALS } from './number-words.ts';

/**
 * Matching what a citizen typed against the options of a choice step. Buttons are not always there
 * (WhatsApp lists, SMS-style numbered lists, people who just type), so "2", "aspirasi", "ASPIRASI!",
 * "aspirsi" and "informasi" must all land on the right option, and anything unclear must come back
 * as ambiguous rather than as a guess.
 */

/** One option of a choice step: its stored value and every label it is shown with (all languages). */
export interface ChoiceOption {
  value: string;
  labels: string[];
}

/**
 * The outcome of {@link matchChoice}: one option, several equally good ones (ask again, listing them),
 * or none.
 */
export type ChoiceMatch =
  | { kind: 'match'; value: string }
  | { kind: 'ambiguous'; values: string[] }
  | { kind: 'none' };

/**
 * The form in which typed words are compared: accents and other diacritics removed (é → e),
 * compatibility forms folded (full-width digits, ligatures), lower case, apostrophes dropped
 * ("Jum'at" → "jumat"), every other run of punctuation, symbols, emoji or spaces turned into a single
 * space, and trimmed. The engine uses it to recognise global words such as "batal" or "bantuan".
 *
 * @example normalizeWord('  Permintaan-Informasi!! ') // 'permintaan informasi'
 * @example normalizeWord('Café') // 'cafe'
 */
export function normalizeWord(s: string): string {
  // Plain ASCII (most of what citizens type) has nothing to decompose and no marks to drop: the
  // same result without the Unicode passes, which are most of a turn's cost.
  if (PRINTABLE_ASCII.test(s))
    return s
      .toLowerCase()
      .replace(/['`]/g, '')
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['‘’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// "2", "2.", "2)", "no 2", "no. 2", "nomor 2", "pilihan 2", "#2", and the keycap emoji "2️⃣" that phone
// keyboards suggest when someone types a digit.
const NUMBERED = /^(?:(?:no|nomor|nomer|number|num|pilihan|opsi|option)\.?\s*|#\s*)?(\d+)\s*[.):]?$/i;

/**
 * Finds the option a citizen meant. The rules are tried in order and the first that finds anything
 * decides; when a rule finds several options, the answer is `ambiguous` with those options, in the
 * order given, so the step can ask again showing only them.
 *
 * 1. A number 1…n picks the nth option ("2", "2.", "no 2", "nomor 2", "#2", "2️⃣"). A number outside
 *    1…n picks nothing unless it is literally an option's label (so "0" and "4" of 3 options are `none`).
 * 2. The input equals a value or label, compared with {@link normalizeWord} (case, accents,
 *    punctuation and extra spaces ignored).
 *    Then a number written as a word ("dua", "kedua", "two") picks like the digit, and on a yes/no
 *    question (an option labelled ya/yes, another tidak/no) the usual chat forms of yes and no
 *    ("iya", "y", "ok", "sudah benar", 👍; "gak", "nggak", "tdk", "tidak mau") pick that option.
 * 3. The input is one or more whole words of a label or value ("informasi" for "Permintaan informasi").
 * 4. A label or value starts with the input, when the input has at least 3 characters ("aspi").
 * 5. A word inside a label or value starts with the input, again from 3 characters ("info").
 * 6. Typos: a Damerau-Levenshtein distance (optimal string alignment: insertion, deletion,
 *    substitution, swap of neighbours) of at most 1 for inputs of 4–7 characters and at most 2 from
 *    8 characters, to a label, a value, or a word of either. The closest option wins; a tie is
 *    `ambiguous`. Inputs of digits only never go through rules 3–6, so "2025" cannot become "2024".
 *
 * @param options in display order; the order the numbers refer to.
 * @example matchChoice('2', [{ value: 'a', labels: ['A'] }, { value: 'b', labels: ['B'] }])
 *   // { kind: 'match', value: 'b' }
 */
export function matchChoice(input: string, options: readonly ChoiceOption[]): ChoiceMatch {
  const raw = input
    .normalize('NFKC')
    .replace(/[\uFE0F\u20E3]/g, '')
    .trim();
  // A thumbs-up (any skin tone) is how many people say yes; as a word it would normalise to nothing.
  const n = /^\u{1F44D}[\u{1F3FB}-\u{1F3FF}]?$/u.test(raw) ? 'y' : normalizeWord(raw);
  if (n === '' || options.length === 0) return { kind: 'none' };

  const candidates = candidatesOf(options);

  const numbered = NUMBERED.exec(raw);
  if (numbered) {
    const index = Number(numbered[1]);
    const option = options[index - 1];
    if (index >= 1 && option) return { kind: 'match', value: option.value };
  }

  const exact = decide(candidates.filter((c) => c.targets.includes(n)));
  if (exact || numbered || /^\d+$/.test(n)) return exact ?? { kind: 'none' };

  // "satu", "kedua", "three": a number written as a word picks like the digit.
  const spelled = NUMBER_WORDS.get(n);
  const bySpelled = spelled ? options[spelled - 1] : undefined;
  if (bySpelled) return { kind: 'match', value: bySpelled.value };

  // A yes/no question answered the way people chat: "iya", "y", "ok", "gak", "nggak", "sudah benar".
  const polar = YES_WORDS.has(n) ? YES_LABELS : NO_WORDS.has(n) ? NO_LABELS : null;
  if (polar) {
    const found = decide(candidates.filter((c) => c.targets.some((t) => polar.has(t))));
    if (found) return found;
  }

  const length = [...n].length;
  const tiers: ((t: string) => boolean)[] = [
    (t) => ` ${t} `.includes(` ${n} `),
    (t) => length >= 3 && t.startsWith(n),
    (t) => length >= 3 && ` ${t}`.includes(` ${n}`),
  ];
  for (const test of tiers) {
    const found = decide(candidates.filter((c) => c.targets.some(test)));
    if (found) return found;
  }

  return typoMatch(n, length, candidates) ?? { kind: 'none' };
}

/** Labels that make an option the "yes" or the "no" of a yes/no question. */
const YES_LABELS = new Set(['ya', 'yes']);
const NO_LABELS = new Set(['tidak', 'no']);

/** How people type yes and no in Indonesian and English chats (normalised). */
const YES_WORDS = new Set([
  'iya',
  'iyaa',
  'iyah',
  'y',
  'ya benar',
  'ya betul',
  'benar',
  'betul',
  'sudah benar',
  'ok',
  'oke',
  'okay',
  'okey',
  'sip',
  'siap',
  'boleh',
  'setuju',
  'yep',
  'yup',
  'yeah',
  'sure',
]);
const NO_WORDS = new Set([
  'tdk',
  'gak',
  'ga',
  'gk',
  'nggak',
  'ngga',
  'nggk',
  'enggak',
  'engga',
  'ndak',
  'nda',
  'tidak mau',
  'gak mau',
  'ga mau',
  'nggak mau',
  'jangan',
  'n',
  'nope',
  'nah',
]);

/** Numbers one to ten written as words, cardinal and ordinal, Indonesian and English. */
const NUMBER_WORDS = numberWords(CARDINALS, ORDINALS);

/** Strings of printable ASCII only (space to tilde). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Normalised options by options array: a flow's options are fixed, so each is normalised once. */
const candidateCache = new WeakMap<readonly ChoiceOption[], Candidate[]>();

function candidatesOf(options: readonly ChoiceOption[]): Candidate[] {
  let candidates = candidateCache.get(options);
  if (!candidates) {
    candidates = options.map((o) => ({
      value: o.value,
      targets: [o.value, ...o.labels].map(normalizeWord).filter((t) => t !== ''),
    }));
    candidateCache.set(options, candidates);
  }
  return candidates;
}

interface Candidate {
  value: string;
  /** The value and labels, normalised, empty ones dropped. */
  targets: string[];
}

/** One option → match; several → ambiguous; none → undefined, so the next rule runs. */
function decide(found: readonly Candidate[]): ChoiceMatch | undefined {
  const values = [...new Set(found.map((c) => c.value))];
  if (values.length === 0) return undefined;
  if (values.length === 1) return { kind: 'match', value: values[0] as string };
  return { kind: 'ambiguous', values };
}

function typoMatch(n: string, length: number, candidates: readonly Candidate[]): ChoiceMatch | undefined {
  // Below 4 characters one edit turns almost any word into another ("ya" → "yg"), so no tolerance.
  if (length < 4) return undefined;
  const max = length >= 8 ? 2 : 1;
  const input = [...n];

  let best = max + 1;
  let closest: Candidate[] = [];
  for (const c of candidates) {
    // Whole targets and their words: a typo in "informasi" should still find "Permintaan informasi".
    const strings = new Set(c.targets.flatMap((t) => [t, ...t.split(' ')]));
    let distance = max + 1;
    for (const s of strings) distance = Math.min(distance, osaDistance(input, [...s], max));
    if (distance < best) {
      best = distance;
      closest = [c];
    } else if (distance === best && distance <= max) {
      closest.push(c);
    }
  }
  return decide(closest);
}

/**
 * Optimal string alignment distance (the restricted Damerau-Levenshtein distance) between two strings
 * given as arrays of code points. Returns `max + 1` early when the lengths alone rule out a match, which
 * keeps a paragraph typed at a choice step cheap.
 */
function osaDistance(a: readonly string[], b: readonly string[], max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rolling rows: the swap rule looks two rows back.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      }
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
