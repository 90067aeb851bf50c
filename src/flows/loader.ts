import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { Answer, Localized } from '../engine/types.ts';
import {
  type ChoiceStep,
  type Condition,
  type FlowFile,
  flowSchema,
  type Option,
  type Routing,
  routingSchema,
  type Step,
} from './schema.ts';

/**
 * Loads `flows/*.yaml` and `flows/routing.yaml`, validates them in two passes (shape with zod, then the
 * graph and the cross-references), and turns each flow into the ready-to-run form the engine uses.
 * Everything an operator can get wrong is reported at once, each problem naming file, step and field,
 * because the person fixing a flow file is not the person who wrote this code.
 */

/** The name of the routing file inside the flows directory; every other `*.yaml` there is a flow. */
export const ROUTING_FILE = 'routing.yaml';

/**
 * One problem in one file, located as precisely as we can: the step (by its id, or `#3` when the step
 * has no usable id) and the field (a dotted path inside the step, or inside the file for top-level
 * fields and routing.yaml).
 *
 * @example flows/complaint.yaml: step "title": field "min_length": Expected number, received string
 */
export class FlowError extends Error {
  /** The file as the directory was given plus the file name, e.g. `flows/complaint.yaml`. */
  readonly file: string;
  readonly step?: string;
  readonly field?: string;
  /** The problem without its location. */
  readonly detail: string;

  constructor(file: string, detail: string, where: { step?: string; field?: string } = {}) {
    const step = where.step === undefined ? '' : ` step "${where.step}":`;
    const field = where.field === undefined ? '' : ` field "${where.field}":`;
    super(`${file}:${step}${field} ${detail}`);
    this.name = 'FlowError';
    this.file = file;
    if (where.step !== undefined) this.step = where.step;
    if (where.field !== undefined) this.field = where.field;
    this.detail = detail;
  }
}

/** Every problem found in a flows directory; thrown by `loadFlowSet`, one problem per line of the message. */
export class FlowSetError extends Error {
  readonly errors: FlowError[];

  constructor(errors: FlowError[]) {
    const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
    super(`The flow files have ${count}:\n${errors.map((e) => e.message).join('\n')}`);
    this.name = 'FlowSetError';
    this.errors = errors;
  }
}

/** A choice step whose options are known: written in the file, or copied from routing (`options_from`). */
export type ResolvedChoiceStep = ChoiceStep & { options: Option[] };

/**
 * A step after loading: the schema's step, except that every choice step has its `options`. Assignable to
 * the schema's `Step`, which is what `Flow` exposes; narrow with `isResolvedChoice` to rely on `options`.
 */
export type ResolvedStep = Exclude<Step, { kind: 'choice' }> | ResolvedChoiceStep;

/** True for a choice step of a loaded flow, whose `options` the loader has always filled in. */
export function isResolvedChoice(step: Step): step is ResolvedChoiceStep {
  return step.kind === 'choice' && step.options !== undefined;
}

/** A validated flow plus what the engine needs precomputed, so it never reads routing or re-walks the file. */
export interface Flow {
  id: string;
  /** Short sha256 of the flow's canonical JSON: changes with the content, not with formatting or comments. */
  version: string;
  /** Where it was loaded from, for messages. */
  file: string;
  onFinish: FlowFile['on_finish'];
  triggers: string[];
  title: Localized;
  done: Localized;
  /**
   * In file order. Typed as the schema's `Step` (the contract the engine codes against), but every choice
   * step here has `options` set: `options_from` is already resolved from routing (see `ResolvedStep`).
   */
  steps: Step[];
  stepsById: Map<string, Step>;
  /** The first step's id. */
  start: string;
  /** Step ids in file order; an absent `next` means the following id here (or `end` after the last). */
  order: string[];
}

/** All flows of a deployment and the routing they were resolved against. */
export interface FlowSet {
  /** By flow id. */
  flows: Map<string, Flow>;
  routing: Routing;
  /** The directory, made absolute. */
  loadedFrom: string;
}

/** The outcome of checking a flows directory, for `aduan flows check` (which prints rather than throws). */
export type FlowSetCheck = { ok: true; set: FlowSet } | { ok: false; errors: FlowError[] };

/**
 * Reads and validates `dir` and returns the flow set.
 *
 * @throws FlowSetError listing every problem found, so start-up stops with one readable message.
 */
