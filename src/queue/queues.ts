import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import { reporterSchema } from '../tickets/ticket.ts';
import type { WebhookJob } from '../webhooks/webhook-job.ts';

/** Queue names: a contract with other processes and deployments. */
export const QUEUE = {
  tickets: 'tickets',
  notifications: 'notifications',
  housekeeping: 'housekeeping',
  /** Signed deliveries of ticket events to agencies' webhooks. */
  webhooks: 'webhooks',
} as const;

const localized = z.enum(['id', 'en']);
const answerSchema = z.union([
  z.object({ kind: z.literal('choice'), value: z.string() }),
  z.object({ kind: z.literal('text'), value: z.string() }),
  z.object({ kind: z.literal('date'), value: z.string() }),
  z.object({
    kind: z.literal('location'),
    value: z.object({
      latitude: z.number().optional(),
      longitude: z.number().optional(),
      address: z.string().optional(),
    }),
  }),
  z.object({
    kind: z.literal('media'),
    value: z.array(
      z.object({
        ref: z.string(),
        mimeType: z.string(),
        size: z.number().optional(),
        fileName: z.string().optional(),
      }),
    ),
  }),
  z.object({ kind: z.literal('skipped') }),
]);

/** A `tickets` job: one confirmed report and where its reporter can be reached. */
export const ticketJobSchema = z.object({
  submission: z.object({
    submissionId: z.string().regex(/^sub_[A-Za-z0-9_-]{8,80}$/),
    flowId: z.string(),
    flowVersion: z.string(),
    lang: localized,
    answers: z.record(z.string(), answerSchema),
    submittedAt: z.string(),
  }),
  reporter: reporterSchema,
});
export type TicketJob = z.infer<typeof ticketJobSchema>;

const outboundSchema = z.object({
  text: z.string(),
  choices: z.array(z.object({ payload: z.string(), label: z.string() })).optional(),
  requestLocation: z.boolean().optional(),
});

/** A `notifications` job: messages for one chat, and the ticket they are about (for failure records). */
export const notificationJobSchema = z.object({
  channel: z.string(),
  chatId: z.string(),
  messages: z.array(outboundSchema).min(1),
  trackingId: z.string().optional(),
  /** The ticket event announced (`created`, `status_changed`, `reply`, `rerouted`) and the status then. */
  event: z.string().optional(),
  status: z.string().optional(),
});
export type NotificationJob = z.infer<typeof notificationJobSchema>;

/**
 * Retries with exponential backoff (2 s, 4 s, 8 s … about 9 hours in all); completed jobs are kept
 * for a week so a job id seen again in that time is recognised and not run twice; failed jobs are
 * kept for inspection.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 15,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
  removeOnFail: false,
};

/** The producers' side of the queues. */
export interface Queues {
  tickets: Queue<TicketJob>;
  notifications: Queue<NotificationJob>;
  housekeeping: Queue;
  webhooks: Queue<WebhookJob>;
  close(): Promise<void>;
}

/** Opens the queues on a connection, under the deployment's key prefix. */
export function openQueues(connection: ConnectionOptions, prefix: string): Queues {
  const options = { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS };
  const tickets = new Queue<TicketJob>(QUEUE.tickets, options);
  const notifications = new Queue<NotificationJob>(QUEUE.notifications, options);
  const housekeeping = new Queue(QUEUE.housekeeping, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 100 },
  });
  const webhooks = new Queue<WebhookJob>(QUEUE.webhooks, options);
  return {
    tickets,
    notifications,
    housekeeping,
    webhooks,
    async close() {
      await Promise.all([tickets.close(), notifications.close(), housekeeping.close(), webhooks.close()]);
    },
  };
}

/**
 * The job id of a submission's ticket job. Derived from the submission id, so enqueuing the same
 * submission twice (a double "Kirim", a retried turn) adds one job.
 */
export function ticketJobId(submissionId: string): string {
  return `ticket-${submissionId}`;
}

/** The job id of a notification about one ticket event: the same event is never announced twice. */
export function notificationJobId(trackingId: string, eventSeq: number): string {
  return `notify-${trackingId}-${eventSeq}`;
}
