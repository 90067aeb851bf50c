import type { Lang, Outbound } from '../engine/types.ts';
import { STATUS_LABELS, type Status } from './lifecycle.ts';
import type { Ticket } from './ticket.ts';

/**
 * What the reporter is told about their ticket, in their language. Kept apart from the engine's
 * messages because these are sent by workers, long after the conversation.
 */

/** The confirmation with the tracking number, sent once the ticket exists. */
export function createdNotice(ticket: Ticket, agencyName: string, lang: Lang): Outbound {
  const id = ticket.trackingId;
  return {
    text:
      lang === 'id'
        ? `Laporan Bapak/Ibu telah tercatat dengan nomor pelacakan:\n*${id}*\n\nJudul: ${ticket.title}\nInstansi tujuan: ${agencyName}\n\nMohon simpan nomor ini. Kami akan mengabarkan setiap perkembangan di sini; Bapak/Ibu juga dapat mengetik *status* kapan saja.`
        : `Your report has been recorded with tracking number:\n*${id}*\n\nTitle: ${ticket.title}\nAgency: ${agencyName}\n\nPlease keep this number. We will tell you of every update here; you can also type *status* at any time.`,
  };
}

/** A status change, with the agency's note when there is one. */
export function statusNotice(ticket: Ticket, to: Status, note: string | undefined, lang: Lang): Outbound {
  const label = STATUS_LABELS[to][lang];
  const lines =
    lang === 'id'
      ? [`Perkembangan laporan *${ticket.trackingId}*:`, `Status: *${label}*`]
      : [`Update on report *${ticket.trackingId}*:`, `Status: *${label}*`];
  if (note?.trim()) lines.push(lang === 'id' ? `Keterangan: ${note.trim()}` : `Note: ${note.trim()}`);
  return { text: lines.join('\n') };
}

/**
 * The answer to "status": the ticket's state for the chat that reported it. Any other chat gets the
 * same answer as for a number that does not exist, so tracking numbers cannot be probed to learn
 * about other people's reports (rahasia reports above all).
 */
export function statusLookupNotice(
  ticket: Ticket | null,
  trackingId: string,
  askedBy: { channel: string; chatId: string },
  lang: Lang,
): Outbound {
  const own =
    ticket &&
    !ticket.reporterErased &&
    ticket.reporter.channel === askedBy.channel &&
    ticket.reporter.chatId === askedBy.chatId;
  if (!ticket || !own) {
    return {
      text:
        lang === 'id'
          ? `Laporan dengan nomor *${trackingId}* tidak kami temukan pada percakapan ini. Status laporan hanya dapat dilihat dari percakapan yang Bapak/Ibu gunakan untuk melapor; mohon periksa kembali nomornya.`
          : `We could not find report *${trackingId}* in this chat. A report's status can only be seen from the chat it was sent from; please check the number.`,
    };
  }
  const label = STATUS_LABELS[ticket.status][lang];
  const updated = new Date(ticket.updatedAt).toISOString().slice(0, 10);
  return {
    text:
      lang === 'id'
        ? `Laporan *${trackingId}*\nJudul: ${ticket.title}\nStatus: *${label}*\nPembaruan terakhir: ${updated}`
        : `Report *${trackingId}*\nTitle: ${ticket.title}\nStatus: *${label}*\nLast update: ${updated}`,
  };
}

/** An agency's answer, relayed to the reporter. */
export function replyNotice(ticket: Ticket, agencyName: string, message: string, lang: Lang): Outbound {
  return {
    text:
      lang === 'id'
        ? `Tanggapan ${agencyName} atas laporan *${ticket.trackingId}*:\n\n${message}\n\nBapak/Ibu dapat menambahkan keterangan dengan mengetik *balas ${ticket.trackingId}* diikuti pesan Bapak/Ibu.`
        : `Response from ${agencyName} to report *${ticket.trackingId}*:\n\n${message}\n\nYou can add information by typing *reply ${ticket.trackingId}* followed by your message.`,
  };
}

/**
 * The report was handed to another agency (disposisi, or the agency's "bukan wewenang"): the new
 * agency's name only. Never the re-route's note (written for the agencies), never who was wrong.
 */
export function reroutedNotice(ticket: Ticket, agencyName: string, lang: Lang): Outbound {
  return {
    text:
      lang === 'id'
        ? `Laporan *${ticket.trackingId}* diteruskan kepada ${agencyName}, instansi yang berwenang menindaklanjutinya.`
        : `Report *${ticket.trackingId}* has been forwarded to ${agencyName}, the agency responsible for it.`,
  };
}
