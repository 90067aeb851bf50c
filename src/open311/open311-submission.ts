import { z } from 'zod';
import type { Answer, Submission } from '../engine/types.ts';
import type { Routing } from '../flows/schema.ts';
import type { Reporter } from '../tickets/ticket.ts';
import { Open311Error } from './open311-format.ts';
import { REGION_ATTRIBUTE } from './open311-services.ts';

/**
 * The reporter channel of requests filed through Open311. It has no chat: the notifications worker
 * skips it (there is no one to tell), and its "chat id" is the id of the API key that filed it.
 */
export const OPEN311_CHANNEL = 'open311';

/** The flow id recorded on Open311 submissions (they come from no flow file). */
export const OPEN311_FLOW = 'open311';

const coordinate = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d{1,3}(\.\d{1,12})?$/, 'expected a decimal number in WGS84')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

/**
 * The arguments of `POST requests.json` that Aduan uses (form fields, as the spec sends them).
 * Personal fields (`email`, `first_name`, `last_name`, `phone`, `device_id`, `account_id`) are
 * accepted and not kept: an Open311 report is anonymous in Aduan. `media_url` is not fetched.
 */
export const postRequestSchema = z
  .object({
    service_code: z.string({ message: 'required' }).min(1, 'required'),
    lat: coordinate(-90, 90).optional(),
    long: coordinate(-180, 180).optional(),
    address_string: z.string().trim().min(1).max(500).optional(),
    description: z
      .string({ message: 'required: Aduan needs the report itself' })
      .trim()
      .min(10, 'at least 10 characters')
      .max(4000, 'at most 4,000 characters'),
    [`attribute[${REGION_ATTRIBUTE}]`]: z.string().trim().min(1).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.lat === undefined) !== (v.long === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [v.lat === undefined ? 'lat' : 'long'],
        message: 'lat and long go together',
      });
    else if (v.lat === undefined && !v.address_string)
      ctx.addIssue({
        code: 'custom',
        path: ['lat'],
        message: 'a location is required: lat and long, or address_string',
      });
  });

/** A title for the ticket from the description: its first line, cut at a word near 100 characters. */
function titleOf(description: string): string {
  const line = description.split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (line.length <= 100) return line;
  const cut = line.slice(0, 100);
  const space = cut.lastIndexOf(' ');
  return `${space > 60 ? cut.slice(0, space) : cut}…`;
}

/**
 * Turns the arguments of an Open311 POST into the same `tickets` job the chat makes, so the same
 * worker creates the ticket (routing, tracking number, events, webhooks).
 * @throws Open311Error 400 naming the field at fault
 */
export function submissionFromPost(
  params: Record<string, unknown>,
  routing: Routing,
  ids: { submissionId: string; keyId: string; now: Date },
): { submission: Submission; reporter: Reporter } {
  const parsed = postRequestSchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'body');
    throw new Open311Error(400, `${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  const p = parsed.data;
  if (!routing.categories.some((c) => c.id === p.service_code))
    throw new Open311Error(400, 'service_code: no such service (see services.json)', 'service_code');
  const region = p[`attribute[${REGION_ATTRIBUTE}]`];
  if (region && !routing.regions.some((r) => r.id === region))
    throw new Open311Error(
      400,
      `attribute[${REGION_ATTRIBUTE}]: no such region (see services/${p.service_code}.json)`,
      `attribute[${REGION_ATTRIBUTE}]`,
    );
  const choice = (value: string): Answer => ({ kind: 'choice', value });
  const answers: Record<string, Answer> = {
    type: choice('pengaduan'),
    category: choice(p.service_code),
    title: { kind: 'text', value: titleOf(p.description) },
    body: { kind: 'text', value: p.description },
    location: {
      kind: 'location',
      value: {
        ...(p.lat !== undefined ? { latitude: p.lat } : {}),
        ...(p.long !== undefined ? { longitude: p.long } : {}),
        ...(p.address_string ? { address: p.address_string } : {}),
      },
    },
    anonymous: choice('yes'),
    confidential: choice('no'),
  };
  if (region) answers.region = choice(region);
  return {
    submission: {
      submissionId: ids.submissionId,
      flowId: OPEN311_FLOW,
      flowVersion: 'georeport-v2',
      lang: 'id',
      answers,
      submittedAt: ids.now.toISOString(),
    },
    reporter: { channel: OPEN311_CHANNEL, chatId: ids.keyId, lang: 'id' },
  };
}
