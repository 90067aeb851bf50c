import { notificationJobId, ticketJobId } from '../queue/queues.ts';
import type { ChatJobIds } from '../queue/remove-chat-jobs.ts';
import type { JobsRemoved } from '../queue/remove-jobs.ts';
import type { Keys } from '../redis/keys.ts';
import type { ScriptedRedis } from '../redis/scripts.ts';
import type { SessionStore } from '../sessions/session-store.ts';
import { type Ticket, type TicketEvent, ticketSchema } from '../tickets/ticket.ts';
import type { TicketStore } from '../tickets/ticket-store.ts';

/** A chat address as an operator writes it: `<channel>:<chatId>`, e.g. `telegram:12345`. */
export interface ChatAddress {
  channel: string;
  chatId: string;
}

/** A chat address that cannot be one; `field` names the part at fault. */
export class ChatAddressError extends Error {
  constructor(
    readonly field: 'channel' | 'chatId',
    message: string,
  ) {
    super(message);
    this.name = 'ChatAddressError';
  }
}

/**
 * A report of the chat is confirmed but has no ticket yet (pending in the session's outbox, or on
 * the tickets queue): erasing now would miss the ticket made a moment later with the chat address.
 */
export class ReportInFlightError extends Error {
  constructor(readonly chat: string) {
    super(
      'A report from this chat is still being filed (confirmed, no ticket yet). Nothing was deleted; try again in a minute.',
    );
    this.name = 'ReportInFlightError';
  }
}

const CHANNEL = /^[a-z][a-z0-9-]{0,31}$/;
// Any printable id without spaces: web ids are random base64url, Telegram ids numbers (negative for
// groups), WhatsApp ids `628…@c.us` or bare numbers.
const CHAT_ID = /^[\x21-\x7e]{1,256}$/;

/** Parses `<channel>:<chatId>` (split at the first colon). @throws ChatAddressError */
export function parseChatAddress(value: string): ChatAddress {
  const colon = value.indexOf(':');
  const channel = colon < 0 ? value : value.slice(0, colon);
  const chatId = colon < 0 ? '' : value.slice(colon + 1);
  if (!CHANNEL.test(channel))
    throw new ChatAddressError(
      'channel',
      `channel: expected <channel>:<chatId> with a channel such as web, telegram or whatsapp (got "${channel.slice(0, 40)}")`,
    );
  if (!CHAT_ID.test(chatId))
    throw new ChatAddressError(
      'chatId',
      'chatId: expected <channel>:<chatId> with a chat id of 1 to 256 printable characters, no spaces',
    );
  return { channel, chatId };
}

/** What a deletion request removed and kept. */
export interface ForgetSummary {
  chat: string;
  /** The conversation (session hash and idle-index entries) was there and is deleted. */
  sessionDeleted: boolean;
  /** The web chat's transcript stream was there and is deleted (web only). */
  transcriptDeleted: boolean;
  /**
   * Other per-chat data deleted: the Telegram group notice, the WhatsApp Cloud window, held notices
   * and delivery records, messages parked in the WhatsApp relay.
   */
  otherKeysDeleted: number;
  /** Tickets whose reporter address was erased now; the cases themselves stay. */
  ticketsErased: string[];
  /**
   * Reports of the chat that never became tickets (their ticket job failed for good and waits for an
   * operator's retry): deleted with the chat, as the citizen asked.
   */
  unfiledReportsDeleted: number;
  /** Queue jobs with the address deleted: the ticket jobs and every notice to the reporter, sent or not. */
  jobsDeleted: number;
  /** Such jobs a worker was running after a few seconds' wait: left to finish, address and text wiped. */
  jobsWiped: number;
}

export interface ForgetChatDeps {
  redis: ScriptedRedis;
  keys: Keys;
  sessions: SessionStore;
  tickets: TicketStore;
  now: () => Date;
  /**
   * The queues. Jobs keep the address in their payload (kept a week once done, for ever once
   * failed), and a notice still waiting would reach the chat after its data was deleted.
   */
  jobs?: {
    /** Whether a submission's ticket job failed for good (no ticket, and none coming unless retried by hand). */
    ticketJobFailed(submissionId: string): Promise<boolean>;
    remove(ids: ChatJobIds): Promise<JobsRemoved>;
  };
  /** The keys a channel keeps for a chat (WhatsApp Cloud: window, held notices, delivery records). */
  channelKeys?: (address: ChatAddress) => Promise<string[]>;
  /** Tickets read per round trip while scanning the all-tickets index. */
  batchSize?: number;
}

/** Checks then deletes are retried this often when a turn saves the chat in between. */
const MAX_CONFLICTS = 5;

