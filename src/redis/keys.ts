/**
 * Every Redis key Aduan uses, built in one place (BullMQ's `QueueKeys` idea). A prefix keeps
 * deployments — and parallel test runs — apart on one server.
 *
 * A "chat" is `channel:chatId`, e.g. `web:Qm9…`, `telegram:12345`.
 */
export class Keys {
  constructor(readonly prefix = 'aduan') {}

  /** The BullMQ prefix, so queues share the deployment's namespace. */
  get bull(): string {
    return `${this.prefix}:bull`;
  }

  /**
   * One conversation: a hash of `v` (version), `s` (session JSON), `m` (ids of recent platform
   * messages, for de-duplication), `r` (the per-chat rate window), and the turn outbox: `o` (the
   * last turn's replies), `d` (the last message whose replies were sent), `p` (confirmed reports
   * not yet queued).
   */
  session(chat: string): string {
    return `${this.prefix}:session:${chat}`;
  }
  /** Claimed by the one redelivered copy of a message that sends its turn's replies again (short TTL). */
  resendClaim(chat: string, messageId: string): string {
    return `${this.prefix}:session:${chat}:resend:${messageId}`;
  }
  /** Sorted set of chats with a draft, scored by last activity: who is due a reminder. */
  get idleRemind(): string {
    return `${this.prefix}:idle:remind`;
  }
  /** Sorted set of chats with a draft, scored by last activity: whose draft is due to expire. */
  get idleExpire(): string {
    return `${this.prefix}:idle:expire`;
  }

  /** Sorted set of chats with confirmed reports not yet on the tickets queue (normally empty). */
  get pendingReports(): string {
    return `${this.prefix}:reports:pending`;
  }

  /** One ticket: JSON. */
  ticket(trackingId: string): string {
    return `${this.prefix}:ticket:${trackingId}`;
  }
  /** The ticket's history, a list of JSON events, oldest first. */
  ticketEvents(trackingId: string): string {
    return `${this.prefix}:ticket:${trackingId}:events`;
  }
  /** submission id → tracking id: what makes ticket creation idempotent. */
  ticketBySubmission(submissionId: string): string {
    return `${this.prefix}:submission:${submissionId}`;
  }
  /** Sorted set of an agency's tickets by creation time. */
  ticketsByAgency(agencyId: string): string {
    return `${this.prefix}:tickets:agency:${agencyId}`;
  }
  /** Sorted set of the tickets in one status by creation time. */
  ticketsByStatus(status: string): string {
    return `${this.prefix}:tickets:status:${status}`;
  }
  /** Sorted set of every ticket by creation time. */
  get ticketsAll(): string {
    return `${this.prefix}:tickets:all`;
  }

  /**
   * Set of the stored attachment refs (`file:<sha256>.<ext>`) that some ticket keeps, added in the
   * ticket's own create script: the attachment sweep never deletes a file named here. Never
   * shrinks (tickets are not deleted, nor are their files).
   */
  get attachmentsKept(): string {
    return `${this.prefix}:attachments:kept`;
  }
  /**
   * The one-time filling of `attachmentsKept` from tickets stored before it existed: the index in
   * `ticketsAll` to read next, or `done`. Absent: not started. The sweep deletes no stored file
   * until it is `done`.
   */
  get attachmentsKeptBackfill(): string {
    return `${this.prefix}:attachments:kept:backfill`;
  }
  /**
   * The attachment sweep's progress: a hash of `cursor` (the last file name looked at; the next
   * run goes on after it) and `restUntil` (epoch ms: a finished pass starts the next one no sooner).
   */
  get attachmentsSweep(): string {
    return `${this.prefix}:attachments:sweep`;
  }

  /** Hash: sha256(key) → key record (agency or coordinator). */
  get apiKeys(): string {
    return `${this.prefix}:apikeys`;
  }

  /**
   * An agency's webhook: a hash of `url`, `secret` (stored in the clear: signing needs it) and
   * `createdAt`. Absent: the agency has no webhook.
   */
  webhook(agencyId: string): string {
    return `${this.prefix}:webhook:${agencyId}`;
  }
  /** An inbound webhook signature already used, kept for the replay window so it works once. */
  webhookSeen(agencyId: string, signature: string): string {
    return `${this.prefix}:webhook:${agencyId}:seen:${signature}`;
  }

