/**
 * Shared fixtures for the engine tests (`engine*.test.ts`): the shipped flows, a fixed clock, a helper
 * that drives a conversation through `turn`, and ready-made answers for every step of the report flow.
 * Not a test file itself (vitest only collects `*.test.ts`).
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type FlowCatalog, newSession, turn } from '../../src/engine/engine.ts';
import { t } from '../../src/engine/messages.ts';
import type {
  Answer,
  Effect,
  Inbound,
  Lang,
  MediaRef,
  Outbound,
  Session,
  Submission,
  TurnContext,
  TurnResult,
} from '../../src/engine/types.ts';
import { type Flow, loadFlowSet } from '../../src/flows/loader.ts';
import type { Step } from '../../src/flows/schema.ts';

export const FLOWS_DIR = fileURLToPath(new URL('../../flows', import.meta.url));
export const MINI_DIR = fileURLToPath(new URL('./fixtures/engine-mini', import.meta.url));

const shipped = await loadFlowSet(FLOWS_DIR);
const mini = await loadFlowSet(MINI_DIR);

/** The catalog of the shipped flows (complaint + status). */
export const catalog: FlowCatalog = { flows: shipped.flows };
/** The catalog of the small fixture flow (`fixtures/engine-mini`). */
export const miniCatalog: FlowCatalog = { flows: mini.flows };

/** 10:00 on 25 November 2026 in Jakarta. */
export const ctx: TurnContext = {
  now: new Date('2026-11-25T03:00:00Z'),
  newId: 'draft0001',
  timeZone: 'Asia/Jakarta',
};

export function ctxWith(newId: string): TurnContext {
  return { ...ctx, newId };
}

export function flowOf(id: string, from: FlowCatalog = catalog): Flow {
  const flow = from.flows.get(id);
  if (!flow) throw new Error(`no flow ${id}`);
  return flow;
}

export const complaint = flowOf('complaint');
export const status = flowOf('status');

export function stepOf(id: string, flow: Flow = complaint): Step {
  const step = flow.stepsById.get(id);
  if (!step) throw new Error(`no step ${id} in ${flow.id}`);
  return step;
}

/** The prompt of a step, as the first line of the message that asks it. */
export function promptOf(stepId: string, lang: Lang = 'id', flow: Flow = complaint): string {
  return stepOf(stepId, flow).prompt[lang];
}

export function helpOf(stepId: string, lang: Lang = 'id', flow: Flow = complaint): string {
  const help = stepOf(stepId, flow).help;
  if (!help) throw new Error(`step ${stepId} has no help`);
  return help[lang];
}

// ── Inbound builders ────────────────────────────────────────────────────────────────────────

export const text = (s: string): Inbound => ({ kind: 'text', text: s });
export const press = (payload: string): Inbound => ({ kind: 'choice', payload });
export const start = (payload?: string): Inbound =>
  payload === undefined ? { kind: 'start' } : { kind: 'start', payload };
export const place = (latitude: number, longitude: number, address?: string): Inbound =>
  address === undefined
    ? { kind: 'location', latitude, longitude }
    : { kind: 'location', latitude, longitude, address };

let fileNo = 0;
/** A media message; each call makes a new file ref unless one is given. */
export function file(mimeType = 'image/jpeg', size = 200_000, ref?: string): Inbound & { kind: 'media' } {
  fileNo += 1;
  const media: MediaRef = { ref: ref ?? `file-${fileNo}`, mimeType, size };
  return { kind: 'media', media };
}

// ── Running conversations ───────────────────────────────────────────────────────────────────

export interface Run {
  session: Session;
  /** Every message of every turn, in order. */
  outbound: Outbound[];
  effects: Effect[];
  /** One result per inbound. */
  turns: TurnResult[];
  /** The outbound of the last turn only. */
  last: Outbound[];
  /** `session.stepId` after each turn. */
  steps: (string | null)[];
}

/** Feeds `inbounds` one by one through `turn`, each turn starting from the session the previous returned. */
export function run(
  inbounds: Inbound[],
  opts: { session?: Session; ctx?: TurnContext; catalog?: FlowCatalog } = {},
): Run {
  const c = opts.ctx ?? ctx;
  let session = opts.session ?? newSession(c.now);
  const turns: TurnResult[] = [];
  for (const inbound of inbounds) {
    const result = turn(opts.catalog ?? catalog, session, inbound, c);
    turns.push(result);
    session = result.session;
  }
  return {
    session,
    outbound: turns.flatMap((r) => r.outbound),
    effects: turns.flatMap((r) => r.effects),
    turns,
    last: turns[turns.length - 1]?.outbound ?? [],
    steps: turns.map((r) => r.session.stepId),
  };
}

/** Texts of a list of messages. */
export const texts = (out: Outbound[]): string[] => out.map((o) => o.text);

// ── The report flow, answered ───────────────────────────────────────────────────────────────

export const TITLE = 'Jalan berlubang di Jalan Kaliurang km 7';
export const BODY =
  'Jalan di depan kantor kelurahan berlubang besar sejak bulan lalu dan membahayakan pengendara motor.';
export const ADDRESS = 'Jl. Kaliurang km 7, Sinduharjo, Ngaglik';

