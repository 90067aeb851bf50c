import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';

/** What removing jobs by id did. */
export interface JobsRemoved {
  /** Jobs found and removed, in whatever state they were (waiting, delayed, completed, failed). */
  removed: number;
  /**
   * Jobs a worker still held when the wait was over (BullMQ refuses to remove a locked job): left
   * to finish, their payload replaced by `scrub`'s, so what is kept afterwards holds none of it.
   */
  scrubbed: number;
}

export interface RemoveJobsOptions {
  /** How long to keep trying jobs a worker holds (usually done within a second or two); one wait for all queues. */
  waitForBusyMs?: number;
  /** Pause between tries. */
  retryEveryMs?: number;
}

/** A queue whose jobs are to be removed, with what a held job's payload becomes instead. */
export interface JobsToRemove {
  queue: Queue;
  ids: readonly string[];
  scrub: (data: unknown) => unknown;
}

/** Removes jobs by id from several queues; ids with no job are skipped. */
export async function removeJobs(
  targets: readonly JobsToRemove[],
  options: RemoveJobsOptions = {},
): Promise<JobsRemoved> {
  const deadline = Date.now() + (options.waitForBusyMs ?? 5000);
  const result: JobsRemoved = { removed: 0, scrubbed: 0 };
  let left = targets.map((t) => ({ ...t, ids: [...t.ids] }));
  for (;;) {
    const busy: typeof left = [];
    for (const target of left) {
      const held: string[] = [];
      for (const id of target.ids) {
        // `remove` answers 1 for an id with no job as well, so ask first: the count is reported.
        if ((await target.queue.getJobState(id)) === 'unknown') continue;
        if ((await target.queue.remove(id)) === 1) result.removed++;
        else held.push(id);
      }
      if (held.length > 0) busy.push({ ...target, ids: held });
    }
    left = busy;
    if (left.length === 0) return result;
    if (Date.now() >= deadline) break;
    await sleep(options.retryEveryMs ?? 250);
  }
  // Still held: a retry of such a job finds no address to use, and the kept job none to show.
  for (const { queue, ids, scrub } of left)
    for (const id of ids) {
      if ((await queue.remove(id)) === 1) {
        result.removed++;
        continue;
      }
      const job = await queue.getJob(id);
      if (!job) continue;
      await job.updateData(scrub(job.data));
      result.scrubbed++;
    }
  return result;
}
