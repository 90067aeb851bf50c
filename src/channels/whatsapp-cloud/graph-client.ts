import { MAX_ATTACHMENT_BYTES } from '../../attachments/attachment-store.ts';
import type { CloudMessage } from './cloud-outbound.ts';
import { GraphError } from './graph-errors.ts';

export interface GraphClientOptions {
  /** `https://graph.facebook.com/v21.0`, or a local server in tests. */
  baseUrl: string;
  phoneNumberId: string;
  accessToken: string;
  timeoutMs?: number;
}

/** A file fetched from WhatsApp's media store. */
export interface FetchedMedia {
  bytes: Buffer;
  mimeType?: string;
}

/** The file is over the attachment limit (said by the media endpoint, or found while reading). */
export class MediaTooLargeError extends Error {
  constructor() {
    super('whatsapp media is larger than the attachment limit');
    this.name = 'MediaTooLargeError';
  }
}

/**
 * The few Graph API calls the Cloud API transport makes: send a message, fetch a received file.
 * Every failure is a `GraphError` (with Meta's code when it gave one); the token never appears in
 * an error or a log.
 */
export class GraphClient {
  private readonly timeoutMs: number;
  constructor(private readonly options: GraphClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** POST /{phone-number-id}/messages; returns WhatsApp's message id (`wamid.…`). */
  async send(to: string, message: CloudMessage): Promise<string> {
    const url = `${this.options.baseUrl}/${this.options.phoneNumberId}/messages`;
    const body = { messaging_product: 'whatsapp', recipient_type: 'individual', to, ...message };
    const answer = (await this.call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })) as { messages?: { id?: string }[] };
    const id = answer.messages?.[0]?.id;
    if (!id) throw new GraphError(200, 0, 'the answer named no message id');
    return id;
  }

  /**
   * Downloads a received file: GET /{media-id} gives a short-lived URL, fetched with the same token.
   * @throws MediaTooLargeError past `MAX_ATTACHMENT_BYTES`, before or while downloading
   */
  async media(mediaId: string): Promise<FetchedMedia> {
    const params = new URLSearchParams({ phone_number_id: this.options.phoneNumberId });
    const info = (await this.call(`${this.options.baseUrl}/${encodeURIComponent(mediaId)}?${params}`, {
      method: 'GET',
    })) as { url?: string; mime_type?: string; file_size?: number | string };
    if (Number(info.file_size ?? 0) > MAX_ATTACHMENT_BYTES) throw new MediaTooLargeError();
    if (!info.url || !/^https?:\/\//.test(info.url))
      throw new GraphError(200, 0, 'the media answer named no URL');
    // Meta's media host may redirect; fetch drops the token on a redirect to another origin.
    const response = await this.fetch(info.url, { method: 'GET', redirect: 'follow' });
    if (!response.ok) throw new GraphError(response.status, 0, 'media download refused');
    if (Number(response.headers.get('content-length') ?? 0) > MAX_ATTACHMENT_BYTES) {
      await response.body?.cancel();
      throw new MediaTooLargeError();
    }
    const bytes = await readCapped(response, MAX_ATTACHMENT_BYTES);
    return info.mime_type
      ? { bytes, mimeType: info.mime_type.split(';')[0]?.trim() ?? info.mime_type }
      : { bytes };
  }

  private async call(url: string, init: RequestInit): Promise<unknown> {
    const response = await this.fetch(url, init);
    const json = (await response.json().catch(() => null)) as {
      error?: { code?: number; message?: string; error_user_title?: string };
    } | null;
    if (!response.ok || !json || json.error) {
      const error = json?.error;
      throw new GraphError(
        response.status,
        Number(error?.code ?? 0),
        String(error?.message ?? 'no error object').slice(0, 300),
      );
    }
    return json;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${this.options.accessToken}`,
        },
        redirect: init.redirect ?? 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // The cause, never the URL: a media URL is a credential for a few minutes.
      throw new GraphError(0, 0, (err as Error).name === 'TimeoutError' ? 'timed out' : 'network error');
    }
  }
}

/** Reads a response body, giving up as soon as it passes `max` bytes. */
async function readCapped(response: Response, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new MediaTooLargeError();
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