/** A valid answer for each step of the complaint flow, as the citizen sends it. */
export const REPLY: Record<string, Inbound> = {
  category: press('category|jalan_infrastruktur'),
  region: press('region|sleman'),
  title: text(TITLE),
  body: text(BODY),
  incident_date: text('kemarin'),
  location: text(ADDRESS),
  attachments: text('lewati'),
  anonymous: press('anonymous|no'),
  confidential: press('confidential|no'),
  confirm: press('confirm|send'),
};

/** What REPLY stores in the draft, by step. */
export const STORED: Record<string, Answer> = {
  type: { kind: 'choice', value: 'pengaduan' },
  category: { kind: 'choice', value: 'jalan_infrastruktur' },
  region: { kind: 'choice', value: 'sleman' },
  title: { kind: 'text', value: TITLE },
  body: { kind: 'text', value: BODY },
  incident_date: { kind: 'date', value: '2026-11-24' },
  location: { kind: 'location', value: { address: ADDRESS } },
  attachments: { kind: 'skipped' },
  anonymous: { kind: 'choice', value: 'no' },
  confidential: { kind: 'choice', value: 'no' },
};

export type ReportType = 'pengaduan' | 'aspirasi' | 'permintaan_informasi';

/**
 * Starts a report of `type` and answers every step until `target` is the current step
 * (`'end'`: through the confirm step, i.e. submitted).
 */
export function reportTo(
  target: string | 'end',
  opts: { type?: ReportType; ctx?: TurnContext; session?: Session } = {},
): Run {
  const first = run([text('lapor')], {
    ctx: opts.ctx ?? ctx,
    ...(opts.session ? { session: opts.session } : {}),
  });
  const rest = continueTo(target, first.session, opts);
  const turns = [...first.turns, ...rest.turns];
  return {
    ...rest,
    turns,
    outbound: turns.flatMap((x) => x.outbound),
    effects: turns.flatMap((x) => x.effects),
    steps: turns.map((x) => x.session.stepId),
    last: turns[turns.length - 1]?.outbound ?? [],
  };
}

/** Answers the current step and the ones after it with the canned replies until `target` is current. */
export function continueTo(
  target: string | 'end',
  session: Session,
  opts: { type?: ReportType; ctx?: TurnContext } = {},
): Run {
  const type = opts.type ?? 'pengaduan';
  const c = opts.ctx ?? ctx;
  const turns: TurnResult[] = [];
  let s = session;
  for (let i = 0; i < 20 && s.stepId !== (target === 'end' ? null : target); i++) {
    const step = s.stepId;
    if (step === null) break;
    const reply = step === 'type' ? press(`type|${type}`) : REPLY[step];
    if (!reply) throw new Error(`no canned reply for step ${step}`);
    const result = turn(catalog, s, reply, c);
    turns.push(result);
    s = result.session;
  }
  if (s.stepId !== (target === 'end' ? null : target))
    throw new Error(`did not reach ${target}; at ${s.stepId}`);
  return {
    session: s,
    turns,
    outbound: turns.flatMap((x) => x.outbound),
    effects: turns.flatMap((x) => x.effects),
    last: turns[turns.length - 1]?.outbound ?? [],
    steps: turns.map((x) => x.session.stepId),
  };
}

/** A session placed directly at `stepId` with `answers`, as the store would hand it to the engine. */
export function sessionAt(
  stepId: string,
  answers: Record<string, Answer>,
  overrides: Partial<Session> = {},
  flow: Flow = complaint,
): Session {
  return {
    ...newSession(ctx.now),
    flowId: flow.id,
    flowVersion: flow.version,
    stepId,
    draftId: 'draft0001',
    answers,
    history: Object.keys(answers),
    ...overrides,
  };
}

/** The stored answers of the given steps. */
export function storedFor(...ids: string[]): Record<string, Answer> {
  const out: Record<string, Answer> = {};
  for (const id of ids) {
    const a = STORED[id];
    if (!a) throw new Error(`no stored answer for ${id}`);
    out[id] = a;
  }
  return out;
}

// ── Assertions ──────────────────────────────────────────────────────────────────────────────

/** The message asks `stepId`: its text starts with the step's prompt in `lang`. */
export function expectAsks(
  message: Outbound | undefined,
  stepId: string,
  lang: Lang = 'id',
  flow = complaint,
) {
  expect(message, `a message asking ${stepId}`).toBeDefined();
  expect(message?.text.startsWith(promptOf(stepId, lang, flow)), `"${message?.text}" asks ${stepId}`).toBe(
    true,
  );
}

/** The main menu, introduced by the welcome text or not. */
export function expectMenu(message: Outbound | undefined, lang: Lang = 'id') {
  expect(message?.choices?.map((c) => c.payload)).toEqual([
    '~menu|complaint',
    '~menu|status',
    '~g|help',
    '~g|language',
  ]);
  expect(message?.text).toBe(t(lang, 'welcome'));
}

/** The only submit effect of a run. */
export function onlySubmission(effects: Effect[]): Submission {
  const submits = effects.filter((e) => e.kind === 'submit');
  expect(submits).toHaveLength(1);
  const first = submits[0];
  if (first?.kind !== 'submit') throw new Error('no submit');
  return first.submission;
}

/** Freezes an object graph so that any write to it throws (tests run as strict-mode modules). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
