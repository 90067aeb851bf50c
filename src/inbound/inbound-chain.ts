import type { ChannelRegistry } from '../channels/channel.ts';
import { type FlowCatalog, newSession, turn } from '../engine/engine.ts';
import type { Effect, Inbound, Lang, Outbound, Session } from '../engine/types.ts';
import { hashId, type Logger } from '../log/logger.ts';
import type { IdleChange, PendingReport, SessionStore } from '../sessions/session-store.ts';
import { statusLookupNotice } from '../tickets/notices.ts';
import type { FollowUpEffect } from '../tickets/reporter-follow-up.ts';
import type { Reporter } from '../tickets/ticket.ts';
import type { TicketStore } from '../tickets/ticket-store.ts';

/** One message from a citizen, as a channel adapter hands it over. */
export interface InboundEnvelope {
  channel: string;
  chatId: string;
  /** The platform's id for this message; the same id twice is handled once. */
  messageId?: string;
  inbound: Inbound;
}

/** What happened to a message. */
export type InboundOutcome = 'handled' | 'duplicate' | 'rate_limited';

export interface InboundChainDeps {
  catalog: () => FlowCatalog;
  sessions: SessionStore;
  tickets: TicketStore;
  channels: ChannelRegistry;
  /** Puts a confirmed report on the `tickets` queue (idempotent by submission id). */
  submit: (
    submission: Extract<Effect, { kind: 'submit' }>['submission'],
    reporter: Reporter,
  ) => Promise<void>;
  logger: Logger;
  now: () => Date;
  newId: () => string;
  timeZone: string;
  /** Messages one chat may send per minute; the next one gets a polite notice, the rest are dropped. */
  messagesPerMinute: number;
  /** Carries out a reporter's follow-up on a report already sent (more information, a rating, "not solved"). */
  followUp?: (effect: FollowUpEffect, who: { channel: string; chatId: string }) => Promise<Outbound>;
  /** Told how long each message took and how it ended (`error`: it threw); metrics observe it. */
  onTurn?: (ms: number, outcome: InboundOutcome | 'error') => void;
}

/**
 * How a turn changes the idle indexes: a draft that starts, or is answered after its reminder, is
 * (re)tracked; a draft that ends is dropped; any other turn leaves the indexes alone (the sweeper
 * reads the session's own last activity, so the index need not follow every message).
 */
export function idleChange(before: Session | null, after: Session): IdleChange {
  if (after.flowId && (!before?.flowId || before.reminded)) return 'add';
  if (!after.flowId && before?.flowId) return 'remove';
  return 'keep';
}

/** How long a redelivered copy waits for the first handler to record its send before resending. */
const RESEND_GRACE_MS = 2_000;

/** Turns lost to a concurrent message of the same chat before giving up (each retry re-reads). */
const MAX_CONFLICT_RETRIES = 8;

const RATE_NOTICE: Record<Lang, string> = {
  id: 'Mohon maaf, pesan Bapak/Ibu terlalu cepat. Silakan tunggu sebentar, lalu kirim kembali.',
  en: 'Sorry, messages are arriving too quickly. Please wait a moment, then send again.',
};

/**
 * The inbound chain: de-duplicate → rate-limit → load session → engine turn → save (with the turn's
 * replies and confirmed reports, the outbox) → queue reports → send. The read and the save are one
 * round trip each; a save that lost a race with another message of the same chat runs the turn
 * again on the fresh session, so both are kept. A report is queued only after the session that
 * says "sent" is saved, so a lost race (a "batal" that won) can never queue a cancelled report.
 */
export class InboundChain {
  constructor(private readonly deps: InboundChainDeps) {}

  async handle(envelope: InboundEnvelope): Promise<InboundOutcome> {
    const onTurn = this.deps.onTurn;
    if (!onTurn) return this.runTurn(envelope);
    const started = performance.now();
    try {
      const outcome = await this.runTurn(envelope);
      onTurn(performance.now() - started, outcome);
      return outcome;
    } catch (err) {
      onTurn(performance.now() - started, 'error');
      throw err;
    }
  }

