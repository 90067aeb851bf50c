import { beforeAll, describe, expect, it } from 'vitest';
import { TRANSCRIPT_CHOICE, TRANSCRIPT_FILE, TRANSCRIPT_LOCATION } from '../../src/channels/web/web-chat.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { answerInOrder, type TranscriptEntry, WebChatClient } from '../support/web-client.ts';

/** The smallest valid PNG: what the upload endpoint accepts. */
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('transcript test image'),
]);

/**
 * The web chat's outbox is the page's transcript: the citizen's accepted messages are recorded in it
 * with their turn's replies, before them (the page draws them after a reload: webchat.test.ts).
 * A duplicate or a refused message is not recorded; a file or a location shows a placeholder only.
 * Five copies of one post at once: duplicates.test.ts; messages over the chat's limit:
 * idle-and-limits.test.ts.
 */
describe('the web chat transcript', () => {
  const env = useTestApp();
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  /** The outbox's entries as stored: `c` (the citizen's) or `m` (the bot's), with the raw JSON. */
  async function stored(chatId: string): Promise<{ field: string; json: string }[]> {
    const rows = await app.redis.xrange(app.keys.webOutbox(chatId), '-', '+');
    return rows.map(([, fields]) => ({ field: fields[0] ?? '', json: fields[1] ?? '' }));
  }

  it('records each accepted message once, before its replies; a repeat or a refused post adds nothing', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await citizen.post({ kind: 'start' });
    await citizen.waitFor(/Selamat datang/);
    expect(citizen.citizen, 'the silent start is not a message of the citizen').toEqual([]);

    const first = await citizen.post({ kind: 'text', text: 'lapor' }, 'transcript-lapor-1');
    expect(first.body).toEqual({ outcome: 'handled' });
    await citizen.waitFor(/Apa yang ingin/);
    // The page sent it again (its answer was lost): handled once, recorded once.
    const again = await citizen.post({ kind: 'text', text: 'lapor' }, 'transcript-lapor-1');
    expect(again.body).toEqual({ outcome: 'duplicate' });
    await citizen.press('Pengaduan');
    await citizen.waitFor(/kategori/i);
    // Refused by validation: never reaches a turn, never recorded.
    for (const inbound of [
      { kind: 'text', text: 'x'.repeat(4001) },
      { kind: 'text', text: 'Kesehatan', extra: 1 },
      { kind: 'choice', payload: '' },
    ])
      expect((await citizen.post(inbound)).status).toBe(400);
    await citizen.say('Kesehatan');
    await citizen.waitFor(/kabupaten\/kota/i);

    // In stream order: each question, then the citizen's answer to it, then the next question. A
    // pressed button reads as its label, not its payload.
    const QUESTIONS: [string, RegExp][] = [
      ['welcome', /Selamat datang/],
      ['type', /Apa yang ingin/],
      ['category', /kategori/i],
      ['region', /kabupaten\/kota/i],
    ];
    const tag = (e: TranscriptEntry) =>
      e.from === 'citizen'
        ? `citizen: ${e.text}`
        : `bot: ${QUESTIONS.find(([, re]) => re.test(e.text))?.[0] ?? e.text}`;
    expect(citizen.transcript.map(tag)).toEqual([
      'bot: welcome',
      'citizen: lapor',
      'bot: type',
      'citizen: Pengaduan',
      'bot: category',
      'citizen: Kesehatan',
      'bot: region',
    ]);
    expect(citizen.citizen.map((m) => m.messageId)[0]).toBe('transcript-lapor-1');
    // The outbox holds exactly what the stream gave: three entries of the citizen's, no more.
    expect((await stored(citizen.chatId)).filter((e) => e.field === 'c')).toHaveLength(3);
    // A page reopened later gets both sides again, in the same order.
    const reopened = new WebChatClient(app.url as string, citizen.chatId);
    await reopened.connect();
    await reopened.waitFor(/kabupaten\/kota/i);
    expect(reopened.transcript).toEqual(citizen.transcript);
    reopened.close();
    citizen.close();
  });

  it('shows a placeholder for a location, a file and an unknown button: no coordinates, names or refs', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const steps: [string, RegExp][] = [
      ['lapor', /Apa yang ingin/],
      ['pengaduan', /kategori/i],
      ['kesehatan', /kabupaten\/kota/i],
      ['bantul', /judul/i],
      ['Obat di puskesmas sering kosong', /jelaskan/i],
      ['Sejak bulan lalu obat hipertensi di puskesmas kosong, pasien diminta membeli sendiri.', /kapan/i],
      ['2 hari lalu', /lokasi/i],
    ];
    await answerInOrder(citizen, steps);
    let before = citizen.received.length;
    await citizen.post({ kind: 'location', latitude: -7.8123456, longitude: 110.3654321 });
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= before && /foto|dokumen/i.test(m.text));

    const upload = await fetch(`${app.url}/chat/uploads?chatId=${citizen.chatId}`, {
      method: 'POST',
      headers: { 'content-type': 'image/png', 'x-file-name': encodeURIComponent('KTP Budi Santoso.png') },
      body: PNG,
    });
    expect(upload.status).toBe(201);
    const media = (await upload.json()) as { ref: string; fileName: string };
    expect(media.fileName).toContain('Budi');
    before = citizen.received.length;
    expect(
      (await citizen.post({ kind: 'media', media: { ...media, mimeType: 'image/png', size: PNG.length } }))
        .status,
    ).toBe(202);
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= before);
    // A button nobody was offered (a made-up payload): recorded, but never shown as its payload.
    before = citizen.received.length;
    expect((await citizen.post({ kind: 'choice', payload: 'made|up-payload' })).status).toBe(202);
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= before);

    expect(citizen.citizen.slice(-3).map((m) => m.text)).toEqual([
      TRANSCRIPT_LOCATION,
      TRANSCRIPT_FILE,
      TRANSCRIPT_CHOICE,
    ]);
    const raw = (await stored(citizen.chatId))
      .filter((e) => e.field === 'c')
      .map((e) => e.json)
      .join('\n');
    for (const secret of ['7.812', '110.365', 'Budi', 'KTP', media.ref, 'made|up'])
      expect(raw, `the transcript carries ${secret}`).not.toContain(secret);
    citizen.close();
  });
});