export async function loadFlowSet(dir: string): Promise<FlowSet> {
  const result = await validateFlowSet(dir);
  if (!result.ok) throw new FlowSetError(result.errors);
  return result.set;
}

/** Reads and validates `dir` without throwing on invalid content: every problem is in `errors`. */
export async function validateFlowSet(dir: string): Promise<FlowSetCheck> {
  const errors: FlowError[] = [];
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    // Sorted so the errors, and which of two clashing flows is blamed, do not depend on the file system.
    names = entries
      .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    return { ok: false, errors: [new FlowError(dir, `cannot read the flows directory: ${describe(err)}`)] };
  }

  const routingFile = join(dir, ROUTING_FILE);
  let routing: Routing | undefined;
  if (names.includes(ROUTING_FILE)) {
    const raw = await readYaml(routingFile, errors);
    if (raw.ok) routing = checkRouting(routingFile, raw.value, errors);
  } else {
    errors.push(new FlowError(routingFile, 'missing: every deployment needs a routing file'));
  }

  const flowNames = names.filter((n) => n !== ROUTING_FILE);
  if (flowNames.length === 0) errors.push(new FlowError(dir, 'no flow files (*.yaml) besides routing.yaml'));

  const flows = new Map<string, Flow>();
  const fileOfFlow = new Map<string, string>();
  const flowOfTrigger = new Map<string, string>();
  for (const name of flowNames) {
    const file = join(dir, name);
    const raw = await readYaml(file, errors);
    if (!raw.ok) continue;
    const flow = checkFlow(file, raw.value, routing, errors);
    if (flow === undefined) continue;

    const other = fileOfFlow.get(flow.id);
    if (other !== undefined) {
      errors.push(new FlowError(file, `flow id "${flow.id}" is already used by ${other}`, { field: 'id' }));
      continue;
    }
    fileOfFlow.set(flow.id, file);
    // A word that starts two flows would start whichever the engine happens to look at first.
    flow.triggers.forEach((trigger, i) => {
      const key = normalizeTrigger(trigger);
      const owner = flowOfTrigger.get(key);
      if (owner !== undefined && owner !== flow.id) {
        errors.push(
          new FlowError(file, `trigger "${trigger}" also starts flow "${owner}"`, { field: `triggers.${i}` }),
        );
      }
      flowOfTrigger.set(key, flow.id);
    });
    flows.set(flow.id, flow);
  }

  if (errors.length > 0 || routing === undefined) return { ok: false, errors };
  return { ok: true, set: { flows, routing, loadedFrom: resolve(dir) } };
}

/**
 * The step after `stepId`, given the answers so far: the first branch whose condition holds, else
 * `otherwise`; an absent `next` is the following step in file order, or `end` after the last step.
 * Pure and cheap, so the engine can call it on every turn.
 *
 * @throws Error when the flow has no step `stepId` (a caller bug, not a citizen's mistake).
 */
export function nextStepId(flow: Flow, stepId: string, answers: Record<string, Answer>): string | 'end' {
  const step = flow.stepsById.get(stepId);
  if (step === undefined) throw new Error(`flow "${flow.id}" has no step "${stepId}"`);
  const next = step.next;
  if (next === undefined) return flow.order[flow.order.indexOf(stepId) + 1] ?? 'end';
  if (typeof next === 'string') return next;
  for (const branch of next.branches) {
    if (conditionHolds(branch.when, answers)) return branch.goto;
  }
  return next.otherwise;
}

/**
 * The agency that receives a report: a route naming the category and the region wins over a route
 * naming only the category; with neither, the fallback agency (the coordinator).
 */
export function routeReport(routing: Routing, category: string, region: string | undefined): string {
  let anyRegion: string | undefined;
  for (const route of routing.routes) {
    if (route.category !== category) continue;
    if (route.region === undefined) anyRegion ??= route.agency;
    else if (route.region === region) return route.agency;
  }
  return anyRegion ?? routing.fallback_agency;
}

// ---------------------------------------------------------------------------------------------------
// Reading

type Parsed = { ok: true; value: unknown } | { ok: false };

async function readYaml(file: string, errors: FlowError[]): Promise<Parsed> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    errors.push(new FlowError(file, `cannot read: ${describe(err)}`));
    return { ok: false };
  }
  // `uniqueKeys` (the default) makes a key written twice an error instead of a silent overwrite.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The pretty message continues with a source excerpt over several lines; its first line has the position.
    for (const e of doc.errors) errors.push(new FlowError(file, `YAML: ${e.message.split('\n')[0]}`));
    return { ok: false };
  }
  return { ok: true, value: doc.toJS() };
}

