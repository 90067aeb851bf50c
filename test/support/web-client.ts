import { randomUUID } from 'node:crypto';
import type { Choice } from '../../src/engine/types.ts';
import { newWebChatId } from './aduan.ts';

/** A message as the page receives it. */
export interface ReceivedMessage {
  id: string;
  text: string;
  choices?: Choice[];
  requestLocation?: boolean;
}

/** The citizen's own message as the transcript records it (an SSE `citizen` event). */
export interface ReceivedCitizenMessage {
  id: string;
  messageId: string;
  text: string;
}

/** One entry of the transcript, either side, in the order the stream gave them. */
export type TranscriptEntry = { from: 'bot' | 'citizen'; id: string; text: string };

/**
 * A web chat client speaking the page's HTTP protocol (POST /chat/messages, SSE /chat/events),
 * for tests that need many citizens or exact control and no browser.
 */
export class WebChatClient {
  /** The bot's messages (`message` events). */
  readonly received: ReceivedMessage[] = [];
  /** The citizen's own messages as recorded (`citizen` events). */
  readonly citizen: ReceivedCitizenMessage[] = [];
  /** Both, in stream order. */
  readonly transcript: TranscriptEntry[] = [];
  private readonly controller = new AbortController();
  private waiters: (() => void)[] = [];
  private connected: Promise<void> | null = null;

  constructor(
    readonly baseUrl: string,
    readonly chatId = newWebChatId(),
  ) {}

  /** Opens the event stream and resolves once the server said `ready`. */
  connect(lastEventId?: string): Promise<void> {
    this.connected ??= (async () => {
      const res = await fetch(`${this.baseUrl}/chat/events?chatId=${this.chatId}`, {
        signal: this.controller.signal,
        headers: lastEventId ? { 'last-event-id': lastEventId } : {},
      });
      if (!res.ok || !res.body) throw new Error(`event stream refused: ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let ready!: () => void;
      const isReady = new Promise<void>((ok) => {
        ready = ok;
      });
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            buffer += value;
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = /^event: (.*)$/m.exec(block)?.[1];
              const data = /^data: (.*)$/m.exec(block)?.[1];
              if (event === 'ready') ready();
              if (event === 'message' && data) {
                const message = JSON.parse(data) as ReceivedMessage;
                this.received.push(message);
                this.transcript.push({ from: 'bot', id: message.id, text: message.text });
                for (const wake of this.waiters.splice(0)) wake();
              }
              if (event === 'citizen' && data) {
                const message = JSON.parse(data) as ReceivedCitizenMessage;
                this.citizen.push(message);
                this.transcript.push({ from: 'citizen', id: message.id, text: message.text });
              }
              end = buffer.indexOf('\n\n');
            }
          }
        } catch {
          // Aborted by close(), or the server went away.
        }
      })();
      await isReady;
    })();
    return this.connected;
  }

  close(): void {
    this.controller.abort();
  }

  /** Posts one message; returns the HTTP status and JSON body. */
  async post(inbound: unknown, messageId: string = randomUUID()): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.baseUrl}/chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chatId: this.chatId, messageId, inbound }),
    });
    return { status: res.status, body: await res.json() };
  }

  say(text: string): Promise<{ status: number; body: unknown }> {
    return this.post({ kind: 'text', text });
  }

  /** Presses the button whose label matches, on the newest message that has one. */
  async press(label: string | RegExp): Promise<{ status: number; body: unknown }> {
    for (let i = this.received.length - 1; i >= 0; i--) {
      const choice = this.received[i]?.choices?.find((c) =>
        typeof label === 'string' ? c.label === label : label.test(c.label),
      );
      // As the page does: the label goes along, for the transcript.
      if (choice) return this.post({ kind: 'choice', payload: choice.payload, label: choice.label });
    }
    throw new Error(
      `no button "${label}" in: ${this.received.map((m) => m.choices?.map((c) => c.label).join('|')).join(' / ')}`,
    );
  }

  /** Waits until some received message matches; returns it. */
  async waitFor(
    match: RegExp | ((m: ReceivedMessage) => boolean),
    timeoutMs = 20_000,
  ): Promise<ReceivedMessage> {
    const test = typeof match === 'function' ? match : (m: ReceivedMessage) => match.test(m.text);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(test);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${match}; got:\n${this.received.map((m) => m.text).join('\n---\n')}`,
        );
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          ok();
        });
      });
    }
  }

  last(): ReceivedMessage | undefined {
    return this.received[this.received.length - 1];
  }
}

/** Tracking numbers as the bot prints them. */
export const TRACKING_RE = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/;

/**
 * Walks a client through a pengaduan up to its summary by typing (numbers, words) the way a citizen
 * on a phone would. Assumes the conversation is at the menu or idle.
 */
export async function fillReport(
  client: WebChatClient,
  title = 'Lampu jalan mati di Jalan Kaliurang',
  body = 'Sudah dua minggu lampu penerangan jalan di depan pasar mati total, jalan gelap dan rawan.',
): Promise<void> {
  const steps: [string, RegExp][] = [
    ['lapor', /Apa yang ingin/],
    ['1', /kategori/i],
    ['Jalan', /kabupaten\/kota/i],
    ['sleman', /judul/i],
    [title, /jelaskan/i],
    [body, /tanggal|kapan/i],
    ['kemarin', /lokasi|alamat/i],
    ['Jalan Kaliurang km 7, Sleman', /foto|dokumen|lampir/i],
    ['lewati', /anonim/i],
    ['tidak', /rahasia/i],
    ['tidak', /periksa kembali/i],
  ];
  await answerInOrder(client, steps);
}

/**
 * Types each answer once the bot has asked for it: each step is the text and what the bot says
 * next. A post that is not accepted (202) throws, naming the text.
 */
export async function answerInOrder(client: WebChatClient, steps: [string, RegExp][]): Promise<void> {
  for (const [text, expectNext] of steps) {
    const before = client.received.length;
    const res = await client.say(text);
    if (res.status !== 202) throw new Error(`"${text}" refused: ${JSON.stringify(res.body)}`);
    await client.waitFor((m) => client.received.indexOf(m) >= before && expectNext.test(m.text));
  }
}

/** Fills a report (see `fillReport`), sends it, and returns the tracking number the bot gives. */
export async function completeReport(client: WebChatClient, title?: string, body?: string): Promise<string> {
  await fillReport(client, title, body);
  // Only a message after this press: a client's earlier report has a tracking number too.
  const before = client.received.length;
  await client.press('Kirim laporan');
  const confirmation = await client.waitFor(
    (m) => client.received.indexOf(m) >= before && TRACKING_RE.test(m.text),
    30_000,
  );
  return TRACKING_RE.exec(confirmation.text)?.[0] as string;
}

/** A citizen's answers (with the question each answers) up to the one that asks for files (flows/complaint.yaml). */
export const TO_ATTACHMENTS: [string, RegExp][] = [
  ['lapor', /Apa yang ingin/],
  ['pengaduan', /kategori/i],
  ['kesehatan', /kabupaten\/kota/i],
  ['bantul', /judul/i],
  ['Antrean puskesmas tidak tertib', /jelaskan/i],
  ['Nomor antrean dibagikan kepada kenalan petugas lebih dulu, warga lain menunggu berjam-jam.', /kapan/i],
  ['kemarin', /lokasi/i],
  ['Puskesmas Sewon 1, Bantul', /foto|dokumen/i],
];
