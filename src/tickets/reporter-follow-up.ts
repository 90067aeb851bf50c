import type { Effect, Lang, Outbound } from '../engine/types.ts';
import { statusLookupNotice } from './notices.ts';
import type { TicketService } from './ticket-service.ts';
import type { TicketStore } from './ticket-store.ts';

/** What a reporter can do to a report already sent, from their chat. */
export type FollowUpEffect = Extract<Effect, { kind: 'addToReport' | 'rate' | 'reopen' }>;

const TEXT = {
  added: {
    id: 'Terima kasih, keterangan tambahan untuk laporan *{id}* sudah kami teruskan kepada instansi.',
    en: 'Thank you, your additional information for report *{id}* has been passed to the agency.',
  },
  rated: {
    id: 'Terima kasih atas penilaian Bapak/Ibu ({n}/5). Laporan *{id}* kami tutup.',
    en: 'Thank you for your rating ({n}/5). Report *{id}* is now closed.',
  },
  reopened: {
    id: 'Mohon maaf masalahnya belum tuntas. Laporan *{id}* kami buka kembali dan teruskan kepada instansi untuk ditindaklanjuti.',
    en: 'We are sorry the problem remains. Report *{id}* is reopened and passed back to the agency.',
  },
  notResolved: {
    id: 'Laporan *{id}* belum berstatus selesai, jadi belum dapat dinilai. Kami akan meminta penilaian Bapak/Ibu setelah instansi menyelesaikannya.',
    en: 'Report *{id}* is not marked as resolved yet, so it cannot be rated. We will ask for your rating once the agency resolves it.',
  },
  closed: {
    id: 'Laporan *{id}* sudah ditutup. Bila ada masalah baru, silakan sampaikan laporan baru.',
    en: 'Report *{id}* is closed. If there is a new problem, please submit a new report.',
  },
} as const;

function say(key: keyof typeof TEXT, lang: Lang, vars: Record<string, string | number>): Outbound {
  return { text: TEXT[key][lang].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k])) };
}

/**
 * Carries out a reporter's follow-up on an existing report: more information (which resumes a report
 * on hold: "the agency needs more from the reporter"), a rating that closes a resolved report, or
 * "not solved" that reopens it. Only the chat that reported may do any of it; any other chat gets
 * the same answer as for a number that does not exist.
 */
export function createReporterFollowUp(service: TicketService, store: TicketStore) {
  return async (effect: FollowUpEffect, who: { channel: string; chatId: string }): Promise<Outbound> => {
    const { trackingId, lang } = effect;
    const found = await store.get(trackingId);
    const ticket = found?.ticket;
    if (
      !ticket ||
      ticket.reporterErased ||
      ticket.reporter.channel !== who.channel ||
      ticket.reporter.chatId !== who.chatId
    ) {
      return statusLookupNotice(null, trackingId, who, lang);
    }
    const vars = { id: trackingId };
    const reporter = { kind: 'reporter' as const };
    switch (effect.kind) {
      case 'addToReport':
        if (ticket.status === 'closed' || ticket.status === 'archived') return say('closed', lang, vars);
        await service.reporterMessage(trackingId, effect.text);
        if (ticket.status === 'on_hold')
          await service.changeStatus(
            trackingId,
            'in_progress',
            'Pelapor telah melengkapi keterangan.',
            reporter,
          );
        return say('added', lang, vars);
      case 'rate':
        if (ticket.status === 'closed' && ticket.rating !== undefined)
          return say('rated', lang, { ...vars, n: ticket.rating });
        if (ticket.status !== 'resolved')
          return say(ticket.status === 'closed' ? 'closed' : 'notResolved', lang, vars);
        await service.changeStatus(trackingId, 'closed', `Penilaian pelapor: ${effect.rating}/5`, reporter, {
          rating: effect.rating,
        });
        return say('rated', lang, { ...vars, n: effect.rating });
      case 'reopen':
        if (ticket.status !== 'resolved')
          return say(ticket.status === 'closed' ? 'closed' : 'notResolved', lang, vars);
        await service.changeStatus(
          trackingId,
          'reopened',
          'Pelapor menyatakan masalah belum selesai.',
          reporter,
        );
        return say('reopened', lang, vars);
    }
  };
}
