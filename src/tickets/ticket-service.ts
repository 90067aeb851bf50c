import type { ResolveAttachments } from '../attachments/resolve-attachments.ts';
import type { Outbound } from '../engine/types.ts';
import { routeReport } from '../flows/routing.ts';
import type { Routing } from '../flows/schema.ts';
import type { NotificationJob, TicketJob } from '../queue/queues.ts';
import { notificationJobId } from '../queue/queues.ts';
import { REPORT_FIELDS, ticketFromSubmission } from './from-submission.ts';
import { assertTransition, type Status } from './lifecycle.ts';
import { createdNotice, statusNotice } from './notices.ts';
import type { Ticket, TicketEvent } from './ticket.ts';
import type { TicketStore } from './ticket-store.ts';
import { generateTrackingNumber } from './tracking-number.ts';

/** Puts a notification on the queue under a job id that makes it happen once. */
export type EnqueueNotification = (job: NotificationJob, jobId: string) => Promise<void>;

export interface TicketServiceDeps {
  store: TicketStore;
  /** The current routing (it changes when flows/routing.yaml is edited). */
  routing: () => Routing;
  enqueueNotification: EnqueueNotification;
  randomBytes: (n: number) => Uint8Array;
  /** Fetches and stores the report's files (a channel's file ids become files under DATA_DIR). */
  resolveAttachments: ResolveAttachments;
  now: () => Date;
}

/** Who is acting on a ticket. */
export interface Actor {
  kind: 'agency' | 'coordinator' | 'system' | 'reporter';
  id?: string;
}

/** The ticket use cases: create from a submission, change status, tell the reporter. */
export class TicketService {
  constructor(private readonly deps: TicketServiceDeps) {}

  agencyName(agencyId: string): string {
    return this.deps.routing().agencies.find((a) => a.id === agencyId)?.name ?? agencyId;
  }

  /**
   * Creates the one ticket of a submission and queues the reporter's confirmation. Safe to run any
   * number of times for the same job: the store refuses a second ticket for a submission, the
   * confirmation has a fixed job id, and a flag on the ticket records that it was queued.
   */
  async createFromJob(job: TicketJob): Promise<{ ticket: Ticket; created: boolean }> {
    const { submission, reporter } = job;
    const answers = submission.answers;
    const pick = (id: string) => {
      const a = answers[id];
      return a?.kind === 'choice' ? a.value : undefined;
    };
    const agencyId = routeReport(
      this.deps.routing(),
      pick(REPORT_FIELDS.category) ?? '',
      pick(REPORT_FIELDS.region),
    );
    // Files first: if a download fails the job is retried before any ticket exists.
    const existing = await this.deps.store.bySubmission(submission.submissionId);
    const media = answers[REPORT_FIELDS.attachments];
    const attachments =
      existing || media?.kind !== 'media' ? undefined : await this.deps.resolveAttachments(media.value);
    let trackingId = '';
    let created = false;
    for (let attempt = 0; ; attempt++) {
      if (attempt >= 5) throw new Error('could not draw a free tracking number in 5 attempts');
      const ticket = ticketFromSubmission(submission, reporter, {
        trackingId: generateTrackingNumber(this.deps.randomBytes(16)),
        agencyId,
        now: this.deps.now(),
        ...(attachments ? { attachments } : {}),
      });
      const firstEvent: TicketEvent = {
        seq: 1,
        at: ticket.createdAt,
        actor: { kind: 'system' },
        type: 'created',
        to: 'received',
        agencyId,
      };
      const result = await this.deps.store.create(ticket, firstEvent);
      if (result.result === 'taken') continue;
      trackingId = result.trackingId;
      created = result.result === 'created';
      break;
    }
    const stored = await this.deps.store.get(trackingId);
    if (!stored) throw new Error(`ticket ${trackingId} vanished right after creation`);
    let ticket = stored.ticket;
    if (!ticket.confirmationQueued) {
      await this.notifyReporter(
        ticket,
        notificationJobId(ticket.trackingId, 1),
        createdNotice(ticket, this.agencyName(ticket.agencyId), ticket.reporter.lang),
      );
      const updated = await this.deps.store.update(trackingId, (t) => ({
        ticket: { ...t, confirmationQueued: true },
        event: null,
      }));
      if (updated) ticket = updated.ticket;
    }
    return { ticket, created };
  }

  /**
   * Moves a ticket to `to` if the lifecycle allows it, records the event and tells the reporter.
   * @throws TransitionError when the transition is not allowed
   * @returns null when there is no such ticket
   */
  async changeStatus(
    trackingId: string,
    to: Status,
    note: string | undefined,
    actor: Actor,
  ): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    const at = this.deps.now().toISOString();
    const result = await this.deps.store.update(trackingId, (ticket) => {
      // Already there: a retried request (its answer was lost) changes nothing.
      if (ticket.status === to) return null;
      assertTransition(ticket.status, to, note);
      const event: Omit<TicketEvent, 'seq'> = { at, actor, type: 'status_changed', from: ticket.status, to };
      if (note?.trim()) event.note = note.trim();
      return { ticket: { ...ticket, status: to, updatedAt: at }, event };
    });
    if (!result) return null;
    // For a retry, the event that made the status is the one to announce: if the first attempt
    // stopped before queuing its notification, this queues it; if not, the job id makes it a no-op.
    const event =
      result.event ??
      (await this.deps.store.events(trackingId)).findLast((e) => e.type === 'status_changed' && e.to === to);
    if (!event) return null;
    const { ticket } = result;
    await this.notifyReporter(
      ticket,
      notificationJobId(trackingId, event.seq),
      statusNotice(ticket, to, event.note, ticket.reporter.lang),
    );
    return { ticket, event };
  }

  /** Records that the reporter's chat cannot be reached any more; recorded once. */
  async recordUnreachable(trackingId: string, reason: string): Promise<void> {
    const at = this.deps.now().toISOString();
    await this.deps.store.update(trackingId, (ticket) =>
      ticket.reporterUnreachable
        ? null
        : {
            ticket: { ...ticket, reporterUnreachable: true, updatedAt: at },
            event: { at, actor: { kind: 'system' }, type: 'delivery_failed', note: reason },
          },
    );
  }

  private async notifyReporter(ticket: Ticket, jobId: string, message: Outbound): Promise<void> {
    if (ticket.reporterUnreachable) return;
    await this.deps.enqueueNotification(
      {
        channel: ticket.reporter.channel,
        chatId: ticket.reporter.chatId,
        messages: [message],
        trackingId: ticket.trackingId,
      },
      jobId,
    );
  }
}
