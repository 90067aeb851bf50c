import type { RejectedAttachment } from '../attachments/resolve-attachments.ts';
import type { Answer, MediaRef, Submission } from '../engine/types.ts';
import type { Reporter, Ticket } from './ticket.ts';

/**
 * The step ids of the report flow that become ticket fields. A deployment may rename prompts
 * freely; these ids are what ties `flows/complaint.yaml` to the ticket model.
 */
export const REPORT_FIELDS = {
  type: 'type',
  category: 'category',
  region: 'region',
  title: 'title',
  body: 'body',
  incidentDate: 'incident_date',
  location: 'location',
  attachments: 'attachments',
  anonymous: 'anonymous',
  confidential: 'confidential',
} as const;

function text(a: Answer | undefined): string | undefined {
  return a && (a.kind === 'text' || a.kind === 'choice' || a.kind === 'date') ? a.value : undefined;
}

/** Builds the ticket for a submission; the caller supplies identity, routing and time. */
export function ticketFromSubmission(
  submission: Submission,
  reporter: Reporter,
  fields: {
    trackingId: string;
    agencyId: string;
    now: Date;
    attachments?: { stored: MediaRef[]; rejected: RejectedAttachment[] };
  },
): Ticket {
  const a = submission.answers;
  const location = a[REPORT_FIELDS.location];
  const attachments = a[REPORT_FIELDS.attachments];
  const at = fields.now.toISOString();
  const ticket: Ticket = {
    trackingId: fields.trackingId,
    submissionId: submission.submissionId,
    status: 'received',
    type: text(a[REPORT_FIELDS.type]) ?? 'pengaduan',
    category: text(a[REPORT_FIELDS.category]) ?? 'lainnya',
    agencyId: fields.agencyId,
    title: text(a[REPORT_FIELDS.title]) ?? '',
    body: text(a[REPORT_FIELDS.body]) ?? '',
    attachments: fields.attachments?.stored ?? (attachments?.kind === 'media' ? attachments.value : []),
    rejectedAttachments: fields.attachments?.rejected ?? [],
    anonymous: text(a[REPORT_FIELDS.anonymous]) === 'yes',
    confidential: text(a[REPORT_FIELDS.confidential]) === 'yes',
    reporter,
    createdAt: at,
    updatedAt: at,
    eventCount: 1,
    confirmationQueued: false,
    reporterUnreachable: false,
    reporterErased: false,
  };
  const region = text(a[REPORT_FIELDS.region]);
  if (region) ticket.region = region;
  const incidentDate = text(a[REPORT_FIELDS.incidentDate]);
  if (incidentDate) ticket.incidentDate = incidentDate;
  if (location?.kind === 'location') ticket.location = location.value;
  return ticket;
}