  private async runTurn(envelope: InboundEnvelope): Promise<InboundOutcome> {
    const { channel, chatId, messageId, inbound } = envelope;
    const chat = `${channel}:${chatId}`;
    // Made when first needed: most turns log nothing, and a child logger (with its hashed chat id)
    // per message was a measurable part of a turn's cost.
    let child: Logger | undefined;
    const log = () => {
      child ??= this.deps.logger.child({ chat: hashId(chat), kind: inbound.kind });
      return child;
    };
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      const now = this.deps.now();
      const loaded = await this.deps.sessions.load(chat, now.getTime());
      if (messageId && loaded.recentMessageIds.includes(messageId)) {
        // Handled before. If its replies were never confirmed sent (a crash, a lost connection),
        // this redelivery is the chance to finish the job.
        if (loaded.delivered !== messageId) await this.finishEarlierTurn(channel, chatId, messageId);
        log().debug('duplicate message');
        return 'duplicate';
      }
      const session: Session = loaded.session ?? newSession(now);
      if (loaded.rate.count >= this.deps.messagesPerMinute) {
        // Tell the citizen once per window; after that, stay quiet rather than add to the flood.
        if (loaded.rate.count === this.deps.messagesPerMinute) {
          await this.deps.sessions.markRateNoticeSent(chat, loaded.rate);
          await this.send(channel, chatId, [{ text: RATE_NOTICE[session.lang] }]);
        }
        log().info('chat rate limit reached');
        return 'rate_limited';
      }
      const result = turn(this.deps.catalog(), session, inbound, {
        now,
        newId: this.deps.newId(),
        timeZone: this.deps.timeZone,
      });
      const reporter: Reporter = { channel, chatId, lang: result.session.lang };
      const reports: PendingReport[] = [];
      for (const effect of result.effects)
        if (effect.kind === 'submit') reports.push({ submission: effect.submission, reporter });
      const outbound = [...(await this.lookups(result.effects, channel, chatId)), ...result.outbound];
      const idle = idleChange(loaded.session, result.session);
      const saved = await this.deps.sessions.save(chat, loaded, result.session, {
        ...(messageId ? { messageId } : {}),
        idle,
        outbound,
        reports,
      });
      if (saved === 'conflict') {
        // Another message of this chat (or a copy of this one) was saved first: run again on its result.
        log().debug({ attempt }, 'session changed concurrently; running the turn again');
        continue;
      }
      await this.queueReports(chat, reports);
      for (const report of reports)
        log().info({ submissionId: report.submission.submissionId }, 'report submitted');
      await this.send(channel, chatId, outbound);
      // Follow-ups change a ticket, so they run only once the turn is saved (a re-run turn must not
      // add the same information twice); their answers come after the turn's.
      const followUps = result.effects.filter(
        (e): e is FollowUpEffect => e.kind === 'addToReport' || e.kind === 'rate' || e.kind === 'reopen',
      );
      if (followUps.length > 0 && this.deps.followUp) {
        const answers: Outbound[] = [];
        for (const effect of followUps) answers.push(await this.deps.followUp(effect, { channel, chatId }));
        await this.send(channel, chatId, answers);
      }
      // Not awaited: losing this mark only means a redelivered copy would send the replies again.
      if (messageId) this.deps.sessions.markDelivered(chat, messageId).catch(() => undefined);
      return 'handled';
    }
    throw new Error(
      `chat ${hashId(chat)}: the session kept changing during ${MAX_CONFLICT_RETRIES + 1} attempts`,
    );
  }

  /**
   * Queues reports still pending since before `before` (epoch ms): confirmed and saved, but the
   * process stopped before they reached the queue. Run by the housekeeping job.
   */
  async queuePendingReports(before: number): Promise<number> {
    let queued = 0;
    for (const chat of await this.deps.sessions.pendingSince(before)) {
      const { pending } = await this.deps.sessions.outbox(chat);
      await this.queueReports(chat, pending);
      queued += pending.length;
    }
    return queued;
  }

  /** Puts reports on the tickets queue (idempotent by submission id), then takes them off the pending list. */
  private async queueReports(chat: string, reports: PendingReport[]): Promise<void> {
    if (reports.length === 0) return;
    for (const { submission, reporter } of reports) await this.deps.submit(submission, reporter);
    await this.deps.sessions.settle(
      chat,
      reports.map((r) => r.submission.submissionId),
    );
  }

  /** Sends again what the turn of `messageId` was to send, and queues its reports, if it was the last turn. */
  private async finishEarlierTurn(channel: string, chatId: string, messageId: string): Promise<void> {
    const chat = `${channel}:${chatId}`;
    const { lastTurn, pending } = await this.deps.sessions.outbox(chat);
    await this.queueReports(chat, pending);
    if (lastTurn?.messageId !== messageId) return;
    // Copies of a message that arrive together (a page retrying while its first try is in flight)
    // must not each send the replies again: give the first handler a moment to record its send,
    // then let one copy only resend.
    for (let waited = 0; waited < RESEND_GRACE_MS; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if ((await this.deps.sessions.delivered(chat)) === messageId) return;
    }
    if (!(await this.deps.sessions.claimResend(chat, messageId, 60_000))) return;
    try {
      await this.send(channel, chatId, lastTurn.outbound);
    } catch (err) {
      // Not sent after all: the next copy may try again.
      await this.deps.sessions.releaseResend(chat, messageId).catch(() => undefined);
      throw err;
    }
    await this.deps.sessions.markDelivered(chat, messageId);
  }

  /** Answers to look-ups the turn asked for (a status check); they go before the turn's own replies. */
  private async lookups(effects: Effect[], channel: string, chatId: string): Promise<Outbound[]> {
    const replies: Outbound[] = [];
    for (const effect of effects) {
      if (effect.kind !== 'checkStatus') continue;
      const found = await this.deps.tickets.get(effect.trackingId);
      replies.push(
        statusLookupNotice(found?.ticket ?? null, effect.trackingId, { channel, chatId }, effect.lang),
      );
    }
    return replies;
  }

  private async send(channel: string, chatId: string, messages: Outbound[]): Promise<void> {
    if (messages.length === 0) return;
    const adapter = this.deps.channels.get(channel);
    if (!adapter) throw new Error(`no adapter registered for channel "${channel}"`);
    await adapter.send(chatId, messages);
  }
}
