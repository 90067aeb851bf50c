import { type Ticket, type TicketEvent, toAgencyView } from '../tickets/ticket.ts';
import { type WebhookJob, webhookJobId } from './webhook-job.ts';
import type { WebhookSettings } from './webhook-settings.ts';

/** Puts a delivery on the `webhooks` queue under its job id. */
export type EnqueueWebhook = (job: WebhookJob, jobId: string) => Promise<void>;

/**
 * The body an agency's webhook receives: the event and the ticket as the agency API shows it
 * (`toAgencyView`: an anonymous report never names its reporter), without the history, which the
 * receiver builds from the events themselves.
 *
 * @example
 * { "id": "ADU-7KQ2-M9XF.2", "type": "ticket.status_changed", "createdAt": "2026-03-02T03:00:00.000Z",
 *   "agencyId": "sleman-dinkes", "event": { "seq": 2, "type": "status_changed", "from": "received", … },
 *   "ticket": { "trackingId": "ADU-7KQ2-M9XF", "status": "verified", … } }
 */
export function webhookPayload(ticket: Ticket, event: TicketEvent, agencyId: string) {
  const { history: _history, ...view } = toAgencyView(ticket, []);
  return {
    id: eventIdOf(ticket, event),
    type: eventTypeOf(event),
    createdAt: event.at,
    agencyId,
    event,
    ticket: view,
  };
}

/** `<trackingId>.<seq>`: stable for one event, whatever the attempt. */
export function eventIdOf(ticket: Ticket, event: TicketEvent): string {
  return `${ticket.trackingId}.${event.seq}`;
}

/** `ticket.<event type>`, e.g. `ticket.created`, `ticket.status_changed`, `ticket.reporter_message`. */
export function eventTypeOf(event: TicketEvent): string {
  return `ticket.${event.type}`;
}

/**
 * `TicketServiceDeps.publishEvent` for agency webhooks: queues a signed delivery of each event to
 * the ticket's agency, if it has a webhook — and for a re-route, to the agency it left as well, so
 * that agency's system learns the ticket is no longer theirs. Signing happens at delivery time, so
 * each attempt carries a fresh timestamp.
 */
export function createWebhookPublisher(deps: {
  settings: WebhookSettings;
  enqueue: EnqueueWebhook;
}): (ticket: Ticket, event: TicketEvent) => Promise<void> {
  return async (ticket, event) => {
    const recipients = new Set([ticket.agencyId]);
    if (event.type === 'rerouted' && event.fromAgencyId) recipients.add(event.fromAgencyId);
    for (const agencyId of recipients) {
      // Events are not queued for agencies without a webhook: configuring one later starts from then.
      if (!(await deps.settings.get(agencyId))) continue;
      const job: WebhookJob = {
        agencyId,
        eventId: eventIdOf(ticket, event),
        eventType: eventTypeOf(event),
        body: JSON.stringify(webhookPayload(ticket, event, agencyId)),
      };
      await deps.enqueue(job, webhookJobId(ticket.trackingId, event.seq, agencyId));
    }
  };
}
