import { EVENT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import type { WebhookJob } from './webhook-job.ts';
import type { WebhookSettings } from './webhook-settings.ts';

/** The receiver answered something other than 2xx, or could not be reached: worth retrying. */
export class WebhookDeliveryError extends Error {
  constructor(
    readonly agencyId: string,
    readonly status: number | null,
    reason: string,
  ) {
    super(`webhook to ${agencyId} failed: ${reason}`);
    this.name = 'WebhookDeliveryError';
  }
}

/** The receiver answered 410 Gone: it asks for no more deliveries, so retrying is pointless. */
export class WebhookGoneError extends Error {
  constructor(readonly agencyId: string) {
    super(`webhook to ${agencyId} answered 410 Gone`);
    this.name = 'WebhookGoneError';
  }
}

export interface WebhookDeliveryDeps {
  settings: WebhookSettings;
  now: () => Date;
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Sends one webhook job: signs the stored body with the agency's current secret and a fresh
 * timestamp, and POSTs it. The decision table for the worker:
 *
 * | outcome                          | result                                      |
 * |----------------------------------|---------------------------------------------|
 * | 2xx                              | delivered                                   |
 * | no webhook set any more          | skipped (nothing to send to)                |
 * | 410 Gone                         | `WebhookGoneError`: do not retry             |
 * | other status, timeout, network   | `WebhookDeliveryError`: retry with backoff   |
 *
 * Redirects are not followed: a signed body goes only to the URL the agency registered.
 */
export class WebhookDelivery {
  constructor(private readonly deps: WebhookDeliveryDeps) {}

  async deliver(job: WebhookJob, attempt: number): Promise<'delivered' | 'skipped'> {
    const setting = await this.deps.settings.get(job.agencyId);
    if (!setting) return 'skipped';
    const doFetch = this.deps.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(setting.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Aduan-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(setting.secret, job.body, this.deps.now()),
          [EVENT_HEADER]: job.eventType,
          [EVENT_ID_HEADER]: job.eventId,
          'x-aduan-delivery-attempt': String(attempt),
        },
        body: job.body,
      });
    } catch (err) {
      // The URL is the agency's and may carry a token: the error names the agency, not the address.
      const e = err as Error & { cause?: { code?: string } };
      throw new WebhookDeliveryError(job.agencyId, null, e.cause?.code ?? e.name ?? 'network error');
    }
    // The receiver's answer is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return 'delivered';
    if (response.status === 410) throw new WebhookGoneError(job.agencyId);
    throw new WebhookDeliveryError(job.agencyId, response.status, `HTTP ${response.status}`);
  }
}
