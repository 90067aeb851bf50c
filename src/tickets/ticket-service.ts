import type { ResolveAttachments } from '../attachments/resolve-attachments.ts';
import { ratingPayload } from '../engine/follow-up.ts';
import { t } from '../engine/messages.ts';
import type { Choice, Lang, Outbound } from '../engine/types.ts';
import { routeReport } from '../flows/routing.ts';
import type { Routing } from '../flows/schema.ts';
import type { NotificationJob, TicketJob } from '../queue/queues.ts';
import { notificationJobId } from '../queue/queues.ts';
import { REPORT_FIELDS, ticketFromSubmission } from './from-submission.ts';
import { assertTransition, type Status } from './lifecycle.ts';
import { createdNotice, replyNotice, reroutedNotice, statusNotice } from './notices.ts';
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
  /** The reporter was asked to rate a resolved report: their chat should take a typed 1–5 as the answer. */
  onRatingAsked?: (ticket: Ticket) => Promise<void>;
  /** Told of every recorded event (agency webhooks subscribe here); failures are the subscriber's to retry. */
  publishEvent?: (ticket: Ticket, event: TicketEvent) => Promise<void>;
}

/** A re-route to an agency that routing.yaml does not know. */
export class UnknownAgencyError extends Error {
  constructor(readonly agencyId: string) {
    super(`Unknown agency "${agencyId}".`);
    this.name = 'UnknownAgencyError';
  }
}

/**
 * `agencyId`: change the ticket only if it is still this agency's. An agency's write is checked
 * against its scope before it is made, but a coordinator may re-route the ticket in between (and a
 * conflicting update re-runs the change on the ticket as re-read): without this, agency A's reply
 * would reach the reporter under agency B's name. Checked inside the versioned update; a ticket of
 * another agency changes nothing and the call answers null, as for no ticket.
 */
export interface AgencyGuard {
  agencyId?: string;
}