/**
 * Carries out a reporter's request to delete their data (UU PDP No. 27/2022): the conversation and
 * every key kept for the chat are deleted, and each ticket reported from it keeps its case (title,
 * body, category, history) but loses the chat address (`chatId` emptied, `reporterErased`), with a
 * `reporter_erased` event by the system (saying neither who asked nor who ran it). The queue jobs
 * that hold the address (the ticket jobs, every notice) are deleted too, sent or waiting, and so
 * are messages parked for the chat in the WhatsApp relay. No notice is sent to an erased reporter
 * afterwards, and the chat's `status` no longer finds those tickets. A WhatsApp number may be
 * written `628…`, `+628…`, `0812…` or `628…@c.us`: every form is looked for.
 * Running it again for the same chat finds nothing and changes nothing.
 *
 * A report still on its way to becoming a ticket is refused rather than queued here: queuing it
 * would not make its ticket exist before the scan (the ticket worker runs later, elsewhere), so the
 * ticket would be created afterwards with the address. Housekeeping queues pending reports within a
 * minute and the worker creates them, so the operator simply runs the request again. The check and
 * the deletion are one versioned step: a turn that saves the chat in between makes it check again.
 * @throws ReportInFlightError
 */
export async function forgetChat(deps: ForgetChatDeps, address: ChatAddress): Promise<ForgetSummary> {
  const { redis, keys } = deps;
  const chat = `${address.channel}:${address.chatId}`;
  const forms = addressForms(address);
  const jobs: ChatJobIds = { tickets: [], notifications: [] };

  const { sessionDeleted, unfiledReportsDeleted } = await forgetConversations(deps, forms, jobs);

  let transcriptDeleted = false;
  let otherKeysDeleted = 0;
  for (const form of forms) {
    if (form.channel === 'web') transcriptDeleted ||= (await redis.del(keys.webOutbox(form.chatId))) > 0;
    const other = [
      ...(form.channel === 'telegram' ? [keys.telegramGroupNoticed(form.chatId)] : []),
      ...((await deps.channelKeys?.(form)) ?? []),
    ];
    if (other.length > 0) otherKeysDeleted += await redis.del(...other);
    if (form.channel === 'whatsapp')
      otherKeysDeleted += await redis.whatsappRelayForget(
        keys.whatsappRelay,
        keys.whatsappRelayInflight,
        form.chatId,
      );
  }

  const ticketsErased: string[] = [];
  const at = deps.now().toISOString();
  for (const trackingId of await ticketsOfChat(deps, forms)) {
    const result = await deps.tickets.update(trackingId, (ticket) =>
      isReporter(ticket, forms) ? withReporterErased(ticket, at) : null,
    );
    if (!result?.event) continue;
    ticketsErased.push(trackingId);
    // Job ids follow from the ticket (queues.ts): its submission, and one notice per earlier event.
    jobs.tickets.push(ticketJobId(result.ticket.submissionId));
    for (let seq = 1; seq < result.event.seq; seq++)
      jobs.notifications.push(notificationJobId(trackingId, seq));
  }
  const anyJobs = jobs.tickets.length + jobs.notifications.length > 0;
  const removed = deps.jobs && anyJobs ? await deps.jobs.remove(jobs) : { removed: 0, scrubbed: 0 };
  return {
    chat,
    sessionDeleted,
    transcriptDeleted,
    otherKeysDeleted,
    ticketsErased,
    unfiledReportsDeleted,
    jobsDeleted: removed.removed,
    jobsWiped: removed.scrubbed,
  };
}

/** What a conversation held when it was checked. */
interface Checked {
  chat: string;
  version: number;
  present: boolean;
  /** Ticket jobs of its reports that failed for good. */
  unfiled: string[];
}

/**
 * Deletes the conversations of every form of the address unless a report of one of them is still
 * on its way to a ticket (then nothing is deleted). A report whose ticket job failed for good is
 * not on its way: its job is added to `jobs` for deletion.
 * @throws ReportInFlightError
 */
async function forgetConversations(
  deps: ForgetChatDeps,
  forms: ChatAddress[],
  jobs: ChatJobIds,
): Promise<{ sessionDeleted: boolean; unfiledReportsDeleted: number }> {
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    const checked: Checked[] = [];
    for (const form of forms) checked.push(await checkConversation(deps, form));
    let conflict = false;
    for (const c of checked) conflict ||= !(await deps.sessions.deleteIfUnchanged(c.chat, c.version));
    // Deleted as checked, or a turn saved one in between (it is checked again, with what it wrote).
    if (conflict) continue;
    const unfiled = checked.flatMap((c) => c.unfiled);
    jobs.tickets.push(...unfiled);
    return { sessionDeleted: checked.some((c) => c.present), unfiledReportsDeleted: unfiled.length };
  }
  // A chat saved five times during a few round trips: the citizen is typing; try again in a moment.
  throw new ReportInFlightError(`${forms[0]?.channel}:${forms[0]?.chatId}`);
}

