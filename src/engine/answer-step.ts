import type { ChoiceStep, DateStep, LocationStep, MediaStep, Step, TextStep } from '../flows/schema.ts';
import { normalizeTrackingNumber } from '../tickets/tracking-number.ts';
import { matchChoice, normalizeWord } from './match-choice.ts';
import { t } from './messages.ts';
import { parseReportDate } from './parse-date.ts';
import type { Answer, Inbound, Lang, MediaRef, TurnContext } from './types.ts';

/**
 * What one inbound message means for the step being asked (typebot's small union instead of throws):
 * - `answer`: the step is answered, move on;
 * - `collect`: a media step kept a file and waits for more (with an acknowledgement);
 * - `retry`: not an answer to this step; `reason` explains what is expected, and it counts as a wrong try;
 * - `stale`: a button of an earlier question was pressed; not the citizen's mistake, so it does not count.
 */
export type StepReply =
  | { kind: 'answer'; answer: Answer }
  | { kind: 'collect'; answer: Answer; ack: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'stale' };

/** Button payloads carry the step they belong to, so an old button cannot answer a later question. */
export function choicePayload(stepId: string, value: string): string {
  return `${stepId}|${value}`;
}

/** Splits a payload made by `choicePayload`; null when it is not one. */
export function parsePayload(payload: string): { stepId: string; value: string } | null {
  const bar = payload.indexOf('|');
  if (bar <= 0) return null;
  return { stepId: payload.slice(0, bar), value: payload.slice(bar + 1) };
}

const DONE_WORDS = new Set(['selesai', 'done', 'cukup', 'sudah', 'finish', 'finished']);

/**
 * Interprets `inbound` as an answer to `step`. Pure: `existing` is the step's answer so far
 * (media steps collect several files).
 */
export function answerStep(
  step: Step,
  inbound: Inbound,
  existing: Answer | undefined,
  lang: Lang,
  ctx: TurnContext,
): StepReply {
  if (inbound.kind === 'choice') {
    const parsed = parsePayload(inbound.payload);
    if (!parsed || parsed.stepId !== step.id) return { kind: 'stale' };
  }
  switch (step.kind) {
    case 'choice':
      return answerChoice(step, inbound, lang);
    case 'text':
      return answerText(step, inbound, lang);
    case 'date':
      return answerDate(step, inbound, lang, ctx);
    case 'location':
      return answerLocation(step, inbound, lang);
    case 'media':
      return answerMedia(step, inbound, existing, lang);
    case 'confirm':
      // The confirm step's buttons are handled by the engine itself (send / change / cancel).
      return { kind: 'retry', reason: t(lang, 'chooseOne') };
  }
}

/** The options of a choice step as `matchChoice` wants them: every label in both languages. */
export function choiceOptions(step: ChoiceStep): readonly { value: string; labels: string[] }[] {
  // Built once per step (flows are immutable once loaded), so matchChoice can keep its normalised form.
  let options = optionsCache.get(step);
  if (!options) {
    options = (step.options ?? []).map((o) => ({ value: o.value, labels: [o.label.id, o.label.en] }));
    optionsCache.set(step, options);
  }
  return options;
}

const optionsCache = new WeakMap<ChoiceStep, { value: string; labels: string[] }[]>();

function answerChoice(step: ChoiceStep, inbound: Inbound, lang: Lang): StepReply {
  const options = step.options ?? [];
  if (inbound.kind === 'choice') {
    const value = parsePayload(inbound.payload)?.value;
    if (options.some((o) => o.value === value))
      return { kind: 'answer', answer: { kind: 'choice', value: value as string } };
    return { kind: 'stale' };
  }
  if (inbound.kind !== 'text') return { kind: 'retry', reason: t(lang, 'chooseOne') };
  const match = matchChoice(inbound.text, choiceOptions(step));
  switch (match.kind) {
    case 'match':
      return { kind: 'answer', answer: { kind: 'choice', value: match.value } };
    case 'ambiguous':
      return { kind: 'retry', reason: t(lang, 'ambiguous') };
    case 'none':
      return { kind: 'retry', reason: t(lang, 'chooseOne') };
  }
}

