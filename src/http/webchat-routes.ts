import express, { type Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import {
  ATTACHMENT_TYPES,
  AttachmentRejected,
  type AttachmentStore,
  MAX_ATTACHMENT_BYTES,
  STORED_REF,
} from '../attachments/attachment-store.ts';
import type { WebChatHub } from '../channels/web/web-chat.ts';
import type { InboundChain } from '../inbound/inbound-chain.ts';
import { withBodyDeadline } from './body-deadline.ts';
import { ConcurrencyCap } from './concurrency-cap.ts';
import { ApiError, parseBody } from './errors.ts';

/** 32 random bytes, base64url: the only key to a browser's conversation, so it must be unguessable. */
export const webChatIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'expected 43 base64url characters (32 random bytes)');

/** How long a web chat post may take before it is answered 503 (and sent again by the page). */
const TURN_DEADLINE_MS = 15_000;

/** Longest message a citizen can type in the web chat. */
export const MAX_TEXT = 4000;

/**
 * Uploads one process reads at once: each body is held in memory whole (up to 10 MB) until it is
 * checked and written, so this bounds that memory. More are answered 503 and the page retries.
 */
export const MAX_UPLOADS_IN_PROGRESS = 8;

/**
 * Uploads one address may have read at once in this process: half of `MAX_UPLOADS_IN_PROGRESS`,
 * so slow clients from one address cannot take every slot. The page sends one file at a time, but
 * Indonesian mobile carriers put many phones behind one address (carrier-grade NAT), and several
 * citizens sending a photo at once must not be refused; more than this are answered 429.
 */
export const MAX_UPLOADS_PER_ADDRESS = 4;

/**
 * How long reading one upload's body may take: 10 MB in 60 s is about 170 kB/s, which a slow
 * mobile link still makes. Past it the upload is answered 408 and its slot is free again (else a
 * client sending a byte now and then would hold it until Node's request timeout, five minutes).
 */
export const UPLOAD_READ_MS = 60_000;

const inboundSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('text'), text: z.string().min(1).max(MAX_TEXT) }),
  // `label`: the button's text as the page drew it, for the transcript (the citizen's own view).
  z.strictObject({
    kind: z.literal('choice'),
    payload: z.string().min(1).max(120),
    label: z.string().min(1).max(120).optional(),
  }),
  z.strictObject({
    kind: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  }),
  // A file is named by the ref its upload returned; its type and size are what the store recorded
  // for it. `mimeType` and `size` are still accepted (a page loaded before they were dropped sends
  // them) but never used.
  z.strictObject({
    kind: z.literal('media'),
    media: z.strictObject({
      ref: z.string().regex(STORED_REF, 'expected a ref returned by /chat/uploads'),
      mimeType: z.string().max(100).optional(),
      size: z.number().optional(),
      fileName: z.string().max(200).optional(),
    }),
  }),
  z.strictObject({ kind: z.literal('start') }),
]);

const postSchema = z.strictObject({
  chatId: webChatIdSchema,
  messageId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'expected 8–64 letters, digits or -'),
  inbound: inboundSchema,
});

export interface WebChatRoutesDeps {
  chain: InboundChain;
  hub: WebChatHub;
  /** Where uploads are stored, by content hash. */
  attachments: AttachmentStore;
  /** Whether this chat is at a question that takes files: uploads are refused at any other time. */
  expectsFiles: (chatId: string) => Promise<boolean>;
  /** Requests one address may make per minute to the web chat (generous: mobile carriers share addresses). */
  requestsPerMinutePerIp: number;
  /** Event streams one address may hold open at once in this process. */
  streamsPerIp: number;
  /** Event streams open at once in this process, all addresses together. */
  streamsPerProcess: number;
  /** Uploads read at once in this process; default `MAX_UPLOADS_IN_PROGRESS`. */
  uploadsInProgress?: number;
  /** How long reading one upload's body may take (ms); default `UPLOAD_READ_MS`. */
  uploadReadMs?: number;
}

/**
 * The web chat's HTTP side: the page posts each message (`POST /chat/messages`), receives replies
 * as server-sent events (`GET /chat/events`), and uploads attachments (`POST /chat/uploads`). The
 * event stream is the conversation's transcript: the citizen's accepted messages come in it too
 * (recorded by the inbound chain with their turn's replies), so a reload shows both sides.
 */
