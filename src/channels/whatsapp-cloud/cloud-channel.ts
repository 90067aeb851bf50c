import express, { type Request, type Response, type Router } from 'express';
import { AttachmentRejected, type AttachmentStore } from '../../attachments/attachment-store.ts';
import type { Inbound, Lang, MediaRef, Outbound } from '../../engine/types.ts';
import type { InboundEnvelope, InboundOutcome } from '../../inbound/inbound-chain.ts';
import { hashId, type Logger } from '../../log/logger.ts';
import { STATUS_LABELS, type Status } from '../../tickets/lifecycle.ts';
import { type ChannelAdapter, PermanentDeliveryError, type SendContext } from '../channel.ts';
import { rejectedReply, unsupportedReply, WHATSAPP_REPLIES } from '../whatsapp/whatsapp-replies.ts';
import { type CloudEvent, notificationToEvents } from './cloud-inbound.ts';
import { type CloudMessage, renderForCloud, templateMessage } from './cloud-outbound.ts';
import { handshakeChallenge, verifyMetaSignature } from './cloud-signature.ts';
import type { CloudState, HeldNotice, SentNotice } from './cloud-state.ts';
import { type GraphClient, MediaTooLargeError } from './graph-client.ts';
import { GraphError, graphErrorAction } from './graph-errors.ts';

/** Where Meta calls: the webhook URL is `PUBLIC_URL` + this path. */
export const WHATSAPP_CLOUD_WEBHOOK_PATH = '/whatsapp/webhook';

/** An approved message template: its name and language code as submitted to Meta. */
export interface CloudTemplate {
  name: string;
  language: string;
}

export interface WhatsAppCloudChannelOptions {
  graph: GraphClient;
  state: CloudState;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  /** Templates for a reporter outside the 24-hour window: an agency's reply, and every other notice. */
  templates: { status: CloudTemplate; reply: CloudTemplate };
  /** The inbound chain. */
  handle: (envelope: InboundEnvelope) => Promise<InboundOutcome>;
  /** The chat's language, and whether its current question asks for files (nothing else is downloaded). */
  chatState: (chatId: string) => Promise<{ lang: Lang; expectsFiles: boolean }>;
  attachments: AttachmentStore;
  /** Records on the ticket that a notification failed; `reporterGone` when the number cannot receive at all. */
  onDeliveryFailed: (trackingId: string, reason: string, reporterGone: boolean) => Promise<void>;
  /**
   * Whether a ticket's reporter may still be notified (false once their data was deleted). Asked
   * before what the channel sends about a ticket on its own: the template after a failed status,
   * and held notices.
   */
  mayNotify: (trackingId: string) => Promise<boolean>;
  logger: Logger;
  /** The clock of the 24-hour window (epoch ms); tests move it. */
  now?: () => number;
  /** Waits before sending again after a rate limit, within one send; then the caller's retry takes over. */
  retryDelaysMs?: readonly number[];
}

/** A web-transport chat id (`6281…@c.us`) names the same number: a ticket made before a switch still reaches its reporter. */
function recipient(chatId: string): string | null {
  const digits = chatId.replace(/@c\.us$/, '');
  return /^\d{5,20}$/.test(digits) ? digits : null;
}

/**
 * The WhatsApp channel over the official WhatsApp Business Cloud API (Meta's Graph API). Stateless
 * over HTTP, so any process sends and any instance behind a load balancer takes the webhook; the
 * little state it needs (each chat's window, sent notifications, held notices) is in Redis.
 *
 * - Inbound: Meta's verification handshake, then notifications signed with the app secret
 *   (`X-Hub-Signature-256`, checked on the raw bytes in constant time). Messages go through the
 *   inbound chain (de-duplicated by WhatsApp's message id, as Meta delivers again after an error).
 *   Photos and documents are fetched from the Graph media endpoint as they arrive, checked and
 *   stored like web uploads: the citizen hears at once when a file cannot be kept.
 * - Outbound: buttons, lists or numbered text (see `renderForCloud`). A notification to a reporter
 *   outside the 24-hour window goes as the approved template, and its full text waits until the
 *   reporter writes again. Errors map through `graphErrorAction`.
 * - Statuses (sent, delivered, read, failed) are recorded on the notification they belong to; a
 *   failed one is recorded on the ticket.
 * - Nothing the channel sends about a ticket on its own (a template after a failed status, held
 *   notices) reaches a reporter whose data was deleted (`mayNotify`).
 */
