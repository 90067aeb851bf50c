// A stand-in for Meta's Graph API (WhatsApp Cloud API), over real HTTP on loopback: it records
// every message sent, answers as the messages endpoint does, serves media through the two-step
// media endpoint, and can be told to refuse the next sends with a given error code. Beside it,
// `MetaWebhook` posts notifications to Aduan the way Meta does: the documented payload shape,
// signed with the app secret in X-Hub-Signature-256.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';

export const GRAPH_VERSION = 'v21.0';

/** One message Aduan sent, as the Graph API received it. */
export interface SentMessage {
  id: string;
  to: string;
  type: string;
  body: Record<string, unknown>;
}

/** An error the emulator answers instead of sending (Meta's error object). */
export interface ScriptedError {
  code: number;
  httpStatus?: number;
  title?: string;
}

export interface GraphEmulator {
  /** The base URL for WHATSAPP_GRAPH_API_URL (with the version). */
  baseUrl: string;
  phoneNumberId: string;
  accessToken: string;
  sent: SentMessage[];
  /** Requests refused for a wrong token. */
  unauthorized: number;
  /** The next `times` sends (to `to`, or anyone) answer this error. */
  failNext(error: ScriptedError, options?: { times?: number; to?: string }): void;
  /** Makes a file available as a media id, as WhatsApp does for a received photo. */
  addMedia(bytes: Buffer, mimeType: string): string;
  /** Media downloads served. */
  mediaDownloads: number;
  sentTo(to: string): SentMessage[];
  close(): Promise<void>;
}

/** The text a citizen sees in a sent message, whatever its kind. */
export function visibleText(m: SentMessage): string {
  const b = m.body as {
    text?: { body: string };
    interactive?: { body?: { text: string } };
    template?: { name: string };
  };
  return b.text?.body ?? b.interactive?.body?.text ?? (b.template ? `[template ${b.template.name}]` : '');
}

