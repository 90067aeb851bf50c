import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import { type ChannelRegistry, PermanentDeliveryError } from '../channels/channel.ts';
import type { Logger } from '../log/logger.ts';
import { hashId } from '../log/logger.ts';
import { OPEN311_CHANNEL } from '../open311/open311-submission.ts';
import type { TicketService } from '../tickets/ticket-service.ts';
import { type WebhookDelivery, WebhookGoneError } from '../webhooks/webhook-delivery.ts';
import { type WebhookJob, webhookJobSchema } from '../webhooks/webhook-job.ts';
import {
  type NotificationJob,
  notificationJobSchema,
  QUEUE,
  type TicketJob,
  ticketJobSchema,
} from './queues.ts';

export interface WorkerDeps {
  connection: ConnectionOptions;
  prefix: string;
  service: TicketService;
  channels: ChannelRegistry;
  logger: Logger;
  /** Runs the periodic housekeeping (idle reminders and expiry, auto-close, the attachment sweep). */
  housekeeping: (now: Date) => Promise<void>;
  /** Sends agency webhooks; absent: this process does not work the `webhooks` queue. */
  webhooks?: WebhookDelivery;
  concurrency?: { tickets?: number; notifications?: number; webhooks?: number };
  /** A job's lock and the stalled-job check's interval (JOB_LOCK_SECONDS); BullMQ's 30 s when absent. */
  lockMs?: number;
  /** Told when a job fails for good (a permanent error, or its last retry): metrics count these. */
  onGaveUp?: (queue: string) => void;
}

/** The running workers of this process. */
export interface Workers {
  all: Worker[];
  /** True while every worker is connected and running. */
  running(): boolean;
  close(): Promise<void>;
}

/** A payload that does not parse will not parse on a retry either. */
function parseOrFail<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } },
  job: Job,
): T {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(`invalid ${job.queueName} payload: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * The BullMQ workers. Each processor is thin: parse the payload with zod, call one use case,
 * classify the error (permanent → `UnrecoverableError`, no retry; anything else → retried with
 * exponential backoff by the queue's job options).
 */
export function startWorkers(deps: WorkerDeps): Workers {
  const base = {
    connection: deps.connection,
    prefix: deps.prefix,
    ...(deps.lockMs ? { lockDuration: deps.lockMs, stalledInterval: deps.lockMs } : {}),
  };
  const log = deps.logger;

  const tickets = new Worker<TicketJob>(
    QUEUE.tickets,
    async (job) => {
      const data = parseOrFail(ticketJobSchema, job);
      const { ticket, created } = await deps.service.createFromJob(data);
      log.info(
        { trackingId: ticket.trackingId, agencyId: ticket.agencyId, created, attempt: job.attemptsMade + 1 },
        created ? 'ticket created' : 'ticket already existed',
      );
      return { trackingId: ticket.trackingId };
    },
    { ...base, concurrency: deps.concurrency?.tickets ?? 8 },
  );

  const notifications = new Worker<NotificationJob>(
    QUEUE.notifications,
    async (job) => {
      const data = parseOrFail(notificationJobSchema, job);
      // An Open311 report came from a client system, not a chat: there is no one to send to.
      if (data.channel === OPEN311_CHANNEL) return { skipped: 'no chat' };
      // The reporter asked to delete their data after this notice was queued: not sent, and the
      // address and text are wiped from the job, which BullMQ keeps for a while once done.
      if (data.trackingId && !(await deps.service.mayNotifyReporter(data.trackingId))) {
        await job.updateData({ ...data, chatId: '', messages: [] });
        log.info({ trackingId: data.trackingId }, 'notice dropped: the reporter’s data was deleted');
        return { skipped: 'reporter erased' };
      }
      const adapter = deps.channels.get(data.channel);
      // A channel not configured in this process may be configured in another: retry later.
      if (!adapter) throw new Error(`channel "${data.channel}" is not available in this process`);
      try {
        const { trackingId, event, status } = data;
        await adapter.send(data.chatId, data.messages, {
          ...(trackingId ? { trackingId } : {}),
          ...(event ? { event } : {}),
          ...(status ? { status } : {}),
        });
      } catch (err) {
        if (err instanceof PermanentDeliveryError) {
          log.warn(
            {
              chat: hashId(`${data.channel}:${data.chatId}`),
              trackingId: data.trackingId,
              reason: err.reason,
            },
            'reporter unreachable',
          );
          // A gone chat is told nothing more; a failure of this message only is just recorded.
          if (data.trackingId && err.reporterGone)
            await deps.service.recordUnreachable(data.trackingId, `${err.channel}: ${err.reason}`);
          else if (data.trackingId)
            await deps.service.recordDeliveryFailed(data.trackingId, `${err.channel}: ${err.reason}`);
          throw new UnrecoverableError(err.message);
        }
        throw err;
      }
    },
    { ...base, concurrency: deps.concurrency?.notifications ?? 16 },
  );

  const housekeeping = new Worker(QUEUE.housekeeping, async () => deps.housekeeping(new Date()), {
    ...base,
    concurrency: 1,
  });

  const all = [tickets, notifications, housekeeping];
  const delivery = deps.webhooks;
  if (delivery) {
    const webhooks = new Worker<WebhookJob>(
      QUEUE.webhooks,
      async (job) => {
        const data = parseOrFail(webhookJobSchema, job);
        try {
          return await delivery.deliver(data, job.attemptsMade + 1);
        } catch (err) {
          if (err instanceof WebhookGoneError) throw new UnrecoverableError(err.message);
          throw err;
        }
      },
      { ...base, concurrency: deps.concurrency?.webhooks ?? 8 },
    );
    all.push(webhooks);
  }
  for (const worker of all) {
    worker.on('failed', (job, err) => {
      log.warn(
        { queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade, error: err.message },
        'job failed',
      );
      // `failed` fires for every attempt; only a job with no retry left has finished.
      if (job?.finishedOn) deps.onGaveUp?.(worker.name);
    });
    worker.on('error', (err) => log.error({ queue: worker.name, error: err.message }, 'worker error'));
  }
  return {
    all,
    running: () => all.every((w) => w.isRunning()),
    async close() {
      // Worker.close() waits for running jobs to finish: nothing half-done at shutdown.
      await Promise.all(all.map((w) => w.close()));
    },
  };
}
