import type { BotMessage, TelegramEmulator } from './telegram-emulator.ts';

/** A citizen in one Telegram chat: each action waits for the bot's answer that comes after it. */
export function telegramCitizen(tg: TelegramEmulator, chat: number) {
  const answer = async (act: () => void, next: RegExp) => {
    const after = tg.sentCount(chat);
    act();
    return tg.waitForMessage(chat, next, { timeoutMs: 20_000, after });
  };
  return {
    say: (text: string, next: RegExp): Promise<BotMessage> => answer(() => tg.sendText(chat, text), next),
    press: (on: BotMessage, label: string, next: RegExp): Promise<BotMessage> =>
      answer(() => tg.pressButton(chat, on.message_id, { text: label }), next),
    sendPhoto: (bytes: Buffer, next: RegExp): Promise<BotMessage> =>
      answer(() => tg.sendPhoto(chat, bytes), next),
  };
}

/** What a Telegram report says; the flow's own words (pengaduan, kemarin, Tidak…) are fixed. */
export interface TelegramReport {
  category: string;
  region: string;
  title: string;
  body: string;
  address: string;
  photo: Buffer;
}

/** Walks a Telegram citizen through a pengaduan with a photo, up to its summary (returned). */
export async function telegramReportUpToSummary(
  tg: TelegramEmulator,
  chat: number,
  report: TelegramReport,
): Promise<BotMessage> {
  const { say, press, sendPhoto } = telegramCitizen(tg, chat);
  await say('/lapor', /Apa yang ingin/);
  await say('pengaduan', /kategori/i);
  await say(report.category, /kabupaten\/kota/i);
  await say(report.region, /judul/i);
  await say(report.title, /jelaskan/i);
  await say(report.body, /kapan/i);
  await say('kemarin', /lokasi/i);
  await say(report.address, /foto|dokumen/i);
  const ack = await sendPhoto(report.photo, /Berkas diterima/);
  const anonymous = await press(ack, 'Selesai', /anonim/i);
  const confidential = await press(anonymous, 'Tidak', /rahasia/i);
  return press(confidential, 'Tidak', /periksa kembali/i);
}
