/**
 * The conversation engine's vocabulary. Everything here is plain data: it crosses Redis (sessions),
 * BullMQ (effects become jobs) and channel adapters (inbound/outbound), so it must stay serialisable.
 */

/** The two languages every prompt is written in; `id` (Bahasa Indonesia) is the default. */
export type Lang = 'id' | 'en';
export const LANGS: readonly Lang[] = ['id', 'en'];

/** A text in every supported language. */
export type Localized = Record<Lang, string>;

/** A file the citizen sent, as the channel knows it. The bytes stay with the channel until a worker fetches them. */
export interface MediaRef {
  /** Channel-specific handle: a Telegram `file_id`, a WhatsApp media key, a web upload id. */
  ref: string;
  mimeType: string;
  /** Bytes, when the platform says so up front. */
  size?: number;
  fileName?: string;
}

/**
 * What a citizen sent, already translated from the platform's update by a channel adapter.
 *
 * @example { kind: 'text', text: 'kemarin' }
 * @example { kind: 'choice', payload: 'type|pengaduan' }
 */
export type Inbound =
  | { kind: 'text'; text: string }
  /** A pressed button; `payload` is what the engine put on it (`stepId|value`). */
  | { kind: 'choice'; payload: string }
  | { kind: 'location'; latitude: number; longitude: number; address?: string }
  | { kind: 'media'; media: MediaRef; caption?: string }
  | { kind: 'contact'; phone: string; name?: string }
  /** The first contact, or a deep link (`/start lapor`). */
  | { kind: 'start'; payload?: string };

/** One button offered to the citizen. Channels render these their own way (keyboard, numbered list). */
export interface Choice {
  payload: string;
  label: string;
}

/**
 * What the bot says back. One shape for every channel: text, optionally with choices, optionally
 * asking for the device's location.
 */
export interface Outbound {
  text: string;
  choices?: Choice[];
  requestLocation?: boolean;
}

/** A shared location or a typed address. */
export interface LocationAnswer {
  latitude?: number;
  longitude?: number;
  address?: string;
}

/** An answer as stored in the draft, per step kind. */
export type Answer =
  | { kind: 'choice'; value: string }
  | { kind: 'text'; value: string }
  | { kind: 'date'; value: string /* YYYY-MM-DD, the deployment's local date */ }
  | { kind: 'location'; value: LocationAnswer }
  | { kind: 'media'; value: MediaRef[] }
  | { kind: 'skipped' };

/** A half-finished flow, parked while the citizen checks a status, resumed afterwards. */
export interface ParkedFlow {
  flowId: string;
  stepId: string;
  answers: Record<string, Answer>;
  history: string[];
  draftId: string;
}

/** A short detour the engine is in the middle of, answered before the step itself. */
export type Overlay = 'language' | 'stuck' | 'editPick' | 'menu' | 'forget';

/**
 * One conversation's state. Stored as one Redis value per chat; the engine never sees the store.
 * `flowVersion` pins the flow definition the conversation started on (see "Flows change while people talk").
 */
export interface Session {
  lang: Lang;
  flowId: string | null;
  flowVersion: string | null;
  stepId: string | null;
  /** Random id given when a flow starts; a submission's id derives from it, so a re-sent submit is the same submission. */
  draftId: string | null;
  answers: Record<string, Answer>;
  /** Steps answered on the way here, newest last, for `kembali`/`back`. */
  history: string[];
  /** Wrong answers in a row at the current step. */
  wrongCount: number;
  /** Set while the citizen changes one answer from the summary: the next answer returns to it. */
  editing: boolean;
  overlay: Overlay | null;
  parked: ParkedFlow | null;
  /** Epoch ms of the citizen's last message; drives the idle reminder and expiry. */
  lastActivityAt: number;
  reminded: boolean;
  /** Submissions made from this chat, newest last (tracking ids arrive later through notifications). */
  submitted: string[];
  /** A resolved report whose rating (1–5, or "not solved") this chat was asked for. */
  pendingRating?: string | null;
}

/** The report handed to the ticket worker: answers by step id, only those on the path taken. */
export interface Submission {
  submissionId: string;
  flowId: string;
  flowVersion: string;
  lang: Lang;
  answers: Record<string, Answer>;
  submittedAt: string;
}

/**
 * Side effects the engine asks its caller to carry out. Data, not calls: the engine stays pure.
 */
export type Effect =
  | { kind: 'submit'; submission: Submission }
  | { kind: 'checkStatus'; trackingId: string; lang: Lang }
  /** The reporter adds information to an existing report (`balas ADU-… teks`). */
  | { kind: 'addToReport'; trackingId: string; text: string; lang: Lang }
  /** The reporter rates the answer to a resolved report (1–5). */
  | { kind: 'rate'; trackingId: string; rating: number; lang: Lang }
  /** The reporter says a resolved report is not solved: it is reopened. */
  | { kind: 'reopen'; trackingId: string; lang: Lang }
  /**
   * The citizen confirmed deleting their data (UU PDP): the caller deletes the chat's data and only
   * then tells them in `lang` whether it was done (the turn itself says nothing).
   */
  | { kind: 'forget'; lang: Lang };

/** Everything a turn needs besides the flow and session: the clock and a fresh id, supplied by the caller. */
export interface TurnContext {
  now: Date;
  /** A new random id; used only when a flow starts. */
  newId: string;
  /** IANA zone of the deployment, for "hari ini" and date display. */
  timeZone: string;
}

/** The result of one turn. */
export interface TurnResult {
  session: Session;
  outbound: Outbound[];
  effects: Effect[];
}
