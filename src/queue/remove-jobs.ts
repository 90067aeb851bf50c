import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';

/** What removing jobs by id did. */
export interface JobsRemoved {
  /** Jobs found and removed, in whatever state they were (waiting, delayed, completed, failed). */
  removed: number;
  /** Jobs a worker still held when the wait was over: BullMQ refuses to remove a locked job. */
  busy: number;
}

export interface RemoveJobsOptions {
  /** How long to keep trying a job a worker holds (it is usually done within a second or two). */
  waitForBusyMs?: number;
  /** Pause between tries. */
  retryEveryMs?: number;
}

/** Removes the jobs with these ids from a queue; ids with no job are skipped. */
export async function removeJobs(
  queue: Queue,
  ids: readonly string[],
  options: RemoveJobsOptions = {},
): Promise<JobsRemoved> {
  const deadline = Date.now() + (options.waitForBusyMs ?? 5000);
  let removed = 0;
  let left = [...ids];
  for (;;) {
    const busy: string[] = [];
    for (const id of left) {
      // `remove` answers 1 for an id with no job as well, so ask first: the count is reported.
      if ((await queue.getJobState(id)) === 'unknown') continue;
      if ((await queue.remove(id)) === 1) removed++;
      else busy.push(id);
    }
    left = busy;
    if (left.length === 0 || Date.now() >= deadline) return { removed, busy: left.length };
    await sleep(options.retryEveryMs ?? 250);
  }
}

/** `removeJobs` on several queues, e.g. `{ tickets: [ids], notifications: [ids] }`, counted together. */
export async function removeJobsByQueue<K extends string>(
  queues: Record<K, Queue>,
  ids: Record<K, readonly string[]>,
  options: RemoveJobsOptions = {},
): Promise<JobsRemoved> {
  const total: JobsRemoved = { removed: 0, busy: 0 };
  for (const name of Object.keys(queues) as K[]) {
    const { removed, busy } = await removeJobs(queues[name], ids[name], options);
    total.removed += removed;
    total.busy += busy;
  }
  return total;
}
