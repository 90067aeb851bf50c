// The flow layer's error classes, and the wording they share. Kept apart from the loader so that the
// pure graph checks can report problems without depending on a module that reads files.

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

/**
 * ` (known: a, b, c)` to append to an "unknown id" message, so the fix is in the message; empty when
 * there is nothing to list or the list is too long to help.
 */
export function known(ids: Iterable<string>): string {
  const list = [...ids];
  return list.length > 0 && list.length <= 20 ? ` (known: ${list.join(', ')})` : '';
}
