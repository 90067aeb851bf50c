import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'expected true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `expected a whole number from ${min} to ${max}`)
        .max(max, `expected a whole number from ${min} to ${max}`),
    );

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura');

/** A WhatsApp message template's name, as Meta allows it. */
const templateName = z.string().regex(/^[a-z0-9_]{1,512}$/, 'expected a template name: a-z, 0-9 and _');
/** A template language code as Meta lists it: `id`, `en`, `en_US`. */
const templateLanguage = z
  .string()
  .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'expected a language code such as id or en_US');

/**
 * Every setting Aduan reads, from the environment only (secrets never live in files of the repo).
 * Names and defaults are a contract (DESIGN.md): extend, never rename.
 */
export const configSchema = z
  .object({
    REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'expected a redis:// or rediss:// URL' }).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    FLOWS_DIR: z.string().min(1).default('./flows'),
    /** Reload flows when their files change (a change that does not validate is refused and logged). */
    FLOWS_WATCH: bool.default(true),
    HOST: z.string().min(1).default('127.0.0.1'),
    // 0 lets the OS pick a free port (tests; the chosen one is logged).
    PORT: int(0, 65535).default(3000),
    PUBLIC_URL: z.url({ protocol: /^https?$/, message: 'expected an http(s):// URL' }).optional(),
    TELEGRAM_BOT_TOKEN: z
      .string()
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'expected a token from BotFather, like 123456:ABC-DEF…')
      .optional(),
    TELEGRAM_API_ROOT: z
      .url({ protocol: /^https?$/, message: 'expected an http(s):// URL' })
      .default('https://api.telegram.org'),
    /**
     * How long one Bot API call may take before it is abandoned and tried again (getUpdates: this
     * long on top of its 30 s long-poll wait); grammY's own limit is 500 s.
     */
    TELEGRAM_API_TIMEOUT_SECONDS: int(1, 300).default(20),
    /**
     * Long polling: the steady wait before getUpdates is tried again after a failure, for as long as
     * Telegram stays unreachable (no backoff, no giving up), so polling resumes within this long of
     * Telegram answering again.
     */
    TELEGRAM_POLLING_RETRY_SECONDS: int(1, 300).default(5),
    TELEGRAM_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'expected an http(s):// URL' }).optional(),
    TELEGRAM_WEBHOOK_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, 'expected 16–256 characters of A-Z, a-z, 0-9, _ and -')
      .optional(),
    WHATSAPP_ENABLED: bool.default(false),
    /** The browser whatsapp-web.js drives (Debian's `chromium`; puppeteer's own download is skipped). */
    WHATSAPP_CHROMIUM_PATH: z
      .string()
      .regex(/^\//, 'expected an absolute path such as /usr/bin/chromium')
      .default('/usr/bin/chromium'),
    /** Messages sent this long before WhatsApp (re)connected are backlog and not answered. */
    WHATSAPP_BACKLOG_MINUTES: int(0, 7 * 24 * 60).default(30),
    /**
     * How long one whatsapp-web.js send may take before it is given up and sent again later (a stuck
     * page never answers; puppeteer's own limit is 3 minutes); three in a row restart the client.
     */
    WHATSAPP_SEND_TIMEOUT_SECONDS: int(5, 300).default(30),
    /** `web`: whatsapp-web.js (a linked phone); `cloud`: the official WhatsApp Business Cloud API. */
    WHATSAPP_TRANSPORT: z.enum(['web', 'cloud'], { message: 'expected web or cloud' }).default('web'),
    /** Cloud API: the business phone number's id (WhatsApp Manager › API Setup), not the number itself. */
    WHATSAPP_PHONE_NUMBER_ID: z
      .string()
      .regex(/^\d{5,30}$/, 'expected the numeric phone number id')
      .optional(),
    /** Cloud API: a permanent (system user) access token with whatsapp_business_messaging. */
    WHATSAPP_ACCESS_TOKEN: z
      .string()
      .regex(/^[A-Za-z0-9_|.-]{20,1024}$/, 'expected a Graph API access token')
      .optional(),
    /** Cloud API: the Meta app's secret, which signs every webhook call (X-Hub-Signature-256). */
    WHATSAPP_APP_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9]{16,128}$/, 'expected the app secret (App settings › Basic)')
      .optional(),
    /** Cloud API: the token typed into the webhook settings, echoed back in Meta's verification request. */
    WHATSAPP_VERIFY_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{16,256}$/, 'expected 16–256 printable characters without spaces')
      .optional(),
    /** Cloud API: the Graph API base, with its version; tests point it at a local server. */
    WHATSAPP_GRAPH_API_URL: z
      .url({
        protocol: /^https?$/,
        message: 'expected an http(s):// URL such as https://graph.facebook.com/v21.0',
      })
      .transform((u) => u.replace(/\/+$/, ''))
      .default('https://graph.facebook.com/v21.0'),
    /** Cloud API: approved templates for messages outside the 24-hour window, per event: name, then language. */
    WHATSAPP_TEMPLATE_STATUS: templateName.default('aduan_status_laporan'),
    WHATSAPP_TEMPLATE_STATUS_LANGUAGE: templateLanguage.default('id'),
    WHATSAPP_TEMPLATE_REPLY: templateName.default('aduan_tanggapan_instansi'),
    WHATSAPP_TEMPLATE_REPLY_LANGUAGE: templateLanguage.default('id'),
    ADMIN_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
    /** Reads /metrics and nothing else, so Prometheus need not hold ADMIN_TOKEN. */
    METRICS_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
    /** Working days allowed per stage (Permenpan RB 62/2018 defaults). */
    DEADLINE_VERIFICATION_DAYS: int(1, 60).default(3),
    DEADLINE_FIRST_RESPONSE_DAYS: int(1, 60).default(5),
    DEADLINE_COMPLETION_DAYS: int(1, 365).default(10),
    /** Working days after which a resolved report the reporter did not answer is closed. */
    AUTO_CLOSE_DAYS: int(1, 60).default(10),
    /** Extra days off besides national holidays (cuti bersama, regional holidays): YYYY-MM-DD, comma-separated. */
    EXTRA_HOLIDAYS: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(,\d{4}-\d{2}-\d{2})*$/, 'expected dates like 2026-12-24,2026-12-26')
      .transform((v) => v.split(','))
      .default([]),
    /**
     * A queue job's lock: a worker renews it while it works, and a job whose worker died is taken over
     * once its lock has run out and the next stalled-job check (as often) sees it — about twice this.
     * Shorter: a crashed worker's ticket resumes sooner, but a worker stuck longer than this (a long
     * pause of its process) has its job run twice, which the ticket and notification ids make harmless.
     */
    JOB_LOCK_SECONDS: int(5, 600).default(30),
    /** First wait before a failed agency webhook is sent again (doubling each time, 14 attempts). */
    WEBHOOK_RETRY_DELAY_SECONDS: int(1, 3600).default(10),
    /** How long one webhook delivery may take before it counts as failed. */
    WEBHOOK_TIMEOUT_SECONDS: int(1, 120).default(10),
    /** Agency API requests per minute per key. */
    API_REQUESTS_PER_MINUTE_PER_KEY: int(1, 1_000_000).default(600),
    /**
     * Refused keys or tokens (401) one address may present to /api/v1, /admin/* and /metrics in
     * 10 minutes; after that it gets 429 there, even with the right one, until the 10 minutes end.
     */
    AUTH_FAILURES_PER_10_MINUTES_PER_IP: int(1, 1_000_000).default(30),
    /** Key for the hashed chat ids in logs; unset: a random key per process. */
    LOG_HASH_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TIMEZONE: timeZone.default('Asia/Jakarta'),
    SESSION_REMINDER_MINUTES: int(1, 7 * 24 * 60).default(30),
    SESSION_EXPIRY_HOURS: int(1, 30 * 24).default(24),
    CHAT_MESSAGES_PER_MINUTE: int(1, 10_000).default(30),
    /** Web chat requests per minute from one address; generous, as mobile carriers put many phones behind one. */
    WEB_REQUESTS_PER_MINUTE_PER_IP: int(1, 1_000_000).default(600),
    /**
     * Web chat event streams one address may hold open at once in one process (each holds a socket
     * and is re-read from Redis every 15 s); raise it where many phones share one carrier address.
     */
    WEB_STREAMS_PER_IP: int(1, 1_000_000).default(50),
    /** Web chat event streams open at once in one process, all addresses together; keep it below `ulimit -n`. */
    WEB_STREAMS_PER_PROCESS: int(1, 1_000_000).default(5000),
  })
  .superRefine((c, ctx) => {
    if (c.TELEGRAM_WEBHOOK_URL && !c.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_WEBHOOK_SECRET'],
        message: 'required when TELEGRAM_WEBHOOK_URL is set',
      });
    }
    if (c.WHATSAPP_ENABLED && c.WHATSAPP_TRANSPORT === 'cloud') {
      for (const variable of [
        'WHATSAPP_PHONE_NUMBER_ID',
        'WHATSAPP_ACCESS_TOKEN',
        'WHATSAPP_APP_SECRET',
        'WHATSAPP_VERIFY_TOKEN',
      ] as const) {
        if (!c[variable])
          ctx.addIssue({
            code: 'custom',
            path: [variable],
            message: 'required when WHATSAPP_TRANSPORT=cloud',
          });
      }
    }
    if (c.SESSION_REMINDER_MINUTES >= c.SESSION_EXPIRY_HOURS * 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_REMINDER_MINUTES'],
        message: 'must be shorter than SESSION_EXPIRY_HOURS',
      });
    }
  });

/** The parsed settings. */
export type Config = z.infer<typeof configSchema>;

/** A setting with a bad value; the message names each variable and what it accepts. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the settings from `env` (normally `process.env`). Empty strings count as unset, so
 * `FOO=` in a compose file does not turn into a bad value.
 *
 * @example const config = loadConfig(process.env);
 * @throws ConfigError naming every bad variable
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = configSchema.safeParse(relevant);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '?');
      const got = relevant[variable];
      const secret = /TOKEN|SECRET/.test(variable);
      return {
        variable,
        message: got !== undefined && !secret ? `${issue.message} (got "${got}")` : issue.message,
      };
    }),
  );
}
