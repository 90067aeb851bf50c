import { z } from 'zod';
import { STATUSES } from '../tickets/lifecycle.ts';
import { ticketEventSchema, ticketSchema } from '../tickets/ticket.ts';
import { decodeCursor } from '../tickets/ticket-query.ts';

/**
 * The agency API's request shapes, in one place: the routes validate with them and the OpenAPI
 * document is generated from them, so the two cannot disagree.
 */

export const trackingIdParam = z
  .string()
  .max(20)
  .describe('Tracking number, e.g. ADU-7KQ2-M9XF (case and dashes forgiven)');

export const listQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  category: z.string().max(40).optional(),
  region: z.string().max(40).optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Only tickets created at or after this time'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(200)
    .refine((c) => decodeCursor(c) !== null, 'not a cursor this API gave out: pass `next` as it came')
    .optional()
    .describe('The `next` value of the previous page'),
});

export const statusBody = z.strictObject({
  status: z.enum(STATUSES),
  note: z
    .string()
    .trim()
    .max(2000)
    .optional()
    .describe('Required for on_hold and archived; sent to the reporter'),
});

export const replyBody = z.strictObject({
  message: z.string().trim().min(1).max(4000).describe('Sent to the reporter in the chat they used'),
});

export const noteBody = z.strictObject({
  note: z.string().trim().min(1).max(4000).describe('Internal: never shown to the reporter'),
});

export const routeBody = z.strictObject({
  agencyId: z.string().min(1).max(60).describe('The agency that is responsible (from routing.yaml)'),
  note: z
    .string()
    .trim()
    .max(2000)
    .optional()
    .describe(
      'For the agencies and the coordinator, never sent to the reporter. Optional for a coordinator key; required (not blank) for an agency key: why the ticket is not its authority',
    ),
});

/** The same body as an agency key must send it ("bukan wewenang"): the reason is required. */
export const agencyRouteBody = routeBody.extend({
  note: z.string().trim().min(1).max(2000),
});

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});

const deadline = z.object({ due: z.string(), metAt: z.string().nullable(), overdue: z.boolean() });

/**
 * A ticket as the API returns it (for the document; the view is built by `toAgencyView`): the stored
 * ticket without what stays inside Aduan (the reporter's chat, bookkeeping), plus links, deadlines
 * and the history — derived from the ticket's own schema, so the two cannot drift apart.
 */
export const ticketView = ticketSchema
  .omit({
    submissionId: true,
    reporter: true,
    confirmationQueued: true,
    eventCount: true,
    reporterUnreachable: true,
    reporterErased: true,
    attachments: true,
  })
  .extend({
    attachments: z.array(
      z.object({
        index: z.number(),
        mimeType: z.string(),
        size: z.number().optional(),
        fileName: z.string().optional(),
        url: z.string(),
      }),
    ),
    reporter: z
      .object({ channel: z.string(), reachable: z.boolean() })
      .nullable()
      .describe('null for an anonymous report, or when the reporter asked to delete their data'),
    deadlines: z.object({
      verification: deadline,
      firstResponse: deadline.nullable(),
      completion: deadline.nullable(),
      overdue: z.boolean(),
    }),
    history: z.array(ticketEventSchema),
  });

export const ticketList = z.object({
  items: z.array(ticketView.omit({ body: true, history: true, attachments: true })),
  next: z.string().nullable().describe('Pass as `cursor` for the next page; null at the end'),
});
