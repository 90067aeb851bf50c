// Pass 2 of flow validation: one flow's step graph and the references inside it (next, conditions,
// options_from), checked after zod has vouched for the shape. Pure, so it runs the same for the loader,
// `aduan flows check` and tests, and the file reading stays in the loader.
import { FlowError, known } from './errors.ts';
import type { Flow, ResolvedStep } from './flow.ts';
import type { Condition, FlowFile, Option, Routing, Step } from './schema.ts';

/** The parts of a `Flow` that come from its steps: what pass 2 produces once the graph is sound. */
export type FlowGraph = Pick<Flow, 'steps' | 'stepsById' | 'start' | 'order'>;

/** A way out of a step: the target (a step id or `end`) and the field that says so, for messages. */
interface Edge {
  to: string;
  field: string;
}

/**
 * Checks the steps of a flow that passed the shape check: unique ids, every `next` naming a step, no loops,
 * conditions that test a choice step always answered before, the confirm or tracking-number step the flow's
 * `on_finish` needs, every step reachable; and resolves `options_from` against `routing`.
 *
 * @returns the graph, or undefined when a problem was found (each one pushed onto `errors`)
 */
export function checkFlowGraph(
  file: string,
  flowFile: FlowFile,
  routing: Routing | undefined,
  errors: FlowError[],
): FlowGraph | undefined {
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

  if (errors.length > before) return undefined;
  return { steps, stepsById: byId, start, order };
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
