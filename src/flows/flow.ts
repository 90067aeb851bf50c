// The shape of a loaded flow: what the loader produces and the engine runs. Types only (plus one type
// guard), so the engine can depend on them without depending on the file-reading loader.
import type { Localized } from '../engine/types.ts';
import type { ChoiceStep, FlowFile, Option, Routing, Step } from './schema.ts';

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