// ---------------------------------------------------------------------------------------------------
// Pass 1: shape (zod), with issue paths turned into step ids and field names

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

/** Turns zod issues into FlowErrors; in a flow, `steps.N` is named by that step's id when it has one. */
function issuesToErrors(file: string, issues: readonly Issue[], raw: unknown, inFlow: boolean): FlowError[] {
  const out: FlowError[] = [];
  for (const issue of issues) {
    // An unknown key is usually a typo; name the key itself as the field so it can be found.
    const paths =
      issue.code === 'unrecognized_keys' && issue.keys
        ? issue.keys.map((k) => [...issue.path, k])
        : [issue.path];
    const detail = issue.code === 'unrecognized_keys' ? 'not a known field (a typo?)' : tidy(issue.message);
    for (const path of paths) {
      if (inFlow && path[0] === 'steps' && typeof path[1] === 'number') {
        const rest = path.slice(2);
        out.push(
          new FlowError(file, detail, {
            step: stepLabel(raw, path[1]),
            ...(rest.length > 0 ? { field: rest.map(String).join('.') } : {}),
          }),
        );
      } else {
        out.push(new FlowError(file, detail, path.length > 0 ? { field: path.map(String).join('.') } : {}));
      }
    }
  }
  return out;
}

/** The id written on step N if it is a usable string, else `#N+1`, which is how people count steps. */
function stepLabel(raw: unknown, index: number): string {
  const steps = isRecord(raw) ? raw.steps : undefined;
  const step = Array.isArray(steps) ? steps[index] : undefined;
  const id = isRecord(step) ? step.id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : `#${index + 1}`;
}

/** zod 4 says "Invalid input: expected number, received string"; the location already says where. */
function tidy(message: string): string {
  const m = message.replace(/^Invalid input: /, '');
  return m.charAt(0).toUpperCase() + m.slice(1);
}

// ---------------------------------------------------------------------------------------------------
// Routing

