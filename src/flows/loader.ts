import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { FlowError, FlowSetError, known } from './errors.ts';
import type { Flow, FlowSet } from './flow.ts';
import { checkFlowGraph } from './graph.ts';
import { type FlowFile, flowSchema, type Routing, routingSchema } from './schema.ts';

/**
 * Loads `flows/*.yaml` and `flows/routing.yaml`, validates them in two passes (shape with zod, then the
 * graph and the cross-references), and turns each flow into the ready-to-run form the engine uses.
 * Everything an operator can get wrong is reported at once, each problem naming file, step and field,
 * because the person fixing a flow file is not the person who wrote this code.
 *
 * This module does the reading and the orchestration; the pure parts live beside it (`flow.ts`,
 * `graph.ts`, `next-step.ts`, `routing.ts`, `errors.ts`) so the engine never depends on file I/O.
 */

// Re-exported so that everything imported from the loader before the split still is.
export { FlowError, FlowSetError } from './errors.ts';
export {
  type Flow,
  type FlowSet,
  isResolvedChoice,
  type ResolvedChoiceStep,
  type ResolvedStep,
} from './flow.ts';
export { nextStepId } from './next-step.ts';
export { routeReport } from './routing.ts';

/** The name of the routing file inside the flows directory; every other `*.yaml` there is a flow. */
export const ROUTING_FILE = 'routing.yaml';

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
// One flow: pass 1 (shape), then pass 2 (the graph, in graph.ts), then what only the loader knows

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
  const graph = checkFlowGraph(file, flowFile, routing, errors);

  const triggers = new Set<string>();
  flowFile.triggers.forEach((t, i) => {
    const key = normalizeTrigger(t);
    if (triggers.has(key)) {
      errors.push(new FlowError(file, `trigger "${t}" is listed twice`, { field: `triggers.${i}` }));
    }
    triggers.add(key);
  });

  if (graph === undefined || errors.length > before) return undefined;
  return {
    id: flowFile.id,
    version: versionOf(flowFile),
    file,
    onFinish: flowFile.on_finish,
    triggers: flowFile.triggers,
    title: flowFile.title,
    done: flowFile.done,
    ...graph,
  };
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
