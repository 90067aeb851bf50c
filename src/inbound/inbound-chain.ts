import type { ChannelRegistry, SendContext } from '../channels/channel.ts';
import { type FlowCatalog, newSession, turn } from '../engine/engine.ts';
import { type MessageKey, t } from '../engine/messages.ts';
import type { Effect, Inbound, Lang, Outbound, Session } from '../engine/types.ts';
import { hashId, type Logger } from '../log/logger.ts';
import { type ChatAddress, ReportInFlightError } from '../privacy/forget-chat.ts';
import type { IdleChange, LastTurn, PendingReport, SessionStore } from '../sessions/session-store.ts';
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
  /**
   * What the citizen's own bubble showed, where the platform knows it better than the message: a
   * pressed button's label (the web page sends it). For a channel that keeps a transcript.
   */
  shown?: string;
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
  /**
   * Carries out the citizen's own deletion request for their chat: the operator's use case
   * (`forgetChat`). Throws `ReportInFlightError` when a report of the chat has no ticket yet.
   */
  forget?: (address: ChatAddress) => Promise<unknown>;
  /** Told how long each message took and how it ended (`error`: it threw); metrics observe it. */
  onTurn?: (ms: number, outcome: InboundOutcome | 'error') => void;
  /**
   * Marks the stored files a draft holds as still in use. Housekeeping deletes files no ticket keeps
   * once they are older than a grace period, and a draft lives as long as the citizen keeps answering:
   * without this, a photo sent early in a report finished days later would be gone by then.
   */
  keepFiles?: (refs: string[]) => Promise<void>;
}