function answerText(step: TextStep, inbound: Inbound, lang: Lang): StepReply {
  if (inbound.kind !== 'text') return { kind: 'retry', reason: t(lang, 'textExpected') };
  const text = inbound.text.trim();
  if (step.format === 'tracking_number') {
    const id = normalizeTrackingNumber(text);
    return id
      ? { kind: 'answer', answer: { kind: 'text', value: id } }
      : { kind: 'retry', reason: t(lang, 'badTrackingNumber') };
  }
  // Count user-perceived characters (grapheme clusters), so an emoji is one character: not two UTF-16
  // units, and not several code points either (👍🏽, 🇮🇩 and 👨‍👩‍👧 are one character each on screen).
  const n = characterCount(text);
  if (n < step.min_length) return { kind: 'retry', reason: t(lang, 'tooShort', { min: step.min_length, n }) };
  if (n > step.max_length) return { kind: 'retry', reason: t(lang, 'tooLong', { max: step.max_length, n }) };
  return { kind: 'answer', answer: { kind: 'text', value: text } };
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** Longest text (UTF-16 units) counted by grapheme; above it, by code point (see characterCount). */
const SEGMENT_AT_MOST = 20_000;

/** The number of characters a citizen sees in `text`. */
function characterCount(text: string): number {
  // Printable ASCII, tabs and line feeds are one character each (only CR LF pairs up); the segmenter
  // is needed only beyond them.
  if (/^[\t\n\x20-\x7e]*$/.test(text)) return text.length;
  // Intl.Segmenter slows down faster than the text grows on long non-ASCII runs (a 1 MB message of
  // emoji took minutes: one message could stall the process). No answer may be near this long, and
  // code points are never fewer than characters, so counting them here can only refuse, not admit.
  if (text.length > SEGMENT_AT_MOST) return [...text].length;
  let n = 0;
  for (const _ of graphemes.segment(text)) n++;
  return n;
}

function answerDate(step: DateStep, inbound: Inbound, lang: Lang, ctx: TurnContext): StepReply {
  if (inbound.kind !== 'text') return { kind: 'retry', reason: t(lang, 'dateInvalid') };
  const parsed = parseReportDate(inbound.text, ctx.now, ctx.timeZone, step.max_days_ago);
  if (parsed.ok) return { kind: 'answer', answer: { kind: 'date', value: parsed.date } };
  switch (parsed.reason) {
    case 'future':
      return { kind: 'retry', reason: t(lang, 'dateFuture') };
    case 'too_old':
      return { kind: 'retry', reason: t(lang, 'dateTooOld', { days: step.max_days_ago }) };
    case 'invalid':
      return { kind: 'retry', reason: t(lang, 'dateInvalid') };
  }
}

/** Answers that say there is no address to give. */
// The whole answer, give or take one word ("tidak tahu alamatnya"): "Tidak ada nama jalan, dekat
// masjid Desa Sukamaju" describes a place and is kept.
const NO_ADDRESS =
  /^(?:(?:tidak|tdk|gak|ga|nggak|enggak)\s+(?:ada|tahu|tau)|(?:ga|gak|nggak)tau|lupa|entah|entahlah|don'?t know|no idea|none|n\/a)(?:\s+\p{L}+)?[\s.!?]*$/iu;

/** Longest address kept, typed or shared (code points). */
const MAX_ADDRESS = 500;

function answerLocation(step: LocationStep, inbound: Inbound, lang: Lang): StepReply {
  if (inbound.kind === 'location') {
    const { latitude, longitude, address } = inbound;
    const valid =
      Number.isFinite(latitude) &&
      Number.isFinite(longitude) &&
      Math.abs(latitude) <= 90 &&
      Math.abs(longitude) <= 180 &&
      // 0,0 is in the Gulf of Guinea: what a phone sends when it has no fix, not a place in Indonesia.
      !(latitude === 0 && longitude === 0);
    if (!valid) return { kind: 'retry', reason: t(lang, 'locationExpected') };
    // A shared place's name comes from the platform, unchecked: keep it to a typed address's limit.
    const place = address?.trim() ? [...address.trim()].slice(0, MAX_ADDRESS).join('') : undefined;
    return {
      kind: 'answer',
      answer: {
        kind: 'location',
        value: place ? { latitude, longitude, address: place } : { latitude, longitude },
      },
    };
  }
  if (inbound.kind === 'text') {
    const address = inbound.text.trim();
    const length = [...address].length;
    // An address has words in it: "🙏🙏🙏🙏🙏" or "12345" is not one, and "tidak ada" or "ga tau"
    // says there is none (an optional question is skipped with "lewati", which the prompt says).
    const words = (address.match(/\p{L}/gu) ?? []).length >= 3 && !NO_ADDRESS.test(address);
    if (words && length >= step.min_address_length && length <= MAX_ADDRESS) {
      return { kind: 'answer', answer: { kind: 'location', value: { address } } };
    }
  }
  return { kind: 'retry', reason: t(lang, 'locationExpected') };
}

function mimeAllowed(allowed: readonly string[], mime: string): boolean {
  const lower = mime.toLowerCase();
  return allowed.some((a) => (a.endsWith('/*') ? lower.startsWith(a.slice(0, -1)) : a === lower));
}

function answerMedia(step: MediaStep, inbound: Inbound, existing: Answer | undefined, lang: Lang): StepReply {
  const files: MediaRef[] = existing?.kind === 'media' ? existing.value : [];
  const finishing =
    (inbound.kind === 'text' && DONE_WORDS.has(normalizeWord(inbound.text))) ||
    (inbound.kind === 'choice' && parsePayload(inbound.payload)?.value === 'done');
  if (finishing) {
    if (files.length > 0) return { kind: 'answer', answer: { kind: 'media', value: files } };
    return step.optional
      ? { kind: 'answer', answer: { kind: 'skipped' } }
      : { kind: 'retry', reason: t(lang, 'mediaRequired') };
  }
  if (inbound.kind !== 'media') return { kind: 'retry', reason: t(lang, 'mediaExpected') };
  const { media } = inbound;
  if (!mimeAllowed(step.mime_types, media.mimeType)) {
    return { kind: 'retry', reason: t(lang, 'mediaType', { types: step.mime_types.join(', ') }) };
  }
  if (media.size !== undefined && media.size > step.max_bytes) {
    return { kind: 'retry', reason: t(lang, 'mediaSize', { mb: Math.round(step.max_bytes / 1024 / 1024) }) };
  }
  // Back at a media step that is already full (after `kembali` or a change from the summary).
  if (files.length >= step.max_files)
    return { kind: 'retry', reason: t(lang, 'mediaFull', { max: step.max_files }) };
  const value = [...files, media];
  const answer: Answer = { kind: 'media', value };
  if (value.length >= step.max_files) return { kind: 'answer', answer };
  return { kind: 'collect', answer, ack: t(lang, 'mediaReceived', { n: value.length, max: step.max_files }) };
}
