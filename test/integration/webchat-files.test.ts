import { stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { answerInOrder, TO_ATTACHMENTS, WebChatClient } from '../support/web-client.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('files'),
]);
const PDF = Buffer.from('%PDF-1.4\n% bukti pembayaran\n%%EOF\n');

/** A file posted in the web chat is the file the store holds, whatever the post says about it. */
describe('web chat files', () => {
  const env = useTestApp({ env: { WEB_REQUESTS_PER_MINUTE_PER_IP: '100000' } });
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('takes a posted file’s type and size from the stored file, and refuses a ref never uploaded', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await answerInOrder(citizen, TO_ATTACHMENTS);
    const upload = await fetch(`${app.url}/chat/uploads?chatId=${citizen.chatId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf', 'x-file-name': 'bukti.pdf' },
      body: PDF,
    });
    expect(upload.status).toBe(201);
    const { ref } = (await upload.json()) as { ref: string };
    const attachments = async () => {
      const { session } = await app.sessions.load(`web:${citizen.chatId}`, Date.now());
      const answer = session?.answers.attachments;
      return answer?.kind === 'media' ? answer.value : [];
    };

    // Never uploaded: refused, naming the field, and nothing is recorded.
    const unknown = await citizen.post({
      kind: 'media',
      media: { ref: `file:${'0'.repeat(64)}.png`, mimeType: 'image/png', size: 10 },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { code: 'unknown_file', field: 'inbound.media.ref' } });
    expect(await attachments()).toEqual([]);

    // A PDF claimed to be a small PNG is kept as the PDF it is.
    const before = citizen.received.length;
    const claimed = await citizen.post({
      kind: 'media',
      media: { ref, mimeType: 'image/png', size: 1, fileName: 'bukti.pdf' },
    });
    expect(claimed.status).toBe(202);
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= before && /Berkas diterima/.test(m.text));
    // And as the page posts it now: the ref and the name only.
    const png = await fetch(`${app.url}/chat/uploads?chatId=${citizen.chatId}`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: PNG,
    });
    const pngRef = ((await png.json()) as { ref: string }).ref;
    expect((await citizen.post({ kind: 'media', media: { ref: pngRef } })).status).toBe(202);
    await expect.poll(async () => (await attachments()).length).toBe(2);
    expect(await attachments()).toEqual([
      { ref, mimeType: 'application/pdf', size: PDF.length, fileName: 'bukti.pdf' },
      { ref: pngRef, mimeType: 'image/png', size: PNG.length },
    ]);
    citizen.close();
  });

  it('a draft that keeps going keeps its files fresh, so housekeeping cannot take a photo sent days before the report is sent', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await answerInOrder(citizen, TO_ATTACHMENTS);
    const upload = await fetch(`${app.url}/chat/uploads?chatId=${citizen.chatId}`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: Buffer.concat([PNG, Buffer.from('fresh')]),
    });
    const { ref } = (await upload.json()) as { ref: string };
    const before = citizen.received.length;
    expect((await citizen.post({ kind: 'media', media: { ref } })).status).toBe(202);
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= before && /Berkas diterima/.test(m.text));
    // As if the photo had been sent three days ago and the citizen came back only now.
    const path = join(app.dataDir, 'attachments', ref.replace(/^file:/, ''));
    const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    await utimes(path, threeDaysAgo, threeDaysAgo);
    const n = citizen.received.length;
    await citizen.say('selesai');
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= n && /anonim/i.test(m.text));
    expect(Date.now() - (await stat(path)).mtimeMs).toBeLessThan(60_000);
    citizen.close();
  });
});