function checkRouting(file: string, raw: unknown, errors: FlowError[]): Routing | undefined {
  const parsed = routingSchema.safeParse(raw);
  if (!parsed.success) {
    errors.push(...issuesToErrors(file, parsed.error.issues as Issue[], raw, false));
    return undefined;
  }
  const routing = parsed.data;
  const before = errors.length;
  const at = (field: string, detail: string) => errors.push(new FlowError(file, detail, { field }));

  const regions = uniqueIds(routing.regions, 'regions', at);
  const agencies = uniqueIds(routing.agencies, 'agencies', at);
  const categories = uniqueIds(routing.categories, 'categories', at);

  routing.agencies.forEach((a, i) => {
    if (a.region !== undefined && !regions.has(a.region)) {
      at(`agencies.${i}.region`, `unknown region "${a.region}"${known(regions)}`);
    }
  });
  const seen = new Map<string, number>();
  routing.routes.forEach((r, i) => {
    if (!categories.has(r.category))
      at(`routes.${i}.category`, `unknown category "${r.category}"${known(categories)}`);
    if (r.region !== undefined && !regions.has(r.region)) {
      at(`routes.${i}.region`, `unknown region "${r.region}"${known(regions)}`);
    }
    if (!agencies.has(r.agency)) at(`routes.${i}.agency`, `unknown agency "${r.agency}"`);
    // Two routes for one category and region would make the outcome depend on their order in the file.
    const key = `${r.category}\u0000${r.region ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) at(`routes.${i}`, `same category and region as routes.${first}`);
    else seen.set(key, i);
  });
  if (!agencies.has(routing.fallback_agency)) {
    at('fallback_agency', `unknown agency "${routing.fallback_agency}"`);
  }
  return errors.length === before ? routing : undefined;
}

function uniqueIds(
  items: readonly { id: string }[],
  list: string,
  at: (field: string, detail: string) => void,
): Set<string> {
  const ids = new Set<string>();
  items.forEach((item, i) => {
    if (ids.has(item.id)) at(`${list}.${i}.id`, `duplicate id "${item.id}"`);
    ids.add(item.id);
  });
  return ids;
}

// ---------------------------------------------------------------------------------------------------
// Pass 2: one flow's graph and references

/** A way out of a step: the target (a step id or `end`) and the field that says so, for messages. */
interface Edge {
  to: string;
  field: string;
}

function checkFlow(
  file: string,
  raw: unknown,
  routing: Routing | undefined,
  errors: FlowError[],
): Flow | undefined {
  const parsed = flowSchema.safeParse(raw);
  if (!parsed.success) {
    errors.push(...issuesToErrors(file, parsed.error.issues as Issue[], raw, true));
    return undefined;
  }
  const flowFile = parsed.data;
  const before = errors.length;
  const at = (step: string | undefined, field: string | undefined, detail: string) =>
    errors.push(new FlowError(file, detail, { ...(step ? { step } : {}), ...(field ? { field } : {}) }));

  // Ids. A duplicate is left out of the graph: which of the two a `next` means is exactly the problem.
  const byId = new Map<string, ResolvedStep>();
  const order: string[] = [];
  const steps: ResolvedStep[] = [];
  let duplicates = false;
  flowFile.steps.forEach((step, i) => {
    const resolved = resolveStep(step, routing, (field, detail) => at(step.id, field, detail));
    steps.push(resolved);
    if (byId.has(step.id)) {
      at(
        step.id,
        'id',
        `duplicate step id (step #${i + 1}; the first is step #${order.indexOf(step.id) + 1})`,
      );
      duplicates = true;
      return;
    }
    byId.set(step.id, resolved);
    order.push(step.id);
  });

  // Edges; a `next` naming no step is reported and left out.
  const edges = new Map<string, Edge[]>();
  let dangling = false;
  order.forEach((id, i) => {
    const step = byId.get(id) as ResolvedStep;
    const out: Edge[] = [];
    for (const edge of edgesOf(step, order[i + 1] ?? 'end')) {
      if (edge.to === 'end' || byId.has(edge.to)) out.push(edge);
      else {
        at(id, edge.field, `no step "${edge.to}"${known(order)}`);
        dangling = true;
      }
    }
    edges.set(id, out);
  });

  const start = order[0] as string;
  const cyclic = findCycles(order, edges, at);
  const reachable = reach(start, edges, undefined);
  // Only meaningful on a DAG: "always answered before" needs every path to be finite.
  const dominators = cyclic ? undefined : dominatorsOf(start, order, edges, reachable);

  for (const id of order) {
    const step = byId.get(id) as ResolvedStep;
    if (typeof step.next === 'object') {
      step.next.branches.forEach((branch, b) => {
        checkCondition(branch.when, `next.branches.${b}.when`, id, byId, dominators, routing, at);
      });
    }
  }

  // With a dangling `next` or a duplicate id the graph has holes: every step behind a typo would be reported
  // as unreachable, burying the one real mistake. Reachability is judged once those are fixed.
  const graphWhole = !dangling && !duplicates;
  const confirm =
    flowFile.on_finish === 'submit'
      ? checkConfirm(order, byId, edges, start, reachable, graphWhole, at)
      : undefined;
  if (flowFile.on_finish === 'check_status') checkTrackingStep(order, byId, at);

  if (graphWhole) {
    for (const id of order) {
      if (!reachable.has(id) && id !== confirm) {
        at(
          id,
          undefined,
          `can never be reached from the first step "${start}"; point a "next" at it or remove it`,
        );
      }
    }
  }

  const triggers = new Set<string>();
  flowFile.triggers.forEach((t, i) => {
    const key = normalizeTrigger(t);
    if (triggers.has(key)) at(undefined, `triggers.${i}`, `trigger "${t}" is listed twice`);
    triggers.add(key);
  });

  if (errors.length > before) return undefined;
  return {
    id: flowFile.id,
    version: versionOf(flowFile),
    file,
    onFinish: flowFile.on_finish,
    triggers: flowFile.triggers,
    title: flowFile.title,
    done: flowFile.done,
    steps,
    stepsById: byId,
    start,
    order,
  };
}

