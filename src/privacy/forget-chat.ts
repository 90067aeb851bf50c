import { notificationJobId, ticketJobId } from '../queue/queues.ts';
import type { JobsRemoved } from '../queue/remove-jobs.ts';
import type { Keys } from '../redis/keys.ts';
import type { ScriptedRedis } from '../redis/scripts.ts';
import type { SessionStore } from '../sessions/session-store.ts';
import { type Ticket, ticketSchema } from '../tickets/ticket.ts';
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
  /** Other per-chat keys deleted (Telegram group notice, WhatsApp Cloud window and held notices). */
  otherKeysDeleted: number;
  /** Tickets whose reporter address was erased now; the cases themselves stay. */
  ticketsErased: string[];
  /** Queue jobs of those tickets deleted: their ticket job and every notice to the reporter, sent or not. */
  jobsDeleted: number;
  /** Such jobs a worker was still running after a few seconds' wait: left (BullMQ removes them after a week). */
  jobsInProgress: number;
}

/** The queue jobs that carry a chat's address, by queue: what `removeJobs` is asked to delete. */
export interface ChatJobs {
  tickets: string[];
  notifications: string[];
}

export interface ForgetChatDeps {
  redis: ScriptedRedis;
  keys: Keys;
  sessions: SessionStore;
  tickets: TicketStore;
  now: () => Date;
  /**
   * Deletes queue jobs by id. Jobs keep the address in their payload (kept a week once done, for
   * ever once failed), and a notice still waiting would reach the chat after its data was deleted.
   */
  removeJobs?: (jobs: ChatJobs) => Promise<JobsRemoved>;
  /** Tickets read per round trip while scanning the all-tickets index. */
  batchSize?: number;
}

/**
 * Carries out a reporter's request to delete their data (UU PDP No. 27/2022): the conversation and
 * every key kept for the chat are deleted, and each ticket reported from it keeps its case (title,
 * body, category, history) but loses the chat address (`chatId` emptied, `reporterErased`), with a
 * `reporter_erased` event by the system (saying neither who asked nor who ran it). The queue jobs
 * of those tickets that hold the address (the ticket job, the notices) are deleted too, sent or
 * waiting. No notice is sent to an erased reporter afterwards, and the chat's `status` no longer
 * finds those tickets.
 * Running it again for the same chat finds nothing and changes nothing.
 *
 * A report still on its way to becoming a ticket is refused rather than queued here: queuing it
 * would not make its ticket exist before the scan (the ticket worker runs later, elsewhere), so the
 * ticket would be created afterwards with the address. Housekeeping queues pending reports within a
 * minute and the worker creates them, so the operator simply runs the request again.
 * @throws ReportInFlightError
 */
export async function forgetChat(deps: ForgetChatDeps, address: ChatAddress): Promise<ForgetSummary> {
  const { redis, keys, sessions, tickets } = deps;
  const chat = `${address.channel}:${address.chatId}`;

  const [{ session }, { pending }] = await Promise.all([
    sessions.load(chat, deps.now().getTime()),
    sessions.outbox(chat),
  ]);
  if (pending.length > 0) throw new ReportInFlightError(chat);
  for (const submissionId of session?.submitted ?? [])
    if (!(await tickets.bySubmission(submissionId))) throw new ReportInFlightError(chat);

  const sessionDeleted = (await redis.exists(keys.session(chat))) === 1;
  await sessions.delete(chat);

  const transcriptDeleted =
    address.channel === 'web' ? (await redis.del(keys.webOutbox(address.chatId))) > 0 : false;
  const other =
    address.channel === 'telegram'
      ? [keys.telegramGroupNoticed(address.chatId)]
      : address.channel === 'whatsapp'
        ? [keys.whatsappCloudWindow(address.chatId), keys.whatsappCloudHeld(address.chatId)]
        : [];
  const otherKeysDeleted = other.length > 0 ? await redis.del(...other) : 0;

  const ticketsErased: string[] = [];
  const jobs: ChatJobs = { tickets: [], notifications: [] };
  const at = deps.now().toISOString();
  for (const trackingId of await ticketsOfChat(deps, address)) {
    const result = await tickets.update(trackingId, (ticket) =>
      isReporter(ticket, address)
        ? {
            ticket: {
              ...ticket,
              reporter: { ...ticket.reporter, chatId: '' },
              reporterErased: true,
              updatedAt: at,
            },
            event: { at, actor: { kind: 'system' }, type: 'reporter_erased' },
          }
        : null,
    );
    if (!result?.event) continue;
    ticketsErased.push(trackingId);
    // Job ids follow from the ticket (queues.ts): its submission, and one notice per earlier event.
    jobs.tickets.push(ticketJobId(result.ticket.submissionId));
    for (let seq = 1; seq < result.event.seq; seq++)
      jobs.notifications.push(notificationJobId(trackingId, seq));
  }
  const removed =
    deps.removeJobs && ticketsErased.length > 0 ? await deps.removeJobs(jobs) : { removed: 0, busy: 0 };
  return {
    chat,
    sessionDeleted,
    transcriptDeleted,
    otherKeysDeleted,
    ticketsErased,
    jobsDeleted: removed.removed,
    jobsInProgress: removed.busy,
  };
}

function isReporter(ticket: Ticket, address: ChatAddress): boolean {
  return (
    !ticket.reporterErased &&
    ticket.reporter.channel === address.channel &&
    ticket.reporter.chatId === address.chatId
  );
}

/**
 * The tracking ids of the tickets reported from a chat. There is no index by reporter (it would be
 * one more copy of the address to delete): deletion requests are rare, so the all-tickets index is
 * read in batches, each batch's tickets in one pipelined round trip.
 */
async function ticketsOfChat(deps: ForgetChatDeps, address: ChatAddress): Promise<string[]> {
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
      if (parsed.success && isReporter(parsed.data, address)) found.push(ids[i] as string);
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
    ...(summary.jobsDeleted > 0 ? [`  queue jobs with the address deleted: ${summary.jobsDeleted}`] : []),
    ...(summary.jobsInProgress > 0
      ? [
          `  queue jobs still running, left to finish: ${summary.jobsInProgress} (removed by the queue after a week)`,
        ]
      : []),
  ].join('\n');
}
