import { normalizeTrackingNumber } from '../tickets/tracking-number.ts';
import { normalizeWord } from './match-choice.ts';
import type { Effect, Inbound, Lang } from './types.ts';

/** Button payload of a rating: `~rate|<trackingId>|<1-5 or no>`. Carries the ticket, so it works at any step. */
export function ratingPayload(trackingId: string, value: number | 'no'): string {
  return `~rate|${trackingId}|${value}`;
}

const NOT_SOLVED = new Set(['belum selesai', 'belum', 'tidak selesai', 'not solved', 'not yet', 'unsolved']);

/**
 * Messages that concern a report already sent, rather than the conversation in progress:
 * `balas ADU-7KQ2-M9XF …` / `reply …` adds information; a rating button (or, right after the
 * reporter was asked, a typed 1–5, or 6 or "belum selesai") rates or reopens a resolved report.
 * `inReport`: a report is in progress, where a text merely starting with "balas" is an answer.
 *
 * @returns the effect to carry out, `format` when `balas` came without a usable tracking number, or null
 */
export function followUpOf(
  inbound: Inbound,
  pendingRating: string | null | undefined,
  lang: Lang,
  inReport = false,
): Effect | 'format' | null {
  if (inbound.kind === 'choice' && inbound.payload.startsWith('~rate|')) {
    const [, trackingId, value] = inbound.payload.split('|');
    if (!trackingId || !normalizeTrackingNumber(trackingId)) return null;
    if (value === 'no') return { kind: 'reopen', trackingId, lang };
    const rating = Number(value);
    return Number.isInteger(rating) && rating >= 1 && rating <= 5
      ? { kind: 'rate', trackingId, rating, lang }
      : null;
  }
  if (inbound.kind !== 'text') return null;
  const command = /^\s*\/?(balas|reply)\b\s*([\s\S]*)$/i.exec(inbound.text);
  if (command) {
    const rest = command[2] ?? '';
    const match = /^((?:adu[\s-]*)?[0-9a-z]{4}[\s-]*[0-9a-z]{4})\s+([\s\S]+)$/i.exec(rest.trim());
    const trackingId = match ? normalizeTrackingNumber(match[1] as string) : null;
    const text = match?.[2]?.trim() ?? '';
    if (trackingId && text) return { kind: 'addToReport', trackingId, text: text.slice(0, 4000), lang };
    // In the middle of a report, "Balas surat dari kelurahan tidak pernah datang" is an answer (a
    // title, say) that happens to start with the word: only the /balas command is taken as one.
    if (inReport && !/^\s*\//.test(inbound.text)) return null;
    return 'format';
  }
  if (pendingRating) {
    const word = normalizeWord(inbound.text);
    if (/^[1-5]$/.test(word)) return { kind: 'rate', trackingId: pendingRating, rating: Number(word), lang };
    // "6": WhatsApp numbers the rating list, and "Belum selesai" is its sixth entry.
    if (word === '6' || NOT_SOLVED.has(word)) return { kind: 'reopen', trackingId: pendingRating, lang };
  }
  return null;
}