/** Per-step checks that zod cannot express, and `options_from` resolved against routing. */
function resolveStep(
  step: Step,
  routing: Routing | undefined,
  at: (field: string, detail: string) => void,
): ResolvedStep {
  if (step.kind === 'text' && step.min_length > step.max_length) {
    at('min_length', `min_length ${step.min_length} is more than max_length ${step.max_length}`);
  }
  if (step.kind !== 'choice') return step;

  if (step.options !== undefined && step.options_from !== undefined) {
    at('options', 'give either `options` or `options_from`, not both');
  } else if (step.options === undefined && step.options_from === undefined) {
    at('options', 'a choice step needs `options` or `options_from`');
  }
  const values = new Map<string, number>();
  step.options?.forEach((o, i) => {
    const first = values.get(o.value);
    if (first !== undefined) at(`options.${i}.value`, `value "${o.value}" is also options.${first}`);
    else values.set(o.value, i);
  });

  if (step.options_from === undefined || step.options !== undefined)
    return { ...step, options: step.options ?? [] };
  // Without valid routing there is nothing to resolve against; routing.yaml's own errors say why.
  if (routing === undefined) return { ...step, options: [] };
  const options: Option[] =
    step.options_from === 'categories'
      ? routing.categories.map((c) => ({ value: c.id, label: c.label }))
      : routing.regions.map((r) => ({ value: r.id, label: { id: r.name, en: r.name } }));
  // The schema's limit for written options is what channel adapters are built for; routing must keep it too.
  if (options.length > 50) {
    at('options_from', `routing.yaml has ${options.length} ${step.options_from}; a choice shows at most 50`);
  }
  return { ...step, options };
}

function edgesOf(step: Step, following: string): Edge[] {
  const next = step.next;
  if (next === undefined) return [{ to: following, field: 'next' }];
  if (typeof next === 'string') return [{ to: next, field: 'next' }];
  return [
    ...next.branches.map((b, i) => ({ to: b.goto, field: `next.branches.${i}.goto` })),
    { to: next.otherwise, field: 'next.otherwise' },
  ];
}

/** Reports every edge that closes a loop; returns whether there was any. */
function findCycles(
  order: string[],
  edges: Map<string, Edge[]>,
  at: (step: string, field: string, detail: string) => void,
): boolean {
  // Recursion is fine: a flow has tens of steps, not thousands.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  let found = false;
  const visit = (id: string) => {
    state.set(id, 'open');
    stack.push(id);
    for (const edge of edges.get(id) ?? []) {
      if (edge.to === 'end') continue;
      const s = state.get(edge.to);
      if (s === 'open') {
        const loop = [...stack.slice(stack.indexOf(edge.to)), edge.to].join(' → ');
        at(
          id,
          edge.field,
          `goes back to "${edge.to}", making a loop (${loop}); a flow must always move forward`,
        );
        found = true;
      } else if (s === undefined) {
        visit(edge.to);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of order) if (!state.has(id)) visit(id);
  return found;
}

/** Steps reachable from `start`, optionally never passing through `avoid`. */
function reach(start: string, edges: Map<string, Edge[]>, avoid: string | undefined): Set<string> {
  const seen = new Set<string>();
  if (start === avoid) return seen;
  const queue = [start];
  seen.add(start);
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const { to } of edges.get(id) ?? []) {
      if (to === 'end' || to === avoid || seen.has(to)) continue;
      seen.add(to);
      queue.push(to);
    }
  }
  return seen;
}

/**
 * For each reachable step, the steps answered on every way to it (itself included: a step may branch on
 * its own answer). Computed in topological order, which exists because the caller checked for loops.
 */
function dominatorsOf(
  start: string,
  order: string[],
  edges: Map<string, Edge[]>,
  reachable: Set<string>,
): Map<string, Set<string>> {
  const preds = new Map<string, string[]>();
  for (const id of order) {
    if (!reachable.has(id)) continue;
    for (const { to } of edges.get(id) ?? []) if (to !== 'end') preds.set(to, [...(preds.get(to) ?? []), id]);
  }
  const topo: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    seen.add(id);
    for (const { to } of edges.get(id) ?? []) if (to !== 'end' && !seen.has(to)) visit(to);
    topo.push(id);
  };
  visit(start);
  topo.reverse();

  const dom = new Map<string, Set<string>>();
  for (const id of topo) {
    let common: Set<string> | undefined;
    for (const p of preds.get(id) ?? []) {
      const d = dom.get(p);
      if (d === undefined) continue;
      common = common === undefined ? new Set(d) : new Set([...common].filter((x) => d.has(x)));
    }
    dom.set(id, new Set([...(id === start ? [] : (common ?? [])), id]));
  }
  return dom;
}

