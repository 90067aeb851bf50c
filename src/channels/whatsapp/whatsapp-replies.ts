import type { AttachmentRejected } from '../../attachments/attachment-store.ts';
import type { Lang } from '../../engine/types.ts';

/**
 * What the WhatsApp adapter itself says, for messages that never reach the engine (a voice note, a
 * file that cannot be kept). Polite, "Bapak/Ibu", never blaming: the citizen did nothing wrong by
 * sending what their phone offers.
 */
export const WHATSAPP_REPLIES = {
  voice: {
    id: 'Mohon maaf, pesan suara belum dapat kami proses. Silakan tuliskan pesan Bapak/Ibu dalam bentuk teks.',
    en: 'Sorry, we cannot process voice messages yet. Please write your message as text.',
  },
  other: {
    id: 'Mohon maaf, jenis pesan ini belum dapat kami proses. Silakan tulis pesan Bapak/Ibu dalam bentuk teks, atau kirim foto/dokumen bila diminta.',
    en: 'Sorry, we cannot process this kind of message yet. Please write your message as text, or send a photo/document when asked.',
  },
  video: {
    id: 'Mohon maaf, video belum dapat kami terima. Silakan kirim foto (JPEG/PNG) atau dokumen PDF, paling besar 10 MB.',
    en: 'Sorry, we cannot accept videos yet. Please send a photo (JPEG/PNG) or a PDF document of at most 10 MB.',
  },
  notAskingFiles: {
    id: 'Terima kasih. Saat ini kami belum memerlukan foto atau dokumen; Bapak/Ibu dapat mengirimkannya ketika diminta. Silakan jawab pertanyaan terakhir dengan teks.',
    en: 'Thank you. We do not need a photo or document just now; you can send it when asked. Please answer the last question as text.',
  },
  downloadFailed: {
    id: 'Mohon maaf, berkas tersebut belum berhasil kami terima. Silakan kirim ulang.',
    en: 'Sorry, we could not receive that file. Please send it again.',
  },
  unsupported_type: {
    id: 'Mohon maaf, jenis berkas ini belum dapat kami terima. Silakan kirim foto (JPEG/PNG) atau dokumen PDF, paling besar 10 MB.',
    en: 'Sorry, we cannot accept this type of file. Please send a photo (JPEG/PNG) or a PDF document of at most 10 MB.',
  },
  too_large: {
    id: 'Mohon maaf, berkas ini lebih besar dari 10 MB. Silakan kirim foto atau dokumen yang lebih kecil.',
    en: 'Sorry, this file is larger than 10 MB. Please send a smaller photo or document.',
  },
} as const satisfies Record<string, Record<Lang, string>>;

/** The reply for a message type the engine cannot use (`ptt`, `sticker`, `video`…). */
export function unsupportedReply(type: string, lang: Lang): string {
  if (type === 'ptt' || type === 'audio') return WHATSAPP_REPLIES.voice[lang];
  if (type === 'video') return WHATSAPP_REPLIES.video[lang];
  return WHATSAPP_REPLIES.other[lang];
}

/** The reply for a file the attachment store refused. */
export function rejectedReply(code: AttachmentRejected['code'], lang: Lang): string {
  if (code === 'too_large') return WHATSAPP_REPLIES.too_large[lang];
  if (code === 'empty_file') return WHATSAPP_REPLIES.downloadFailed[lang];
  // A wrong type, or content that is not what it says it is (a renamed file): same advice.
  return WHATSAPP_REPLIES.unsupported_type[lang];
}
