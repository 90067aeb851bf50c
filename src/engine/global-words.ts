import { normalizeWord } from './match-choice.ts';
import type { Inbound } from './types.ts';

/** Words that work at every step, whatever is being asked. */
export type GlobalWord = 'cancel' | 'back' | 'skip' | 'help' | 'language' | 'status' | 'forget';

/**
 * Each global word in Bahasa Indonesia and English (and the forms people type on a phone).
 * Recognised only when they are the whole message, so "batal" inside a description never cancels it.
 */
const WORDS: Record<GlobalWord, readonly string[]> = {
  cancel: ['batal', 'batalkan', 'cancel', '/batal', '/cancel'],
  back: ['kembali', 'back', 'mundur', '/kembali', '/back'],
  skip: ['lewati', 'lewat', 'skip', '/lewati', '/skip'],
  help: ['bantuan', 'bantu', 'help', 'tolong', '?', '/bantuan', '/help'],
  language: ['bahasa', 'language', 'lang', '/bahasa', '/language'],
  status: ['status', 'cek status', '/status'],
  // The citizen's own deletion request (UU PDP): asked for confirmation before anything happens.
  forget: ['hapus data', 'hapus data saya', '/hapus', 'delete my data', '/delete'],
};

const LOOKUP = new Map<string, GlobalWord>();
for (const [word, forms] of Object.entries(WORDS) as [GlobalWord, readonly string[]][]) {
  for (const form of forms) LOOKUP.set(form, word);
}

/** Button payloads for global words (a "Lewati" button, the stuck menu). */
export const GLOBAL_PAYLOAD: Record<GlobalWord, string> = {
  cancel: '~g|cancel',
  back: '~g|back',
  skip: '~g|skip',
  help: '~g|help',
  language: '~g|language',
  status: '~g|status',
  forget: '~g|forget',
};

/** The global word an inbound message is, if it is one. */
export function globalWordOf(inbound: Inbound): GlobalWord | null {
  if (inbound.kind === 'choice') {
    if (!inbound.payload.startsWith('~g|')) return null;
    const word = inbound.payload.slice(3) as GlobalWord;
    // Own keys only: `in` would also accept inherited names such as "constructor" or "toString".
    return Object.hasOwn(WORDS, word) ? word : null;
  }
  if (inbound.kind !== 'text' || inbound.text.length > 40) return null;
  const raw = inbound.text.trim().toLowerCase();
  return LOOKUP.get(raw) ?? LOOKUP.get(normalizeWord(raw)) ?? null;
}
