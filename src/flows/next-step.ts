// Which step comes next in a running conversation. Pure, and free of I/O, because the engine calls it
// on every turn and must not depend on the module that reads flow files.
import type { Answer } from '../engine/types.ts';
import type { Flow } from './flow.ts';
import type { Condition } from './schema.ts';

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

function conditionHolds(cond: Condition, answers: Record<string, Answer>): boolean {
  const answer = answers[cond.step];
  // A skipped or missing answer matches no condition: the flow takes `otherwise`.
  if (answer?.kind !== 'choice') return false;
  if (cond.equals !== undefined) return answer.value === cond.equals;
  return cond.in?.includes(answer.value) ?? false;
}
