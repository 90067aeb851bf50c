import { createHmac, randomBytes } from 'node:crypto';
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * The process logger: JSON lines (pino). Privacy rule (DESIGN.md): no message text, no phone
 * numbers, no keys or tokens. Fields that could carry them are redacted as a second line of
 * defence; the first is never logging them (chat ids go through `hashId`).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'aduan' },
      redact: {
        paths: [
          'text',
          '*.text',
          'inbound.text',
          'body',
          '*.body',
          'phone',
          '*.phone',
          'token',
          '*.token',
          'key',
          '*.key',
          'authorization',
          'req.headers.authorization',
          'req.headers["x-telegram-bot-api-secret-token"]',
        ],
        censor: '[redacted]',
      },
      serializers: { err: errorWithoutCommand },
    },
    destination ?? process.stdout,
  );
}

/**
 * pino's error serializer without the fields that repeat what was sent to Redis: an ioredis error
 * carries its `command` (name and arguments), and the arguments are keys such as
 * `aduan:session:whatsapp:<phone number>@c.us` and values such as a citizen's message.
 */
function errorWithoutCommand(err: Error): object {
  const { command: _command, args: _args, ...rest } = pino.stdSerializers.err(err) as Record<string, unknown>;
  return rest;
}

/**
 * The key for `hashId`. A plain hash of a phone number can be reversed by trying every number;
 * an HMAC cannot without the key. Random per process unless `LOG_HASH_SECRET` is set (set it to
 * correlate one chat's lines across restarts and processes).
 */
let hashKey: Buffer = randomBytes(32);

/** Sets the key `hashId` uses (from `LOG_HASH_SECRET`). */
export function setLogHashKey(secret: string): void {
  hashKey = Buffer.from(secret, 'utf8');
}

/**
 * A short, stable, non-reversible stand-in for a chat id or phone number, so log lines about
 * one conversation can be correlated without storing who it was.
 */
export function hashId(value: string): string {
  return createHmac('sha256', hashKey).update(value).digest('base64url').slice(0, 12);
}
