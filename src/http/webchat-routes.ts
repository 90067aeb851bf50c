import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { WebChatHub } from '../channels/web/web-chat.ts';
import type { InboundChain } from '../inbound/inbound-chain.ts';
import { ApiError, parseBody } from './errors.ts';

/** 32 random bytes, base64url: the only key to a browser's conversation, so it must be unguessable. */
export const webChatIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'expected 43 base64url characters (32 random bytes)');

/** Longest message a citizen can type in the web chat. */
export const MAX_TEXT = 4000;

/** Files the web chat accepts, with the bytes each must start with (never trust the declared type alone). */
const UPLOAD_TYPES: Record<string, { ext: string; magic: number[] }> = {
  'image/jpeg': { ext: 'jpg', magic: [0xff, 0xd8, 0xff] },
  'image/png': { ext: 'png', magic: [0x89, 0x50, 0x4e, 0x47] },
  'application/pdf': { ext: 'pdf', magic: [0x25, 0x50, 0x44, 0x46] },
};
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

const inboundSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('text'), text: z.string().min(1).max(MAX_TEXT) }),
  z.strictObject({ kind: z.literal('choice'), payload: z.string().min(1).max(120) }),
  z.strictObject({
    kind: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  }),
  z.strictObject({
    kind: z.literal('media'),
    media: z.strictObject({
      ref: z.string().regex(/^web:[a-f0-9]{64}\.(jpg|png|pdf)$/, 'expected a ref returned by /chat/uploads'),
      mimeType: z.enum(Object.keys(UPLOAD_TYPES) as [string, ...string[]]),
      size: z.number().int().min(1).max(MAX_UPLOAD_BYTES),
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
  /** Where uploads are stored, by content hash: `DATA_DIR/attachments`. */
  attachmentsDir: string;
}

/**
 * The web chat's HTTP side: the page posts each message (`POST /chat/messages`), receives replies
 * as server-sent events (`GET /chat/events`), and uploads attachments (`POST /chat/uploads`).
 */
export function webChatRoutes(deps: WebChatRoutesDeps): Router {
  const router = express.Router();

  router.post('/chat/messages', express.json({ limit: '32kb' }), async (req, res) => {
    const body = parseBody(postSchema, req.body);
    const outcome = await deps.chain.handle({
      channel: 'web',
      chatId: body.chatId,
      messageId: body.messageId,
      inbound: body.inbound,
    });
    if (outcome === 'rate_limited') {
      throw new ApiError(
        429,
        'rate_limited',
        'Pesan terlalu cepat; mohon tunggu sebentar. / Too many messages; please wait a moment.',
      );
    }
    res.status(202).json({ outcome });
  });

  router.get('/chat/events', (req, res) => {
    const chatId = parseBody(webChatIdSchema, req.query.chatId, 'chatId');
    const lastEventId = req.get('last-event-id');
    const lastId = lastEventId && /^\d{1,20}-\d{1,20}$/.test(lastEventId) ? lastEventId : undefined;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Tell proxies (nginx) not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\nevent: ready\ndata: {}\n\n');
    const stop = deps.hub.listen(chatId, lastId, (messages) => {
      for (const m of messages) res.write(`id: ${m.id}\nevent: message\ndata: ${JSON.stringify(m)}\n\n`);
    });
    // A comment every 25 s keeps idle connections open through proxies and mobile networks.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      stop();
    });
  });

  router.post(
    '/chat/uploads',
    express.raw({ type: Object.keys(UPLOAD_TYPES), limit: MAX_UPLOAD_BYTES }),
    async (req, res) => {
      parseBody(webChatIdSchema, req.query.chatId, 'chatId');
      const mimeType = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const type = UPLOAD_TYPES[mimeType];
      if (!type || !Buffer.isBuffer(req.body)) {
        throw new ApiError(
          415,
          'unsupported_type',
          `Accepted types: ${Object.keys(UPLOAD_TYPES).join(', ')}.`,
          'content-type',
        );
      }
      const bytes: Buffer = req.body;
      if (bytes.length === 0) throw new ApiError(400, 'empty_file', 'The file is empty.', 'body');
      if (!type.magic.every((b, i) => bytes[i] === b)) {
        throw new ApiError(415, 'type_mismatch', `The file content is not ${mimeType}.`, 'body');
      }
      const hash = createHash('sha256').update(bytes).digest('hex');
      const name = `${hash}.${type.ext}`;
      await mkdir(deps.attachmentsDir, { recursive: true });
      // Write then rename: a crash mid-write never leaves a half file under the final name.
      const tmp = join(deps.attachmentsDir, `.${name}.${process.pid}.tmp`);
      await writeFile(tmp, bytes);
      await rename(tmp, join(deps.attachmentsDir, name));
      const rawName = req.get('x-file-name');
      let fileName: string | undefined;
      try {
        fileName = rawName
          ? decodeURIComponent(rawName)
              .replace(/[^\p{L}\p{N} ._-]/gu, '_')
              .slice(0, 200)
          : undefined;
      } catch {
        fileName = undefined;
      }
      res
        .status(201)
        .json({ ref: `web:${name}`, mimeType, size: bytes.length, ...(fileName ? { fileName } : {}) });
    },
  );

  return router;
}