function notTheAgencys(ticket: Ticket, guard: AgencyGuard): boolean {
  return guard.agencyId !== undefined && ticket.agencyId !== guard.agencyId;
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
    // Files first: if a download fails the job is retried before any ticket exists. Only a report
    // with files asks whether its ticket exists already (a re-run must not fetch them again); for
    // the rest the create script below answers that, one round trip fewer per ticket.
    const media = answers[REPORT_FIELDS.attachments];
    const attachments =
      media?.kind !== 'media' || (await this.deps.store.bySubmission(submission.submissionId))
        ? undefined
        : await this.deps.resolveAttachments(media.value);
    let made: { ticket: Ticket; event: TicketEvent } | null = null;
    let existingId: string | null = null;
    for (let attempt = 0; !made && !existingId; attempt++) {
      if (attempt >= 5) throw new Error('could not draw a free tracking number in 5 attempts');
      const ticket = ticketFromSubmission(submission, reporter, {
        trackingId: generateTrackingNumber(this.deps.randomBytes(16)),
        agencyId,
        now: this.deps.now(),
        ...(attachments ? { attachments } : {}),
      });
      const event: TicketEvent = {
        seq: 1,
        at: ticket.createdAt,
        actor: { kind: 'system' },
        type: 'created',
        to: 'received',
        agencyId,
      };
      const result = await this.deps.store.create(ticket, event);
      if (result.result === 'created') made = { ticket, event };
      else if (result.result === 'exists') existingId = result.trackingId;
    }
    // A job run again (after a crash, or twice) finds its ticket: read it back rather than make another.
    const stored = made ?? (existingId ? await this.readCreated(existingId) : null);
    if (!stored) throw new Error('ticket vanished right after creation');
    const { ticket, event } = stored;
    // Queued on every run: the job id (ticket + event 1) makes a second one a no-op while the first is
    // kept (a week), and a run that stopped before queuing gets it queued now.
    await this.notifyReporter(
      ticket,
      'created',
      notificationJobId(ticket.trackingId, 1),
      createdNotice(ticket, this.agencyName(ticket.agencyId), ticket.reporter.lang),
    );
    // Published on every run too, for the same reason (the webhook job id is ticket + event).
    await this.publish(ticket, event);
    return { ticket, created: made !== null };
  }

  private async readCreated(trackingId: string): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    const [stored, events] = await Promise.all([
      this.deps.store.get(trackingId),
      this.deps.store.events(trackingId),
    ]);
    const event = events[0];
    return stored && event ? { ticket: stored.ticket, event } : null;
  }

  /**
   * The agency answers the reporter: recorded, and relayed to the reporter's chat (in the name of the
   * ticket's agency). `agencyId`: see {@link AgencyGuard}.
   * @returns null when there is no such ticket, or it is not that agency's (nothing recorded or sent)
   */
  async reply(
    trackingId: string,
    message: string,
    actor: Actor,
    options: AgencyGuard = {},
  ): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    const result = await this.record(trackingId, { type: 'reply', note: message }, actor, options);
    if (!result) return null;
    const { ticket, event } = result;
    await this.notifyReporter(
      ticket,
      'reply',
      notificationJobId(trackingId, event.seq),
      replyNotice(ticket, this.agencyName(ticket.agencyId), message, ticket.reporter.lang),
    );
    return result;
  }

  /**
   * An internal note: recorded in the history, never shown to the reporter. `agencyId`: see
   * {@link AgencyGuard}.
   * @returns null when there is no such ticket, or it is not that agency's (nothing recorded)
   */
  note(
    trackingId: string,
    note: string,
    actor: Actor,
    options: AgencyGuard = {},
  ): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    return this.record(trackingId, { type: 'note', note }, actor, options);
  }

  /** Something the reporter added to their report from their chat. */
  reporterMessage(
    trackingId: string,
    message: string,
  ): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    return this.record(trackingId, { type: 'reporter_message', note: message }, { kind: 'reporter' });
  }

  /**
   * Hands the ticket to another agency: the coordinator's disposisi, or the agency's own "bukan
   * wewenang" (actor kind `agency`, with its reason as the note). The ticket is dispatched to the new
   * agency, the event records the actor, both agencies and the note, and the reporter is told the new
   * agency's name only (never the note: it is written for the agencies and the coordinator).
   * `fromAgencyId`: move it only if it is still that agency's (an agency passes on its own tickets,
   * and a coordinator may have moved it since the agency looked); otherwise null, as for no ticket.
   * @throws UnknownAgencyError, TransitionError (a closed or archived ticket cannot move)
   */
  async reroute(
    trackingId: string,
    agencyId: string,
    note: string | undefined,
    actor: Actor,
    options: { fromAgencyId?: string } = {},
  ): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    if (!this.deps.routing().agencies.some((a) => a.id === agencyId)) throw new UnknownAgencyError(agencyId);
    const at = this.deps.now().toISOString();
    let notTheirs = false;
    const result = await this.deps.store.update(trackingId, (ticket) => {
      notTheirs = options.fromAgencyId !== undefined && ticket.agencyId !== options.fromAgencyId;
      if (notTheirs || ticket.agencyId === agencyId) return null;
      if (ticket.status === 'closed' || ticket.status === 'archived')
        assertTransition(ticket.status, 'dispatched', note);
      const event: Omit<TicketEvent, 'seq'> = {
        at,
        actor,
        type: 'rerouted',
        from: ticket.status,
        to: 'dispatched',
        agencyId,
        fromAgencyId: ticket.agencyId,
      };
      if (note?.trim()) event.note = note.trim();
      return { ticket: { ...ticket, agencyId, status: 'dispatched', updatedAt: at }, event };
    });
    if (!result || notTheirs) return null;
    if (!result.event) {
      const last = (await this.deps.store.events(trackingId)).findLast(
        (e) => e.type === 'rerouted' && e.agencyId === agencyId,
      );
      return last ? { ticket: result.ticket, event: last } : null;
    }
    const { ticket, event } = result;
    await this.notifyReporter(
      ticket,
      'rerouted',
      notificationJobId(trackingId, event.seq),
      reroutedNotice(ticket, this.agencyName(agencyId), ticket.reporter.lang),
    );
    await this.publish(ticket, event);
    return { ticket, event };
  }

  /** Records an event that does not change the status. */
  private async record(
    trackingId: string,
    fields: Pick<TicketEvent, 'type' | 'note'>,
    actor: Actor,
    options: AgencyGuard = {},
  ): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    const at = this.deps.now().toISOString();
    const result = await this.deps.store.update(trackingId, (ticket) =>
      notTheAgencys(ticket, options)
        ? null
        : { ticket: { ...ticket, updatedAt: at }, event: { at, actor, ...fields } },
    );
    if (!result?.event) return null;
    await this.publish(result.ticket, result.event);
    return { ticket: result.ticket, event: result.event };
  }

  private async publish(ticket: Ticket, event: TicketEvent | undefined): Promise<void> {
    if (event && this.deps.publishEvent) await this.deps.publishEvent(ticket, event);
  }

  /**
   * Moves a ticket to `to` if the lifecycle allows it, records the event and tells the reporter.
   * `agencyId`: see {@link AgencyGuard}.
   * @throws TransitionError when the transition is not allowed
   * @returns null when there is no such ticket, or it is not that agency's (nothing recorded or sent)
   */
  async changeStatus(
    trackingId: string,
    to: Status,
    note: string | undefined,
    actor: Actor,
    options: { rating?: number } & AgencyGuard = {},
  ): Promise<{ ticket: Ticket; event: TicketEvent } | null> {
    const at = this.deps.now().toISOString();
    let notTheirs = false;
    const result = await this.deps.store.update(trackingId, (ticket) => {
      // Decided on the ticket as it is written (an update after a conflict re-reads it), not as it was checked.
      notTheirs = notTheAgencys(ticket, options);
      if (notTheirs) return null;
      // Already there: a retried request (its answer was lost) changes nothing.
      if (ticket.status === to) return null;
      assertTransition(ticket.status, to, note);
      const event: Omit<TicketEvent, 'seq'> = { at, actor, type: 'status_changed', from: ticket.status, to };
      if (note?.trim()) event.note = note.trim();
      const changed: Ticket = { ...ticket, status: to, updatedAt: at };
      if (options.rating !== undefined) changed.rating = options.rating;
      return { ticket: changed, event };
    });
    if (!result || notTheirs) return null;
    // For a retry, the event that made the status is the one to announce: if the first attempt
    // stopped before queuing its notification, this queues it; if not, the job id makes it a no-op.
    const event =
      result.event ??
      (await this.deps.store.events(trackingId)).findLast((e) => e.type === 'status_changed' && e.to === to);
    if (!event) return null;
    const { ticket } = result;
    // The reporter's own act (a rating, "not solved") is answered in their chat; no notice needed.
    if (actor.kind !== 'reporter') {
      const lang = ticket.reporter.lang;
      const notice = statusNotice(ticket, to, event.note, lang);
      // A resolved report asks the reporter to rate it (or say it is not solved), with buttons.
      const message =
        to === 'resolved'
          ? {
              text: `${notice.text}\n\n${t(lang, 'ratingAsk', { trackingId })}`,
              choices: ratingChoices(trackingId, lang),
            }
          : notice;
      await this.notifyReporter(ticket, 'status_changed', notificationJobId(trackingId, event.seq), message);
      if (to === 'resolved' && !ticket.reporterUnreachable && !ticket.reporterErased)
        await this.deps.onRatingAsked?.(ticket);
    }
    // Also for a retried request (see above): the webhook job id makes a second publish a no-op.
    await this.publish(ticket, event);
    return { ticket, event };
  }

  /** Records that the reporter's chat cannot be reached any more; recorded once. */
  /**
   * Whether a notice queued for this ticket's reporter may still be sent: not once the reporter's
   * data was deleted (the notice was queued before, or while, the deletion ran). A ticket not found
   * does not stop it.
   */
  async mayNotifyReporter(trackingId: string): Promise<boolean> {
    const found = await this.deps.store.get(trackingId);
    return !found?.ticket.reporterErased;
  }

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

  /**
   * Records that one notification could not be delivered, for a reason of the channel's own (a
   * WhatsApp template not approved, a message WhatsApp refused): the reporter stays reachable.
   */
  async recordDeliveryFailed(trackingId: string, reason: string): Promise<void> {
    const at = this.deps.now().toISOString();
    await this.deps.store.update(trackingId, (ticket) => ({
      ticket: { ...ticket, updatedAt: at },
      event: { at, actor: { kind: 'system' }, type: 'delivery_failed', note: reason },
    }));
  }

  private async notifyReporter(
    ticket: Ticket,
    event: TicketEvent['type'],
    jobId: string,
    message: Outbound,
  ): Promise<void> {
    // Nobody to tell: the chat is gone, or the reporter asked to delete their data (no address left).
    if (ticket.reporterUnreachable || ticket.reporterErased) return;
    await this.deps.enqueueNotification(
      {
        channel: ticket.reporter.channel,
        chatId: ticket.reporter.chatId,
        messages: [message],
        trackingId: ticket.trackingId,
        // What the notice announces: a channel that must use a pre-approved template needs it.
        event,
        status: ticket.status,
      },
      jobId,
    );
  }
}

/** Buttons 1–5 and "not solved" for a resolved report. */
function ratingChoices(trackingId: string, lang: Lang): Choice[] {
  return [
    ...[1, 2, 3, 4, 5].map((n) => ({ payload: ratingPayload(trackingId, n), label: String(n) })),
    { payload: ratingPayload(trackingId, 'no'), label: t(lang, 'notSolved') },
  ];
}
