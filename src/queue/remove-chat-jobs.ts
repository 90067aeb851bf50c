import type { Queue } from 'bullmq';
import { ticketJobId } from './queues.ts';
import { type JobsRemoved, type RemoveJobsOptions, removeJobs } from './remove-jobs.ts';

/** The ids of the jobs that carry one chat's address, by queue (see forget-chat.ts). */
export interface ChatJobIds {
  tickets: string[];
  notifications: string[];
}

type Payload = Record<string, unknown>;

/** A ticket job without the reporter's address (the report itself is the case, which stays). */
function ticketJobWithoutAddress(data: unknown): unknown {
  const job = data as Payload;
  return { ...job, reporter: { ...(job.reporter as Payload), chatId: '' } };
}

/** A notice without its chat and its text. */
function noticeWithoutChat(data: unknown): unknown {
  return { ...(data as Payload), chatId: '', messages: [] };
}

/**
 * Removes a chat's ticket job and notices; one a worker holds past the wait keeps running with its
 * address and text wiped from the stored job (a retry of it then fails on the empty payload).
 */
export function removeChatJobs(
  queues: { tickets: Queue; notifications: Queue },
  ids: ChatJobIds,
  options?: RemoveJobsOptions,
): Promise<JobsRemoved> {
  return removeJobs(
    [
      { queue: queues.tickets, ids: ids.tickets, scrub: ticketJobWithoutAddress },
      { queue: queues.notifications, ids: ids.notifications, scrub: noticeWithoutChat },
    ],
    options,
  );
}

/** What a deletion request needs of the queues (`ForgetChatDeps.jobs`). */
export function chatJobsIn(queues: { tickets: Queue; notifications: Queue }): {
  ticketJobFailed(submissionId: string): Promise<boolean>;
  remove(ids: ChatJobIds): Promise<JobsRemoved>;
} {
  return {
    ticketJobFailed: async (submissionId) =>
      (await queues.tickets.getJobState(ticketJobId(submissionId))) === 'failed',
    remove: (ids) => removeChatJobs(queues, ids),
  };
}