/** The stored files a session's draft (and a draft parked for a status check) refers to. */
export function filesOfDraft(session: Session): string[] {
  const answers = [...Object.values(session.answers), ...Object.values(session.parked?.answers ?? {})];
  return answers.flatMap((a) => (a.kind === 'media' ? a.value.map((m) => m.ref) : []));
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

/**
 * How long a redelivered copy waits for the first handler to record its send before resending; and
 * how old a turn must be before a chat's next message resends its unconfirmed replies (see
 * `sendMissedTurn`).
 */
const RESEND_GRACE_MS = 2_000;

/** How long one resend is reserved for the copy (or next message) that claimed it. */
const RESEND_CLAIM_MS = 60_000;

/** Turns lost to a concurrent message of the same chat before giving up (each retry re-reads). */
const MAX_CONFLICT_RETRIES = 8;

const RATE_NOTICE: Record<Lang, string> = {
  // Says what happened, not what the citizen did wrong.
  id: 'Mohon maaf, kami menerima terlalu banyak pesan dalam waktu singkat. Silakan tunggu sebentar, lalu kirim kembali.',
  en: 'Sorry, we received too many messages in a short time. Please wait a moment, then send again.',
};

/**
 * The inbound chain: de-duplicate → rate-limit → load session → engine turn → save (with the turn's
 * replies and confirmed reports, the outbox) → queue reports → send. The read and the save are one
 * round trip each; a save that lost a race with another message of the same chat runs the turn
 * again on the fresh session, so both are kept. A report is queued only after the session that
 * says "sent" is saved, so a lost race (a "batal" that won) can never queue a cancelled report.
 * The outbox is read back only when something was missed: a redelivered message whose replies
 * were never marked sent, or a chat's next message after such a turn (its replies go first).
 */
export class InboundChain {
  /**
   * Turns this process has in hand, by chat and message id (a count: copies of one message may
   * both come to saving), from just before their save until their send is over and its mark
   * issued. A chat's next message does not resend the replies of a turn listed here: they are not
   * missed, only not sent yet. A copy found to be a duplicate before saving is not listed.
   */
  private readonly inHand = new Map<string, number>();

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
    const key = `${envelope.channel}:${envelope.chatId}\n${envelope.messageId}`;
    let held = false;
    const hold = () => {
      if (held || !envelope.messageId) return;
      held = true;
      this.inHand.set(key, (this.inHand.get(key) ?? 0) + 1);
    };
    try {
      return await this.runTurnHeld(envelope, hold);
    } finally {
      if (held) {
        const left = (this.inHand.get(key) ?? 1) - 1;
        if (left > 0) this.inHand.set(key, left);
        else this.inHand.delete(key);
      }
    }
  }

  /** `hold` lists the turn in `inHand` (once); it must be called before the save is issued. */
  private async runTurnHeld(envelope: InboundEnvelope, hold: () => void): Promise<InboundOutcome> {
    const { channel, chatId, messageId, inbound, shown } = envelope;
    const chat = `${channel}:${chatId}`;
    // The citizen's message as a transcript records it (see `send`).
    const asSent = messageId ? { messageId, inbound, ...(shown ? { shown } : {}) } : undefined;
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
        if (loaded.delivered !== messageId)
          await this.finishEarlierTurn(channel, chatId, asSent as NonNullable<typeof asSent>);
        log().debug('duplicate message');
        return 'duplicate';
      }
      // The chat's last turn (the newest id in `m`; its replies are `o`) is not marked sent: its send
      // failed for good, or the process stopped during it, and a platform that will not deliver that
      // message again (Telegram polling, WhatsApp) leaves no other chance to send them. The citizen
      // must see that question before the answer to this message, which answers it. Decided from
      // the fields already read; `o` is read only then. See `sendMissedTurn` for why a turn still
      // being sent is not taken for a missed one.
      const newest = loaded.recentMessageIds.at(-1);
      if (newest && newest !== loaded.delivered && !this.inHand.has(`${chat}\n${newest}`))
        await this.sendMissedTurn(channel, chatId, newest, log);
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
      // Listed before the save is issued: a message that reads this turn's id in `m` then finds it.
      hold();
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
      const files = this.deps.keepFiles ? filesOfDraft(result.session) : [];
      if (files.length > 0)
        await this.deps
          .keepFiles?.(files)
          .catch((err: Error) =>
            log().warn({ error: err.message }, "could not mark the draft's files as in use"),
          );
      for (const { submission, reporter } of reports) {
        await this.deps.submit(submission, reporter);
        log().info({ submissionId: submission.submissionId }, 'report submitted');
      }
      // A channel that keeps a transcript (the web chat) records the citizen's message with the
      // replies, before them: only here, so a duplicate or a refused message is never recorded.
      await this.send(channel, chatId, outbound, asSent);
      // Marked as soon as `o` is sent (follow-up answers are not in it, and a failure among them must
      // not get `o` sent twice). Not awaited: the command is queued on the connection before this
      // turn returns, so the chat's next message, read on the same connection after it, sees it
      // (see `sendMissedTurn`); losing it (Redis gone for good) only means `o` is sent again.
      if (reports.length > 0) {
        // A turn that confirmed a report also takes it off the pending list, in the same round trip.
        // Losing that (or a send that failed before it) leaves the report pending: the housekeeping
        // job queues it again (a no-op: the job id is the submission's) and settles it.
        this.deps.sessions
          .settle(
            chat,
            reports.map((r) => r.submission.submissionId),
            messageId,
          )
          .catch(() => undefined);
      } else if (messageId) {
        this.deps.sessions.markDelivered(chat, messageId).catch(() => undefined);
      }
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
      const forget = result.effects.find((e) => e.kind === 'forget');
      if (forget) await this.forget(channel, chatId, forget.lang, log);
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

  /**
   * Sends again what the turn of `message` (a copy of it) was to send, and queues its reports, if
   * it was the last turn. The copy is the message itself again, so a transcript records it again
   * with the replies (a page draws each message id once).
   */
  private async finishEarlierTurn(
    channel: string,
    chatId: string,
    message: NonNullable<SendContext['inReplyTo']>,
  ): Promise<void> {
    const { messageId } = message;
    const chat = `${channel}:${chatId}`;
    const { lastTurn, pending } = await this.deps.sessions.outbox(chat);
    await this.queueReports(chat, pending);
    if (lastTurn?.messageId !== messageId) return;
    // Copies of a message that arrive together (a page retrying while its first try is in flight)
    // must not each send the replies again: give the first handler what is left of its moment to
    // record its send (nothing, for a turn saved long ago), then let one copy only resend.
    const wait = this.graceLeft(lastTurn);
    if (wait > 0 && (await this.deliveredWithin(chat, messageId, wait))) return;
    await this.resend(channel, chatId, lastTurn, message);
  }

  /**
   * Sends the replies of the chat's last turn, that of `messageId` (the newest id in `m`), which
   * were never marked sent (`d`), before a new message of the chat is turned.
   *
   * Why a turn whose send went well is not sent twice:
   * - Messages one after the other (the normal case: Telegram's runner turns one chat's updates in
   *   order, in one process; the web chat page posts one message at a time, waiting for the answer;
   *   the whatsapp-web.js channel keeps one chat's messages in order): a turn issues its `d` mark
   *   right after its send, before it returns, so before the next message is even taken. In one
   *   process the mark and the next message's read go over the same ioredis connection (its offline
   *   queue, while reconnecting, keeps the order too) and Redis runs them in that order: the read
   *   sees `d`. A next message handled by another process comes through the platform or the page,
   *   after the answer to the first: a round trip outside, against a write already on its way.
   * - Two messages of a chat at once (WhatsApp Cloud posts each message on its own; a page that gave
   *   up on a slow message posts the next while the first is still being turned): in this process,
   *   `inHand` lists the other turn from before its save until its send is over and its mark
   *   queued, and a turn that has left it queued its mark before the read of `o` and `d` below, on
   *   the same connection. In another process, a turn saved less than `RESEND_GRACE_MS` ago is
   *   given until then to be marked, as a redelivered copy is: only a send that takes longer there,
   *   and then succeeds, is sent twice.
   * - Copies of one message, and the next message together with a copy, resend once: the claim is
   *   the one `finishEarlierTurn` takes, by message id.
   * A mark lost after all (Redis gone for good after the send, a crash between the two) means the
   * replies are sent again: at-least-once, as for a redelivery.
   *
   * A message without an id writes no `o` and leaves `m` as it is: it resends the last turn's
   * replies like any message, and leaves the check to the next one otherwise. A failed resend
   * throws: the new message is not turned, so its channel's retry (or the page's) tries both again
   * in order.
   */
  private async sendMissedTurn(
    channel: string,
    chatId: string,
    messageId: string,
    log: () => Logger,
  ): Promise<void> {
    const chat = `${channel}:${chatId}`;
    const { lastTurn, delivered } = await this.deps.sessions.lastTurn(chat);
    if (delivered === messageId || lastTurn?.messageId !== messageId || lastTurn.outbound.length === 0)
      return;
    const wait = this.graceLeft(lastTurn);
    if (wait > 0 && (await this.deliveredWithin(chat, messageId, wait))) return;
    if (await this.resend(channel, chatId, lastTurn))
      log().info(
        { ageMs: RESEND_GRACE_MS - wait },
        "the last turn's replies were never marked sent; sent them before this message's",
      );
  }

  /**
   * How much of `RESEND_GRACE_MS` a turn's own handler still has to mark its send, counted from the
   * turn's save (a turn saved before `at` was recorded gets the whole of it).
   */
  private graceLeft(lastTurn: LastTurn): number {
    const now = this.deps.now().getTime();
    return Math.min(RESEND_GRACE_MS, RESEND_GRACE_MS - (now - (lastTurn.at ?? now)));
  }

  /** Polls `d` for up to `ms`: true once `messageId`'s replies are marked sent. */
  private async deliveredWithin(chat: string, messageId: string, ms: number): Promise<boolean> {
    for (let waited = 0; waited < ms; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if ((await this.deps.sessions.delivered(chat)) === messageId) return true;
    }
    return false;
  }

  /**
   * Sends a turn's replies again if no other copy has claimed to; true when this call sent them.
   * `inReplyTo`: the message they answer, when known (a copy of it is being handled).
   */
  private async resend(
    channel: string,
    chatId: string,
    lastTurn: LastTurn,
    inReplyTo?: SendContext['inReplyTo'],
  ): Promise<boolean> {
    const chat = `${channel}:${chatId}`;
    const { messageId } = lastTurn;
    if (!(await this.deps.sessions.claimResend(chat, messageId, RESEND_CLAIM_MS))) return false;
    try {
      await this.send(channel, chatId, lastTurn.outbound, inReplyTo);
    } catch (err) {
      // Not sent after all: the next copy (or message) may try again.
      await this.deps.sessions.releaseResend(chat, messageId).catch(() => undefined);
      throw err;
    }
    await this.deps.sessions.markDelivered(chat, messageId);
    return true;
  }

  /**
   * The citizen confirmed deleting their data. Runs once the turn is saved, sent and marked (its
   * marks go out before the deletion on the same connection, so none of them recreates the session
   * afterwards), and says how it ended only then: "deleted" only when it was. On a web chat the
   * answer is the one entry of the new transcript; a refused request deletes nothing, the draft
   * stays, and the citizen is asked to try again.
   */
  private async forget(channel: string, chatId: string, lang: Lang, log: () => Logger): Promise<void> {
    let answer: MessageKey = 'forgetFailed';
    if (this.deps.forget) {
      try {
        await this.deps.forget({ channel, chatId });
        answer = 'forgetDone';
        log().info("chat data deleted at the citizen's request");
      } catch (err) {
        if (err instanceof ReportInFlightError) {
          answer = 'forgetInFlight';
          log().info("citizen's deletion request refused: a report has no ticket yet");
        } else
          log().error(
            { error: { name: (err as Error).name, message: (err as Error).message } },
            "citizen's deletion request failed",
          );
      }
    } else log().error("citizen's deletion request: no deletion configured");
    await this.send(channel, chatId, [{ text: t(lang, answer) }]);
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

  /** `inReplyTo`: the citizen's message these replies answer, for a channel that keeps a transcript. */
  private async send(
    channel: string,
    chatId: string,
    messages: Outbound[],
    inReplyTo?: SendContext['inReplyTo'],
  ): Promise<void> {
    if (messages.length === 0 && !inReplyTo) return;
    const adapter = this.deps.channels.get(channel);
    const record = inReplyTo && adapter?.keepsTranscript ? inReplyTo : undefined;
    if (messages.length === 0 && !record) return;
    if (!adapter) throw new Error(`no adapter registered for channel "${channel}"`);
    if (record) await adapter.send(chatId, messages, { inReplyTo: record });
    else await adapter.send(chatId, messages);
  }
}