export async function startGraphEmulator(): Promise<GraphEmulator> {
  const phoneNumberId = String(100_000_000_000_000 + Math.floor(Math.random() * 1e12));
  const accessToken = `EAAG${randomBytes(24).toString('hex')}`;
  const sent: SentMessage[] = [];
  const media = new Map<string, { bytes: Buffer; mimeType: string }>();
  const scripted: (ScriptedError & { to?: string })[] = [];
  let counter = 0;
  const state = { unauthorized: 0, mediaDownloads: 0 };
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  const authorized = (req: express.Request, res: express.Response): boolean => {
    if (req.get('authorization') === `Bearer ${accessToken}`) return true;
    state.unauthorized++;
    res.status(401).json({
      error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190, fbtrace_id: 'x' },
    });
    return false;
  };
  app.post(`/${GRAPH_VERSION}/:phone/messages`, (req, res) => {
    if (!authorized(req, res)) return;
    const body = req.body as Record<string, unknown>;
    if (req.params.phone !== phoneNumberId || body.messaging_product !== 'whatsapp') {
      res.status(400).json({ error: { message: 'Invalid parameter', type: 'OAuthException', code: 100 } });
      return;
    }
    const to = String(body.to);
    const at = scripted.findIndex((e) => !e.to || e.to === to);
    if (at >= 0) {
      const [error] = scripted.splice(at, 1);
      res.status(error?.httpStatus ?? 400).json({
        error: {
          message: error?.title ?? `(#${error?.code}) scripted error`,
          type: 'OAuthException',
          code: error?.code,
          error_data: { messaging_product: 'whatsapp', details: error?.title ?? 'scripted' },
          fbtrace_id: 'AbCdEf',
        },
      });
      return;
    }
    const id = `wamid.HBgM${(++counter).toString().padStart(6, '0')}${randomBytes(6).toString('hex').toUpperCase()}`;
    sent.push({ id, to, type: String(body.type), body });
    res.json({ messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id }] });
  });
  app.get(`/${GRAPH_VERSION}/:mediaId`, (req, res) => {
    if (!authorized(req, res)) return;
    const file = media.get(req.params.mediaId);
    if (!file) {
      res
        .status(404)
        .json({ error: { message: 'Unsupported get request.', type: 'GraphMethodException', code: 100 } });
      return;
    }
    res.json({
      messaging_product: 'whatsapp',
      url: `${baseUrl.replace(`/${GRAPH_VERSION}`, '')}/lookaside/${req.params.mediaId}`,
      mime_type: file.mimeType,
      sha256: createHash('sha256').update(file.bytes).digest('hex'),
      file_size: String(file.bytes.length),
      id: req.params.mediaId,
    });
  });
  app.get('/lookaside/:mediaId', (req, res) => {
    if (!authorized(req, res)) return;
    const file = media.get(req.params.mediaId);
    if (!file) {
      res.sendStatus(404);
      return;
    }
    state.mediaDownloads++;
    res.type(file.mimeType).send(file.bytes);
  });
  const server = await new Promise<Server>((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}/${GRAPH_VERSION}`;
  return {
    baseUrl,
    phoneNumberId,
    accessToken,
    sent,
    get unauthorized() {
      return state.unauthorized;
    },
    get mediaDownloads() {
      return state.mediaDownloads;
    },
    failNext(error, options = {}) {
      for (let i = 0; i < (options.times ?? 1); i++)
        scripted.push({ ...error, ...(options.to ? { to: options.to } : {}) });
    },
    addMedia(bytes, mimeType) {
      const id = String(1_000_000_000_000 + media.size + Math.floor(Math.random() * 1e9));
      media.set(id, { bytes, mimeType });
      return id;
    },
    sentTo: (to) => sent.filter((m) => m.to === to),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Posts webhook notifications to Aduan as Meta does. */
export class MetaWebhook {
  private seq = 0;
  constructor(
    private readonly url: string,
    private readonly appSecret: string,
    private readonly phoneNumberId: string,
  ) {}

  /** Signs and posts a raw body; `secret` forges the signature with another key. */
  async post(body: string, options: { secret?: string; signature?: string | null } = {}): Promise<Response> {
    const signature =
      options.signature === undefined
        ? `sha256=${createHmac('sha256', options.secret ?? this.appSecret)
            .update(body)
            .digest('hex')}`
        : options.signature;
    return fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'facebookexternalua',
        ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
      },
      body,
    });
  }

  /** The notification envelope around a `value` (messages or statuses). */
  envelope(value: Record<string, unknown>): string {
    return JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '6281100000000', phone_number_id: this.phoneNumberId },
                ...value,
              },
            },
          ],
        },
      ],
    });
  }

  /** A message from `from`: `content` is the type-specific part, e.g. `{ type: 'text', text: { body } }`. */
  message(
    from: string,
    content: Record<string, unknown>,
    id = `wamid.IN${++this.seq}${randomBytes(4).toString('hex')}`,
  ) {
    return {
      id,
      body: this.envelope({
        contacts: [{ profile: { name: 'Warga' }, wa_id: from }],
        messages: [{ from, id, timestamp: String(Math.floor(Date.now() / 1000)), ...content }],
      }),
    };
  }

  /** A delivery status of a message Aduan sent. */
  status(messageId: string, recipient: string, status: string, error?: { code: number; title: string }) {
    return this.envelope({
      statuses: [
        {
          id: messageId,
          status,
          timestamp: String(Math.floor(Date.now() / 1000)),
          recipient_id: recipient,
          ...(status === 'sent'
            ? {
                conversation: { id: 'c1', origin: { type: 'utility' } },
                pricing: { billable: true, category: 'utility' },
              }
            : {}),
          ...(error ? { errors: [{ code: error.code, title: error.title, message: error.title }] } : {}),
        },
      ],
    });
  }
}
