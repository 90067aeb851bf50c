import type { Choice, Lang, Outbound } from '../../engine/types.ts';
import { splitText } from '../split-text.ts';

/** Longest text put in one WhatsApp message: the app allows far more, phones read this comfortably. */
export const WHATSAPP_TEXT_LIMIT = 4096;
/** Choices per message: a longer list continues in the next message, numbering carried on. */
export const CHOICES_PER_PAGE = 10;

const HINTS = {
  numbers: {
    id: 'Balas dengan angka atau kata pilihan Bapak/Ibu:',
    en: 'Reply with the number or the word:',
  },
  more: { id: '(lanjutan pilihan)', en: '(more choices)' },
  location: {
    id: 'Untuk membagikan lokasi: tekan 📎 (lampiran), pilih *Lokasi*, lalu kirim lokasi saat ini. Atau ketik alamatnya.',
    en: 'To share a location: tap 📎 (attach), choose *Location*, then send your current location. Or type the address.',
  },
  word: { id: 'Ketik *{word}* bila sudah.', en: 'Type *{word}* when finished.' },
} as const;

/** Global words (`~g|skip`) are said in the prompt itself ("ketik *lewati*"), so they are not numbered. */
const isGlobal = (c: Choice) => c.payload.startsWith('~g|');

/**
 * Renders one of Aduan's messages as WhatsApp texts. WhatsApp (unofficial client) has no buttons,
 * so choices become a numbered list; the engine understands the number, the word and near misses.
 * The numbers are the engine's own order of the step's options, so "2" always means the second.
 * A single remaining choice (a media step's "Selesai") is a word to type, not a list of one.
 * WhatsApp already shows `*bold*` as bold, so the text goes as written.
 *
 * @example renderForWhatsApp({ text: 'Apa yang ingin disampaikan?', choices: [{ payload: 'type|pengaduan', label: 'Pengaduan' }, …] }, 'id')
 *   // → ['Apa yang ingin disampaikan?\n\nBalas dengan angka atau kata pilihan Bapak/Ibu:\n1. Pengaduan\n2. Aspirasi\n3. Permintaan informasi']
 */
export function renderForWhatsApp(message: Outbound, lang: Lang): string[] {
  const lines = [message.text];
  const choices = (message.choices ?? []).filter((c) => !isGlobal(c));
  const pages: string[] = [];
  if (choices.length === 1) {
    lines.push('', HINTS.word[lang].replace('{word}', (choices[0] as Choice).label));
  } else if (choices.length > 1) {
    const numbered = choices.map((c, i) => `${i + 1}. ${c.label}`);
    lines.push('', HINTS.numbers[lang], ...numbered.slice(0, CHOICES_PER_PAGE));
    for (let i = CHOICES_PER_PAGE; i < numbered.length; i += CHOICES_PER_PAGE)
      pages.push([HINTS.more[lang], ...numbered.slice(i, i + CHOICES_PER_PAGE)].join('\n'));
  }
  if (message.requestLocation) lines.push('', HINTS.location[lang]);
  return [...splitText(lines.join('\n'), WHATSAPP_TEXT_LIMIT), ...pages];
}
