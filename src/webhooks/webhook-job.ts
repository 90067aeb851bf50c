import { z } from 'zod';

/**
 * A `webhooks` job: one event for one agency. The body is kept as the exact text to send, so every
 * attempt sends the same bytes (only the signature's timestamp is new each time).
 */
export const webhookJobSchema = z.object({
  agencyId: z.string().min(1),
  /** `<trackingId>.<event seq>`: receivers de-duplicate on it. */
  eventId: z.string().min(1),
  /** `ticket.created`, `ticket.status_changed`, `ticket.reply`, … */
  eventType: z.string().regex(/^ticket\.[a-z_]+$/),
  body: z.string().min(2),
});
export type WebhookJob = z.infer<typeof webhookJobSchema>;

/**
 * The job id of one event's delivery to one agency: adding the same event again (a retried request,
 * a re-run ticket job) is a no-op, so a receiver gets each event once unless a delivery is retried.
 * BullMQ job ids may not contain ':', hence dashes.
 */
export function webhookJobId(trackingId: string, eventSeq: number, agencyId: string): string {
  return `webhook-${trackingId}-${eventSeq}-${agencyId}`;
}

/**
 * Retries for a delivery: 14 attempts with exponential backoff from `retryDelayMs` (10 s by
 * default: 10 s, 20 s, 40 s … about 23 hours in all); a failed delivery is kept for inspection
 * (`aduan queues`).
 */
export function webhookJobOptions(retryDelayMs: number) {
  return {
    attempts: 14,
    backoff: { type: 'exponential', delay: retryDelayMs },
    removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
    removeOnFail: false,
  } as const;
}