/** @throws ReportInFlightError when a report of the chat is confirmed and has no ticket yet */
async function checkConversation(deps: ForgetChatDeps, address: ChatAddress): Promise<Checked> {
  const chat = `${address.channel}:${address.chatId}`;
  const [{ session, version }, { pending }] = await Promise.all([
    deps.sessions.load(chat, deps.now().getTime()),
    deps.sessions.outbox(chat),
  ]);
  if (pending.length > 0) throw new ReportInFlightError(chat);
  const unfiled: string[] = [];
  for (const submissionId of session?.submitted ?? []) {
    if (await deps.tickets.bySubmission(submissionId)) continue;
    if (!(await deps.jobs?.ticketJobFailed(submissionId))) throw new ReportInFlightError(chat);
    unfiled.push(ticketJobId(submissionId));
  }
  return { chat, version, present: session !== null || version > 0, unfiled };
}

/** A ticket's change when its reporter's data is deleted: the case stays, the address goes. */
export function withReporterErased(
  ticket: Ticket,
  at: string,
): { ticket: Ticket; event: Omit<TicketEvent, 'seq'> } {
  return {
    ticket: { ...ticket, reporter: { ...ticket.reporter, chatId: '' }, reporterErased: true, updatedAt: at },
    event: { at, actor: { kind: 'system' }, type: 'reporter_erased' },
  };
}

/**
 * The forms one chat address can take. A WhatsApp chat is `628…@c.us` to whatsapp-web.js and
 * `628…` to the Cloud API, and an operator may write the number as a citizen gives it (`+62…`,
 * `08…`); other channels have one form.
 */
export function addressForms(address: ChatAddress): ChatAddress[] {
  if (address.channel !== 'whatsapp') return [address];
  const number = /^\+?(\d{6,15})(@c\.us)?$/.exec(address.chatId)?.[1];
  if (!number) return [address];
  const international = number.startsWith('0') ? `62${number.slice(1)}` : number;
  return [international, `${international}@c.us`].map((chatId) => ({ channel: 'whatsapp', chatId }));
}

function isReporter(ticket: Ticket, forms: ChatAddress[]): boolean {
  return (
    !ticket.reporterErased &&
    forms.some((f) => ticket.reporter.channel === f.channel && ticket.reporter.chatId === f.chatId)
  );
}

/**
 * The tracking ids of the tickets reported from a chat. There is no index by reporter (it would be
 * one more copy of the address to delete): deletion requests are rare, so the all-tickets index is
 * read in batches, each batch's tickets in one pipelined round trip.
 */
async function ticketsOfChat(deps: ForgetChatDeps, forms: ChatAddress[]): Promise<string[]> {
  const { redis, keys } = deps;
  const size = deps.batchSize ?? 500;
  const found: string[] = [];
  for (let start = 0; ; start += size) {
    const ids = await redis.zrange(keys.ticketsAll, String(start), String(start + size - 1));
    if (ids.length === 0) break;
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hget(keys.ticket(id), 't');
    const rows = (await pipeline.exec()) ?? [];
    rows.forEach(([err, json], i) => {
      if (err || typeof json !== 'string') return;
      const parsed = ticketSchema.safeParse(JSON.parse(json));
      if (parsed.success && isReporter(parsed.data, forms)) found.push(ids[i] as string);
    });
    if (ids.length < size) break;
  }
  return found;
}

/** The summary as one line per fact, for the CLI. */
export function describeForget(summary: ForgetSummary): string {
  const nothing =
    !summary.sessionDeleted &&
    !summary.transcriptDeleted &&
    summary.otherKeysDeleted === 0 &&
    summary.ticketsErased.length === 0 &&
    summary.unfiledReportsDeleted === 0 &&
    summary.jobsDeleted === 0;
  if (nothing)
    return `${summary.chat}: nothing left to delete (no conversation, no tickets with this address).`;
  return [
    `${summary.chat}:`,
    `  conversation: ${summary.sessionDeleted ? 'deleted' : 'none'}`,
    ...(summary.chat.startsWith('web:')
      ? [`  web transcript: ${summary.transcriptDeleted ? 'deleted' : 'none'}`]
      : []),
    ...(summary.otherKeysDeleted > 0 ? [`  other chat keys deleted: ${summary.otherKeysDeleted}`] : []),
    `  tickets kept without the reporter's address: ${summary.ticketsErased.length}${summary.ticketsErased.length ? ` (${summary.ticketsErased.join(', ')})` : ''}`,
    ...(summary.unfiledReportsDeleted > 0
      ? [`  reports that never became tickets (failed), deleted: ${summary.unfiledReportsDeleted}`]
      : []),
    ...(summary.jobsDeleted > 0 ? [`  queue jobs with the address deleted: ${summary.jobsDeleted}`] : []),
    ...(summary.jobsWiped > 0
      ? [`  queue jobs still running, left to finish with the address wiped: ${summary.jobsWiped}`]
      : []),
  ].join('\n');
}