function checkCondition(
  cond: Condition,
  field: string,
  stepId: string,
  byId: Map<string, ResolvedStep>,
  dominators: Map<string, Set<string>> | undefined,
  routing: Routing | undefined,
  at: (step: string, field: string, detail: string) => void,
): void {
  const target = byId.get(cond.step);
  if (target === undefined) {
    at(stepId, `${field}.step`, `no step "${cond.step}"`);
    return;
  }
  if (target.kind !== 'choice') {
    at(
      stepId,
      `${field}.step`,
      `step "${cond.step}" is a ${target.kind} step; conditions can only test choice steps`,
    );
    return;
  }
  const dom = dominators?.get(stepId);
  if (dom !== undefined && !dom.has(cond.step)) {
    at(stepId, `${field}.step`, `step "${cond.step}" is not always answered before this step`);
  }
  // Values from routing are unknown when routing itself is broken; its own errors cover that.
  if (target.options_from !== undefined && routing === undefined) return;
  const values = target.options.map((o) => o.value);
  const check = (value: string, where: string) => {
    if (!values.includes(value)) {
      at(stepId, where, `"${value}" is not an option of step "${cond.step}" (${values.join(', ')})`);
    }
  };
  if (cond.equals !== undefined) check(cond.equals, `${field}.equals`);
  cond.in?.forEach((v, i) => {
    check(v, `${field}.in.${i}`);
  });
}

/**
 * A submit flow has exactly one confirm step, every way to the end passes it, and it is the last step:
 * what the citizen confirms is exactly what is sent. Returns its id when there is exactly one.
 */
function checkConfirm(
  order: string[],
  byId: Map<string, ResolvedStep>,
  edges: Map<string, Edge[]>,
  start: string,
  reachable: Set<string>,
  graphWhole: boolean,
  at: (step: string | undefined, field: string | undefined, detail: string) => void,
): string | undefined {
  const confirms = order.filter((id) => byId.get(id)?.kind === 'confirm');
  const [confirm, ...extra] = confirms;
  if (confirm === undefined) {
    at(
      undefined,
      'steps',
      'a submit flow needs one confirm step, so the citizen sees the summary before sending',
    );
    return undefined;
  }
  for (const id of extra) at(id, 'kind', `a submit flow has one confirm step; "${confirm}" is already one`);
  if (!graphWhole) return confirm;
  if (!reachable.has(confirm)) {
    at(confirm, undefined, 'the confirm step can never be reached, so no report could ever be sent');
    return confirm;
  }
  for (const id of reach(start, edges, confirm)) {
    for (const edge of edges.get(id) ?? []) {
      if (edge.to === 'end')
        at(id, edge.field, `ends the flow without passing the confirm step "${confirm}"`);
    }
  }
  for (const edge of edges.get(confirm) ?? []) {
    if (edge.to !== 'end') {
      at(
        confirm,
        edge.field,
        `leads on to "${edge.to}"; the confirm step must be last, so what is confirmed is sent`,
      );
    }
  }
  return confirm;
}

/** A check_status flow asks for the tracking number exactly once (reachability is checked for every step). */
function checkTrackingStep(
  order: string[],
  byId: Map<string, ResolvedStep>,
  at: (step: string | undefined, field: string | undefined, detail: string) => void,
): void {
  const asks = order.filter((id) => {
    const s = byId.get(id);
    return s?.kind === 'text' && s.format === 'tracking_number';
  });
  if (asks.length === 0) {
    at(undefined, 'steps', 'a check_status flow needs a text step with `format: tracking_number`');
  }
  for (const id of asks.slice(1))
    at(id, 'format', `only one step may ask for the tracking number; "${asks[0]}" does`);
}

function conditionHolds(cond: Condition, answers: Record<string, Answer>): boolean {
  const answer = answers[cond.step];
  // A skipped or missing answer matches no condition: the flow takes `otherwise`.
  if (answer?.kind !== 'choice') return false;
  if (cond.equals !== undefined) return answer.value === cond.equals;
  return cond.in?.includes(answer.value) ?? false;
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

/**
 * Hashes the validated flow (defaults filled in, keys sorted), not the text: re-indenting, reordering
 * keys, quoting or commenting keeps the version, so conversations in progress are not disturbed by it.
 */
function versionOf(flow: FlowFile): string {
  return createHash('sha256').update(canonicalJson(flow)).digest('hex').slice(0, 12);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Triggers are matched the way citizens type them: any case, extra spaces. */
function normalizeTrigger(trigger: string): string {
  return trigger.trim().toLowerCase().replace(/\s+/g, ' ');
}

function known(ids: Iterable<string>): string {
  const list = [...ids];
  return list.length > 0 && list.length <= 20 ? ` (known: ${list.join(', ')})` : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
