import { type FSWatcher, watch } from 'node:fs';
import { type FlowError, type FlowSet, validateFlowSet } from './loader.ts';

export interface FlowWatcherOptions {
  dir: string;
  /** A new, valid set of flows replaced the old one. */
  onReload: (set: FlowSet) => void;
  /** The files changed but do not validate: the running flows stay as they were. */
  onInvalid: (errors: FlowError[]) => void;
  /** Quiet time after the last change before reloading, so an editor's several writes load once. */
  debounceMs?: number;
}

/**
 * Reloads the flows when a file in their directory changes, so operators can edit a flow without a
 * restart. A change that does not validate is refused and logged; people mid-report keep talking to
 * the last good version. Conversations already under way carry on where their step still exists
 * (see the engine's `currentStep`).
 *
 * @returns a function that stops watching
 */
export function watchFlows(options: FlowWatcherOptions): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const reload = () => {
    running = running.then(async () => {
      const result = await validateFlowSet(options.dir);
      if (result.ok) options.onReload(result.set);
      else options.onInvalid(result.errors);
    });
  };
  const watcher: FSWatcher = watch(options.dir, (_event, file) => {
    if (file && !String(file).endsWith('.yaml')) return;
    clearTimeout(timer);
    timer = setTimeout(reload, options.debounceMs ?? 300);
  });
  watcher.on('error', () => undefined);
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
