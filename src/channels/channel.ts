import type { Inbound, Outbound } from '../engine/types.ts';

/**
 * One chat platform behind one interface. Adapters only translate — platform update ⇄ `Inbound`,
 * `Outbound` ⇄ the platform's message — and know nothing about flows.
 *
 * Inbound goes the other way: an adapter hands each update to the inbound chain it was given.
 */
export interface ChannelAdapter {
  /** The channel's name in chat keys and tickets: `web`, `telegram`, `whatsapp`. */
  readonly name: string;
  /**
   * Delivers messages to one chat, in order. Throws `PermanentDeliveryError` when the chat can no
   * longer be reached (retrying is pointless); any other error is treated as transient and retried.
   */
  send(chatId: string, messages: readonly Outbound[], context?: SendContext): Promise<void>;
  /**
   * True for a channel that keeps the conversation's transcript itself (the web chat: its page is
   * drawn again from it on a reload). Such a channel's `send` is also given the citizen's message
   * a turn answers (`SendContext.inReplyTo`), even when the turn has no reply.
   */
  readonly keepsTranscript?: boolean;
}

/**
 * What a message is about, when it is a notification of a ticket (the notifications worker passes
 * it). Most adapters ignore it; WhatsApp's Cloud API needs it to pick the approved template that
 * may reach a reporter outside the 24-hour window, and to record delivery statuses on the ticket.
 */
export interface SendContext {
  trackingId?: string;
  /** The ticket event being announced: `created`, `status_changed`, `reply`, `rerouted`. */
  event?: string;
  /** The ticket's status when the notification was made. */
  status?: string;
  /**
   * The citizen's message that these messages answer, for a channel that `keepsTranscript`: it
   * goes into the transcript first, in the same write as the replies. Given by the inbound chain
   * with a turn's replies only: once the message is accepted (not a duplicate, not refused), and
   * again only when a redelivered copy sends the turn's replies again.
   */
  inReplyTo?: { messageId: string; inbound: Inbound; shown?: string };
}

/**
 * Delivery failed for good. Usually the chat is gone (the user blocked the bot, deleted the
 * account, the number left WhatsApp): `reporterGone`, and nothing more is sent to it. A failure of
 * our own making (a WhatsApp template not approved) is permanent for this message only.
 */
export class PermanentDeliveryError extends Error {
  readonly reporterGone: boolean;
  constructor(
    readonly channel: string,
    readonly reason: string,
    options: { reporterGone?: boolean } = {},
  ) {
    super(`${channel}: permanent delivery failure: ${reason}`);
    this.name = 'PermanentDeliveryError';
    this.reporterGone = options.reporterGone ?? true;
  }
}

/** The adapters this process can deliver through, by channel name. */
export class ChannelRegistry {
  private readonly adapters = new Map<string, ChannelAdapter>();

  register(adapter: ChannelAdapter): this {
    this.adapters.set(adapter.name, adapter);
    return this;
  }

  get(name: string): ChannelAdapter | undefined {
    return this.adapters.get(name);
  }

  names(): string[] {
    return [...this.adapters.keys()];
  }
}