export class WhatsAppCloudChannel implements ChannelAdapter {
  readonly name = 'whatsapp';
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly options: WhatsAppCloudChannelOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger;
  }

  async send(chatId: string, messages: readonly Outbound[], context?: SendContext): Promise<void> {
    const to = recipient(chatId);
    if (!to) throw new PermanentDeliveryError(this.name, 'not a phone number the Cloud API can reach');
    const notice = context?.trackingId ? { ...context, trackingId: context.trackingId } : null;
    if (notice && !(await this.options.state.windowOpen(to, this.now())))
      return this.sendTemplate(to, messages, notice);
    const { lang } = await this.options.chatState(chatId).catch(() => ({ lang: 'id' as Lang }));
    for (const [i, message] of messages.entries()) {
      for (const part of renderForCloud(message, lang)) {
        let id: string;
        try {
          id = await this.post(to, part);
        } catch (err) {
          const action = err instanceof GraphError ? graphErrorAction(err) : 'retry';
          // Our clock said the window was open, WhatsApp's says closed: the template it is.
          if (action === 'template' && notice) return this.sendTemplate(to, messages.slice(i), notice);
          throw this.classify(err, action);
        }
        if (notice) await this.remember(id, to, notice, false);
      }
    }
  }

  /** The express routes Meta calls: the verification handshake (GET) and notifications (POST). */
  webhookRouter(): Router {
    const router = express.Router();
    router.get(WHATSAPP_CLOUD_WEBHOOK_PATH, (req, res) => {
      const challenge = handshakeChallenge(req.query as Record<string, unknown>, this.options.verifyToken);
      if (challenge === null) {
        res.status(403).json({ error: { code: 'forbidden', message: 'Wrong or missing verify token.' } });
        return;
      }
      res.status(200).type('text/plain').send(challenge);
    });
    // Raw bytes: the signature covers the body exactly as sent.
    router.post(WHATSAPP_CLOUD_WEBHOOK_PATH, express.raw({ type: () => true, limit: '3mb' }), (req, res) =>
      this.onNotification(req, res),
    );
    return router;
  }

  // ─── receiving ───────────────────────────────────────────────────────────────────────────

  private async onNotification(req: Request, res: Response): Promise<void> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifyMetaSignature(this.options.appSecret, req.get('x-hub-signature-256'), raw)) {
      res
        .status(401)
        .json({ error: { code: 'unauthorized', message: 'Wrong or missing X-Hub-Signature-256.' } });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      res.status(400).json({ error: { code: 'invalid_request', message: 'The body is not JSON.' } });
      return;
    }
    const events = notificationToEvents(body, this.options.phoneNumberId);
    if (!events) {
      res.status(400).json({
        error: { code: 'invalid_request', message: 'Not a WhatsApp Business Account notification.' },
      });
      return;
    }
    // One chat's messages in the order Meta listed them; chats side by side. An error answers 500
    // and Meta delivers the notification again (messages are de-duplicated by their id).
    const byChat = new Map<string, Exclude<CloudEvent, { kind: 'ignore' }>[]>();
    for (const event of events) {
      if (event.kind === 'ignore') {
        this.log.debug({ reason: event.reason }, 'whatsapp cloud item ignored');
        continue;
      }
      const chat = event.kind === 'status' ? `status:${event.messageId}` : event.chatId;
      byChat.set(chat, [...(byChat.get(chat) ?? []), event]);
    }
    await Promise.all(
      [...byChat.values()].map(async (list) => {
        for (const event of list) await this.onEvent(event);
      }),
    );
    res.status(200).json({ ok: true });
  }

  private async onEvent(event: Exclude<CloudEvent, { kind: 'ignore' }>): Promise<void> {
    if (event.kind === 'status') return this.onStatus(event);
    const { chatId, messageId } = event;
    // The window runs from when the citizen sent it, not from when the webhook came (Meta retries late).
    await this.options.state.recordInbound(chatId, Math.min(event.sentAtMs, this.now()));
    await this.deliverHeld(chatId);
    const deliver = (inbound: Inbound) =>
      this.options.handle({ channel: this.name, chatId, messageId, inbound });
    switch (event.kind) {
      case 'inbound':
        await deliver(event.inbound);
        return;
      case 'unsupported': {
        const { lang } = await this.options.chatState(chatId);
        return this.reply(chatId, unsupportedReply(event.what, lang));
      }
      case 'media': {
        const { lang, expectsFiles } = await this.options.chatState(chatId);
        // Not asked for: not downloaded, so nobody can fill the disk with unasked-for files.
        if (!expectsFiles) return this.reply(chatId, WHATSAPP_REPLIES.notAskingFiles[lang]);
        const stored = await this.download(event);
        if ('reply' in stored) return this.reply(chatId, rejectedReply(stored.reply, lang));
        await deliver({ kind: 'media', media: stored, ...(event.caption ? { caption: event.caption } : {}) });
        return;
      }
    }
  }

  /** Fetches a photo or document from the Graph media endpoint and stores it with the store's rules. */
  private async download(
    event: Extract<CloudEvent, { kind: 'media' }>,
  ): Promise<MediaRef | { reply: AttachmentRejected['code'] }> {
    try {
      const media = await this.options.graph.media(event.mediaId);
      const saved = await this.options.attachments.put(media.bytes, media.mimeType ?? event.mimeType ?? '');
      return event.fileName ? { ...saved, fileName: event.fileName } : saved;
    } catch (err) {
      if (err instanceof MediaTooLargeError) return { reply: 'too_large' };
      if (err instanceof AttachmentRejected) return { reply: err.code };
      this.log.warn(
        { chat: hashId(`whatsapp:${event.chatId}`), error: (err as Error).message },
        'whatsapp cloud media not fetched',
      );
      // The citizen sends again; WhatsApp would not redeliver a message we answered 200 to.
      return { reply: 'empty_file' };
    }
  }

  /** Statuses of our notifications; a failure is recorded on the ticket (or answered with the template). */
  private async onStatus(event: Extract<CloudEvent, { kind: 'status' }>): Promise<void> {
    const error = event.error ? `${event.error.code} ${event.error.title}`.trim() : undefined;
    const recorded = await this.options.state.recordStatus(event.messageId, event.status, event.atMs, error);
    if (!recorded || event.status !== 'failed' || !recorded.first) return;
    const { notice } = recorded;
    const action = event.error
      ? graphErrorAction(new GraphError(400, event.error.code, event.error.title))
      : 'failed';
    this.log.warn(
      { trackingId: notice.trackingId, code: event.error?.code ?? null, action },
      'whatsapp cloud notification failed',
    );
    if (action === 'template' && !notice.template) {
      const context = { trackingId: notice.trackingId, event: notice.event, status: notice.ticketStatus };
      try {
        // The reporter may have had their data deleted since it was sent: nothing more goes to the
        // number, and the record that still holds it goes too.
        if (!(await this.options.mayNotify(notice.trackingId))) {
          await this.options.state.forgetMessage(event.messageId, notice.chatId);
          this.log.info(
            { trackingId: notice.trackingId },
            'whatsapp cloud template not sent: reporter erased',
          );
          return;
        }
        await this.sendTemplate(notice.chatId, [], context);
      } catch (err) {
        await this.options.onDeliveryFailed(notice.trackingId, `whatsapp: ${(err as Error).message}`, false);
      }
      return;
    }
    await this.options.onDeliveryFailed(
      notice.trackingId,
      `whatsapp: ${error ?? 'failed'}`,
      action === 'gone',
    );
  }

  // ─── sending ─────────────────────────────────────────────────────────────────────────────

  /**
   * The approved template for a notification outside the window: `{{1}}` the tracking number,
   * `{{2}}` the status. The full messages are held and sent when the reporter writes again.
   */
  private async sendTemplate(
    to: string,
    messages: readonly Outbound[],
    notice: SendContext & { trackingId: string },
  ): Promise<void> {
    const template = notice.event === 'reply' ? this.options.templates.reply : this.options.templates.status;
    const lang: Lang = template.language.startsWith('en') ? 'en' : 'id';
    const status = STATUS_LABELS[notice.status as Status]?.[lang] ?? notice.status ?? '-';
    let id: string;
    try {
      id = await this.post(to, templateMessage(template, [notice.trackingId, status]));
    } catch (err) {
      const action = err instanceof GraphError ? graphErrorAction(err) : 'retry';
      // Outside the window a template is the only way: its refusal is this message's end.
      throw this.classify(err, action === 'template' ? 'failed' : action, `template ${template.name}`);
    }
    await this.remember(id, to, notice, true);
    if (messages.length > 0)
      await this.options.state.hold(to, { trackingId: notice.trackingId, messages: [...messages] });
  }

  /**
   * Sends what waited for the reporter's next message, before the answer to it; a notice whose
   * reporter had their data deleted meanwhile is dropped.
   */
  private async deliverHeld(chatId: string): Promise<void> {
    const held = await this.options.state.takeHeld(chatId);
    if (held.length === 0) return;
    let pending = held;
    try {
      pending = await this.stillNotifiable(held);
      if (pending.length > 0)
        await this.send(
          chatId,
          pending.flatMap((notice) => notice.messages),
        );
    } catch (err) {
      this.log.warn(
        { chat: hashId(`whatsapp:${chatId}`), error: (err as Error).message },
        'whatsapp cloud held notifications not sent; kept',
      );
      for (const notice of pending) await this.options.state.hold(chatId, notice);
    }
  }

  /** The held notices whose reporter may still be notified (one held before notices named their ticket is). */
  private async stillNotifiable(held: readonly HeldNotice[]): Promise<HeldNotice[]> {
    const allowed = new Map<string, boolean>();
    for (const { trackingId } of held)
      if (trackingId !== null && !allowed.has(trackingId))
        allowed.set(trackingId, await this.options.mayNotify(trackingId));
    const dropped = [...allowed].filter(([, ok]) => !ok).map(([trackingId]) => trackingId);
    if (dropped.length > 0)
      this.log.info({ trackingIds: dropped }, 'whatsapp cloud held notifications dropped: reporter erased');
    return held.filter(({ trackingId }) => trackingId === null || allowed.get(trackingId));
  }

  private async reply(chatId: string, text: string): Promise<void> {
    await this.send(chatId, [{ text }]);
  }

  private async remember(
    id: string,
    to: string,
    notice: SendContext & { trackingId: string },
    template: boolean,
  ) {
    const sent: SentNotice = {
      trackingId: notice.trackingId,
      event: notice.event ?? '',
      ticketStatus: notice.status ?? '',
      chatId: to,
      template,
    };
    await this.options.state.remember(id, sent);
  }

  /** One message to the Graph API, sent again after a short wait when WhatsApp says "too fast". */
  private async post(to: string, message: CloudMessage): Promise<string> {
    const delays = this.options.retryDelaysMs ?? [1_000, 3_000];
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.graph.send(to, message);
      } catch (err) {
        const again = err instanceof GraphError && graphErrorAction(err) === 'retry' && err.httpStatus !== 0;
        const delay = delays[attempt];
        if (!again || delay === undefined) throw err;
        this.log.info(
          { code: (err as GraphError).code, attempt: attempt + 1 },
          'whatsapp cloud rate limited; waiting',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private classify(err: unknown, action: string, what = 'message'): unknown {
    const reason = `${what}: ${err instanceof GraphError ? `${err.code || err.httpStatus} ${err.title}` : String(err)}`;
    if (action === 'gone') return new PermanentDeliveryError(this.name, reason);
    if (action === 'failed' || action === 'template')
      return new PermanentDeliveryError(this.name, reason, { reporterGone: false });
    return err;
  }
}