  /**
   * Web chat: one browser chat's transcript, a capped stream replayed on reconnect. An entry is a
   * bot message (`m`, JSON) or the citizen's own message as the page shows it (`c`, JSON
   * `{messageId, text}`), with `at`.
   */
  webOutbox(chatId: string): string {
    return `${this.prefix}:web:outbox:${chatId}`;
  }
  /** Web chat: pub/sub channel telling every process that an outbox got a message. */
  get webPubSub(): string {
    return `${this.prefix}:web:new`;
  }

  /** Set once a Telegram group was told to talk to the bot privately, so it is told once. */
  telegramGroupNoticed(chatId: string): string {
    return `${this.prefix}:telegram:group:${chatId}`;
  }

  /**
   * WhatsApp: the session lock, `<owner>:<fencing token>` with a time to live. One number has one
   * session, held by one process; the others stand by and take it over when it expires.
   */
  get whatsappLock(): string {
    return `${this.prefix}:whatsapp:lock`;
  }
  /** WhatsApp: the fencing counter; every new holder gets a higher token. */
  get whatsappFence(): string {
    return `${this.prefix}:whatsapp:fence`;
  }
  /** WhatsApp: messages for the session holder to send (list of JSON, oldest first). */
  get whatsappRelay(): string {
    return `${this.prefix}:whatsapp:relay`;
  }
  /**
   * WhatsApp: relay entries the holder has taken and not yet confirmed sent (list, in the order
   * taken); a new holder puts them back at the front of the relay (whatsapp-relay-take-3.lua).
   */
  get whatsappRelayInflight(): string {
    return `${this.prefix}:whatsapp:relay:inflight`;
  }
  /** WhatsApp: the holder's connection state and the QR code to link a number (hash, short-lived). */
  get whatsappStatus(): string {
    return `${this.prefix}:whatsapp:status`;
  }
  /** WhatsApp: set by `aduan whatsapp logout`; the holder logs out and deletes the key. */
  get whatsappLogout(): string {
    return `${this.prefix}:whatsapp:logout`;
  }

  /**
   * WhatsApp Cloud API: epoch ms of a chat's last message to us, kept for 24 hours. Present: the
   * customer-service window is open and free text may be sent; absent: only an approved template.
   */
  whatsappCloudWindow(chatId: string): string {
    return `${this.prefix}:whatsapp:cloud:window:${chatId}`;
  }
  /**
   * WhatsApp Cloud API: one message we sent for a notification (hash: `trackingId`, `event`,
   * `ticketStatus`, `chatId`, `template` '1'/'0', and the time of each delivery status WhatsApp
   * reported — `sent`, `delivered`, `read`, `failed` — with `error` for a failure), for 30 days.
   */
  whatsappCloudMessage(messageId: string): string {
    return `${this.prefix}:whatsapp:cloud:message:${messageId}`;
  }
  /**
   * WhatsApp Cloud API: notifications that went out as a template because the window was closed
   * (list of JSON `{ trackingId, messages }`, oldest first); their full text is sent when the
   * reporter writes again.
   */
  whatsappCloudHeld(chatId: string): string {
    return `${this.prefix}:whatsapp:cloud:held:${chatId}`;
  }
  /**
   * WhatsApp Cloud API: the message ids of a chat's `whatsappCloudMessage` records (sorted set,
   * scored by when each record expires, epoch ms), kept as long as the newest of them: a deletion
   * request finds the records, which are keyed by message id, through it.
   */
  whatsappCloudChatMessages(chatId: string): string {
    return `${this.prefix}:whatsapp:cloud:chat-messages:${chatId}`;
  }

  /**
   * Notifications that failed for good, counted by every worker process: a counter in Redis rather
   * than in one process's memory, as a `--role worker` process serves no /metrics of its own.
   */
  get notificationsFailed(): string {
    return `${this.prefix}:metrics:notifications-failed`;
  }
}
