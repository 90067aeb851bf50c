import { z } from 'zod';
import {
  errorBody,
  listQuery,
  noteBody,
  replyBody,
  routeBody,
  statusBody,
  ticketList,
  ticketView,
} from './api-schemas.ts';

/** JSON Schema of a zod schema, as OpenAPI 3.1 takes it. */
const schema = (s: z.ZodType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

const json = (s: z.ZodType) => ({ content: { 'application/json': { schema: schema(s) } } });
const error = (description: string) => ({ description, ...json(errorBody) });
const ticketPath = {
  name: 'trackingId',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'e.g. ADU-7KQ2-M9XF',
};

/** The query parameters of a zod object, as OpenAPI parameters. */
function queryParameters(s: z.ZodObject) {
  const json = schema(s) as { properties: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties).map(([name, p]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: p,
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
  }));
}

const standardErrors = {
  '401': error('No key, or a wrong or revoked one'),
  '404': error('No such ticket (or not this agency’s)'),
  '429': error('Too many requests for this key, or too many refused keys from this address (10 minutes)'),
};

let cached: object | undefined;

/**
 * The agency API's OpenAPI 3.1 document, generated from the same zod schemas that validate the
 * requests (`src/http/api-schemas.ts`).
 */
export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'Aduan agency API',
      version: '1',
      description:
        'Tickets from SP4N-LAPOR! chat reports, for the agency (instansi) that handles them. Authenticate with `Authorization: Bearer <key>`.',
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { key: { type: 'http', scheme: 'bearer' } } },
    security: [{ key: [] }],
    paths: {
      '/api/v1/tickets': {
        get: {
          summary: 'List tickets, newest first',
          parameters: queryParameters(listQuery),
          responses: {
            '200': { description: 'A page of tickets', ...json(ticketList) },
            '400': error('A bad filter, or a `cursor` this API did not give out'),
            ...standardErrors,
          },
        },
      },
      '/api/v1/tickets/{trackingId}': {
        get: {
          summary: 'One ticket with its history and deadlines',
          parameters: [ticketPath],
          responses: { '200': { description: 'The ticket', ...json(ticketView) }, ...standardErrors },
        },
      },
      '/api/v1/tickets/{trackingId}/status': {
        post: {
          summary: 'Move a ticket along its lifecycle; the reporter is told',
          parameters: [ticketPath],
          requestBody: { required: true, ...json(statusBody) },
          responses: {
            '200': {
              description: 'The ticket after the change (the same status again changes nothing)',
              ...json(ticketView),
            },
            '400': error('A bad body'),
            '409': error(
              'Not allowed from the current status, or a note is required; `conflict`: the ticket kept changing under the request, try again',
            ),
            ...standardErrors,
          },
        },
      },
      '/api/v1/tickets/{trackingId}/replies': {
        post: {
          summary: 'Answer the reporter (sent to their chat)',
          parameters: [ticketPath],
          requestBody: { required: true, ...json(replyBody) },
          responses: {
            '201': { description: 'The ticket', ...json(ticketView) },
            '400': error('A bad body'),
            '409': error('`conflict`: the ticket kept changing under the request; try again'),
            ...standardErrors,
          },
        },
      },
      '/api/v1/tickets/{trackingId}/notes': {
        post: {
          summary: 'Add an internal note (never shown to the reporter)',
          parameters: [ticketPath],
          requestBody: { required: true, ...json(noteBody) },
          responses: {
            '201': { description: 'The ticket', ...json(ticketView) },
            '400': error('A bad body'),
            '409': error('`conflict`: the ticket kept changing under the request; try again'),
            ...standardErrors,
          },
        },
      },
      '/api/v1/tickets/{trackingId}/route': {
        post: {
          summary: 'Re-route to another agency (disposisi, or the agency’s own "bukan wewenang")',
          description: [
            'Hands the ticket to another agency: it becomes `dispatched` for that agency, a `rerouted` event records the actor, both agencies and the note, and the reporter is told the new agency’s name (never the note).',
            '',
            '- **Coordinator key** (disposisi): any ticket; `note` optional (for the new agency).',
            '- **Agency key** ("bukan wewenang", not this agency’s authority): only a ticket of its own agency (another agency’s is a 404, as everywhere), to another agency; `note`, the reason, is **required** (missing or blank: 400 with field `note`). Afterwards the ticket is the new agency’s: this key gets a 404 for it (a retried request too), the new agency’s key sees it.',
            '',
            'A closed or archived ticket cannot be re-routed (409).',
          ].join('\n'),
          parameters: [ticketPath],
          requestBody: { required: true, ...json(routeBody) },
          responses: {
            '200': {
              description: 'The ticket after the move (for an agency key, the last view of it that key gets)',
              ...json(ticketView),
            },
            '400': error(
              'A bad body: an unknown agency (`unknown_agency`, field `agencyId`); for an agency key, no reason (field `note`) or its own agency (`same_agency`, field `agencyId`)',
            ),
            '409': error('The ticket is closed or archived; `conflict`: it kept changing, try again'),
            ...standardErrors,
          },
        },
      },
      '/api/v1/tickets/{trackingId}/attachments/{index}': {
        get: {
          summary: 'Download an attachment',
          parameters: [
            ticketPath,
            { name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
          ],
          responses: {
            '200': { description: 'The file (JPEG, PNG or PDF), as a download' },
            ...standardErrors,
          },
        },
      },
      '/api/v1/stats': {
        get: {
          summary:
            'Counts by status, agency and category; overdue; median hours to first response; the key’s own role',
          responses: {
            '200': {
              description:
                'Statistics for the key’s scope, and `key`: `{role: "agency"|"coordinator", agencyId}` (agencyId null for a coordinator)',
            },
            ...standardErrors,
          },
        },
      },
    },
  };
  return cached;
}
