import type { MediaRef } from '../engine/types.ts';
import { AttachmentRejected, type AttachmentStore, STORED_REF } from './attachment-store.ts';

/**
 * Fetches a file a citizen sent on a chat platform, by the handle the channel gave it (a Telegram
 * `file_id`, a WhatsApp media id). Throws for a transient failure (the job is retried);
 * `AttachmentRejected` for a file that will never be acceptable.
 */
export type MediaFetcher = (handle: string) => Promise<{ bytes: Buffer; mimeType?: string }>;

/** An attachment that could not be kept, and why: shown to the agency so nothing vanishes silently. */
export interface RejectedAttachment {
  fileName?: string;
  mimeType: string;
  reason: string;
}

/**
 * Turns the attachments of a submission into stored files: refs already stored (`file:…`, the web
 * chat's uploads) are checked, channel refs (`telegram:<file_id>`) are fetched through that
 * channel's fetcher and stored by content hash. Idempotent: running it twice stores each file once.
 */
export function createAttachmentResolver(
  store: AttachmentStore,
  fetchers: ReadonlyMap<string, MediaFetcher>,
) {
  return async (
    media: readonly MediaRef[],
  ): Promise<{ stored: MediaRef[]; rejected: RejectedAttachment[] }> => {
    const stored: MediaRef[] = [];
    const rejected: RejectedAttachment[] = [];
    for (const item of media) {
      const named = item.fileName ? { fileName: item.fileName } : {};
      if (STORED_REF.test(item.ref)) {
        // Type and size as the store recorded them, whatever the draft says (a draft saved before
        // the web chat stopped taking them from the page may carry a type the file is not).
        // Refreshed, not only described: the sweep spares it until its ticket lists it as kept.
        const file = await store.refresh(item.ref);
        if (file) stored.push({ ...named, ref: file.ref, mimeType: file.mimeType, size: file.size });
        else rejected.push({ ...named, mimeType: item.mimeType, reason: 'missing' });
        continue;
      }
      const colon = item.ref.indexOf(':');
      const fetcher = colon > 0 ? fetchers.get(item.ref.slice(0, colon)) : undefined;
      if (!fetcher) {
        // Configured in another process (a worker without the channel's token): retry there or later.
        throw new Error(`no media fetcher for "${item.ref.slice(0, Math.max(colon, 0))}" in this process`);
      }
      try {
        const { bytes, mimeType } = await fetcher(item.ref.slice(colon + 1));
        const saved = await store.put(bytes, mimeType ?? item.mimeType);
        stored.push({ ...named, ref: saved.ref, mimeType: saved.mimeType, size: saved.size });
      } catch (err) {
        if (!(err instanceof AttachmentRejected)) throw err;
        rejected.push({ ...named, mimeType: item.mimeType, reason: err.code });
      }
    }
    return { stored, rejected };
  };
}

/** What the ticket worker needs from the resolver. */
export type ResolveAttachments = ReturnType<typeof createAttachmentResolver>;