export function webChatRoutes(deps: WebChatRoutesDeps): Router {
  const router = express.Router();
  // Per address, before any work: a flood of made-up chat ids must not fill Redis or the disk.
  // Uploads get a tighter limit of their own (each may be 10 MB).
  const perIp = rateLimit({
    windowMs: 60_000,
    limit: deps.requestsPerMinutePerIp,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json({
        error: {
          code: 'rate_limited',
          message:
            'Mohon maaf, terlalu banyak permintaan dari alamat ini. Silakan coba lagi sebentar lagi. / Too many requests from this address; please try again shortly.',
        },
      });
    },
  });
  const uploadsPerIp = rateLimit({
    windowMs: 10 * 60_000,
    limit: 60,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json({
        error: {
          code: 'rate_limited',
          message:
            'Mohon maaf, terlalu banyak berkas dari alamat ini. Silakan coba lagi nanti. / Too many uploads from this address; please try again later.',
        },
      });
    },
  });
  router.use('/chat', perIp);
  // What is held open rather than requested: sockets and Redis reads (streams), memory (uploads).
  const streams = new ConcurrencyCap({ perClient: deps.streamsPerIp, perProcess: deps.streamsPerProcess });
  const uploads = new ConcurrencyCap({
    perClient: MAX_UPLOADS_PER_ADDRESS,
    perProcess: deps.uploadsInProgress ?? MAX_UPLOADS_IN_PROGRESS,
  });
  const readUpload = withBodyDeadline(
    express.raw({ type: Object.keys(ATTACHMENT_TYPES), limit: MAX_ATTACHMENT_BYTES }),
    deps.uploadReadMs ?? UPLOAD_READ_MS,
    (_req, res) => {
      res.status(408).json({
        error: {
          code: 'upload_timeout',
          message:
            'Mohon maaf, berkas terlalu lama terkirim sehingga pengunggahan dihentikan. Silakan kirim ulang, atau kirim berkas yang lebih kecil. / The file took too long to arrive, so the upload was stopped; please send it again, or send a smaller file.',
        },
      });
    },
  );

  router.post('/chat/messages', express.json({ limit: '32kb' }), async (req, res) => {
    const body = parseBody(postSchema, req.body);
    // A button's label goes to the transcript, not to the engine (which answers by the payload).
    const { inbound, shown } =
      body.inbound.kind === 'choice'
        ? { inbound: { kind: 'choice' as const, payload: body.inbound.payload }, shown: body.inbound.label }
        : body.inbound.kind === 'media'
          ? { inbound: await storedMedia(deps.attachments, body.inbound.media), shown: undefined }
          : { inbound: body.inbound, shown: undefined };
    const handling = deps.chain.handle({
      channel: 'web',
      chatId: body.chatId,
      messageId: body.messageId,
      inbound,
      ...(shown ? { shown } : {}),
    });
    // A turn that cannot finish in time (Redis restarting) is answered 503; the page sends the same
    // message again, which is safe: it is handled once, and its replies are sent once.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, TURN_DEADLINE_MS, 'timeout');
    });
    const outcome = await Promise.race([handling, deadline]).finally(() => clearTimeout(timer));
    if (outcome === 'timeout') {
      handling.catch(() => undefined);
      res.set('retry-after', '5');
      throw new ApiError(
        503,
        'busy',
        'Mohon maaf, layanan sedang sibuk; pesan akan dikirim ulang. / Sorry, the service is busy; the message will be sent again.',
      );
    }
    if (outcome === 'rate_limited') {
      throw new ApiError(
        429,
        'rate_limited',
        'Mohon maaf, kami menerima terlalu banyak pesan dalam waktu singkat. Silakan tunggu sebentar, lalu kirim kembali. / Sorry, we received too many messages in a short time; please wait a moment and send again.',
      );
    }
    res.status(202).json({ outcome });
  });

  router.get('/chat/events', (req, res) => {
    const chatId = parseBody(webChatIdSchema, req.query.chatId, 'chatId');
    // A page that opens a new EventSource (its last one was refused and closed) cannot set this
    // header, so it names the id in the query. The header wins: the browser sends it on its own
    // reconnects, with a newer id than the one in the URL.
    const lastEventId =
      req.get('last-event-id') ??
      (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined);
    const lastId = lastEventId && /^\d{1,20}-\d{1,20}$/.test(lastEventId) ? lastEventId : undefined;
    // Chat ids cost nothing to make up, so the cap per chat alone does not bound what is open. An
    // IPv6 client is its /56, as for uploads: one host has many addresses.
    const slot = streams.acquire(ipKeyGenerator(req.ip ?? ''));
    if (slot === 'per_client')
      throw new ApiError(
        429,
        'too_many_streams_from_address',
        `This address already has ${deps.streamsPerIp} open event streams; close one first.`,
      );
    if (slot === 'per_process') {
      res.set('retry-after', '30');
      throw new ApiError(
        429,
        'streams_full',
        'The server has as many open event streams as it can hold; please try again later.',
      );
    }
    let keepAlive: NodeJS.Timeout | undefined;
    const stop = deps.hub.listen(
      chatId,
      lastId,
      // Bot messages are `message` events, the citizen's own (for the transcript) `citizen` events.
      (entries) => {
        for (const { event, data } of entries)
          res.write(`id: ${data.id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      () => res.end(),
    );
    if (!stop) {
      slot.release();
      throw new ApiError(429, 'too_many_streams', 'This chat has too many open event streams.', 'chatId');
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Tell proxies (nginx) not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\nevent: ready\ndata: {}\n\n');
    // A comment every 25 s keeps idle connections open through proxies and mobile networks.
    keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      stop();
      slot.release();
    });
  });

  router.post(
    '/chat/uploads',
    uploadsPerIp,
    async (req, res, next) => {
      // Checked before the body is read: a file nobody asked for is never written to disk.
      const chatId = parseBody(webChatIdSchema, req.query.chatId, 'chatId');
      if (!(await deps.expectsFiles(chatId))) {
        throw new ApiError(
          409,
          'not_expected',
          'Mohon maaf, saat ini belum ada pertanyaan yang meminta berkas. / No question is asking for a file right now.',
          'chatId',
        );
      }
      // Counted from before the body is read until the answer is sent or the upload is abandoned
      // (or takes too long: `readUpload` answers it then). An IPv6 client is its /56, as the
      // upload rate limit keys it: one host has many addresses.
      const slot = uploads.acquire(ipKeyGenerator(req.ip ?? ''));
      if (slot === 'per_client') {
        res.set('retry-after', '10');
        throw new ApiError(
          429,
          'too_many_uploads_from_address',
          'Mohon maaf, sedang ada berkas lain yang diunggah dari alamat ini. Silakan kirim ulang sebentar lagi. / Other uploads from this address are in progress; please send again shortly.',
        );
      }
      if (slot === 'per_process') {
        res.set('retry-after', '5');
        throw new ApiError(
          503,
          'uploads_busy',
          'Mohon maaf, sedang banyak berkas yang diunggah. Berkas akan dikirim ulang. / Too many uploads in progress; the file will be sent again.',
        );
      }
      res.on('close', slot.release);
      next();
    },
    readUpload,
    async (req, res) => {
      const mimeType = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      // express.raw only parses the accepted types: anything else arrives without a Buffer body.
      if (!Buffer.isBuffer(req.body)) {
        throw new ApiError(
          415,
          'unsupported_type',
          `Accepted types: ${Object.keys(ATTACHMENT_TYPES).join(', ')}.`,
          'content-type',
        );
      }
      let stored: Awaited<ReturnType<AttachmentStore['put']>>;
      try {
        stored = await deps.attachments.put(req.body, mimeType);
      } catch (err) {
        if (err instanceof AttachmentRejected) {
          throw new ApiError(
            err.code === 'too_large' ? 413 : err.code === 'empty_file' ? 400 : 415,
            err.code,
            err.message,
            'body',
          );
        }
        throw err;
      }
      const fileName = cleanFileName(req.get('x-file-name'));
      res.status(201).json({ ...stored, ...(fileName ? { fileName } : {}) });
    },
  );

  return router;
}

/**
 * A posted file as the inbound carries it: the ref the upload returned, the type and size the
 * store recorded for that file (never the page's), and the name the page gave.
 * @throws ApiError 400 naming `inbound.media.ref` when no such file was uploaded
 */
async function storedMedia(
  store: AttachmentStore,
  media: { ref: string; fileName?: string | undefined },
): Promise<{ kind: 'media'; media: { ref: string; mimeType: string; size: number; fileName?: string } }> {
  const file = await store.describe(media.ref);
  if (!file)
    throw new ApiError(
      400,
      'unknown_file',
      'inbound.media.ref: no file was uploaded under this ref; upload it to /chat/uploads first.',
      'inbound.media.ref',
    );
  return { kind: 'media', media: { ...file, ...(media.fileName ? { fileName: media.fileName } : {}) } };
}

/** The name the browser gave a file, reduced to letters, digits, spaces and `._-` (it is shown, never used as a path). */
function cleanFileName(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    return (
      decodeURIComponent(raw)
        .replace(/[^\p{L}\p{N} ._-]/gu, '_')
        .slice(0, 200) || undefined
    );
  } catch {
    return undefined;
  }
}
