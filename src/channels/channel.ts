import type { Outbound } from '../engine/types.ts';

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
  send(chatId: string, messages: readonly Outbound[]): Promise<void>;
}

/** The chat is gone for good: the user blocked the bot, deleted the account, the number left WhatsApp. */
export class PermanentDeliveryError extends Error {
  constructor(
    readonly channel: string,
    readonly reason: string,
  ) {
    super(`${channel}: permanent delivery failure: ${reason}`);
    this.name = 'PermanentDeliveryError';
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
