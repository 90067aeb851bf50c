/**
 * Numbers one to ten as citizens write them, Indonesian and English: `CARDINALS[n - 1]` are the
 * words for n. Counts in dates ("dua hari lalu") and option numbers ("dua", "kedua") both read them.
 */
export const CARDINALS: readonly (readonly string[])[] = [
  ['satu', 'one'],
  ['dua', 'two'],
  ['tiga', 'three'],
  ['empat', 'four'],
  ['lima', 'five'],
  ['enam', 'six'],
  ['tujuh', 'seven'],
  ['delapan', 'eight'],
  ['sembilan', 'nine'],
  ['sepuluh', 'ten'],
];

/** Ordinals one to ten ("pertama", "kedua", "first"…), indexed as {@link CARDINALS}. */
export const ORDINALS: readonly (readonly string[])[] = [
  ['pertama', 'first'],
  ['kedua', 'second'],
  ['ketiga', 'third'],
  ['keempat', 'fourth'],
  ['kelima', 'fifth'],
  ['keenam', 'sixth'],
  ['ketujuh', 'seventh'],
  ['kedelapan', 'eighth'],
  ['kesembilan', 'ninth'],
  ['kesepuluh', 'tenth'],
];

/** A map from each word of `lists` to its number (index + 1). */
export function numberWords(...lists: (readonly (readonly string[])[])[]): Map<string, number> {
  return new Map(lists.flatMap((list) => list.flatMap((words, i) => words.map((w) => [w, i + 1] as const))));
}
