import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession } from '../../src/engine/engine.ts';
import { cleanup, startTestAduan, type TestAduan, useTestApp } from '../support/aduan.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { answerInOrder, TRACKING_RE, WebChatClient } from '../support/web-client.ts';

/** The smallest valid PNG: what the upload endpoint accepts. */
function png(seed: number): Buffer {
  const header = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([header, Buffer.from(`test image ${seed}`)]);
}

const TO_ATTACHMENTS: [string, RegExp][] = [
  ['lapor', /Apa yang ingin/],
  ['pengaduan', /kategori/i],
  ['kesehatan', /kabupaten\/kota/i],
  ['bantul', /judul/i],
  ['Obat di puskesmas sering kosong', /jelaskan/i],
  [
    'Sejak bulan lalu obat hipertensi di puskesmas kosong, pasien diminta membeli sendiri di apotek.',
    /kapan/i,
  ],
  ['2 hari lalu', /lokasi/i],
  ['Puskesmas Sewon 1, Bantul', /foto|dokumen/i],
];

describe('two messages of one chat at the same moment', () => {
  const env = useTestApp();
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('the session store refuses the second of two writes made from the same read', async () => {
    const chat = 'web:race-unit';
    const now = Date.now();
    const a = await app.sessions.load(chat, now);
    const b = await app.sessions.load(chat, now);
    expect(await app.sessions.save(chat, a, { ...newSession(new Date(now)), lang: 'en' })).toBe('saved');
    expect(await app.sessions.save(chat, b, { ...newSession(new Date(now)), lang: 'id' })).toBe('conflict');
    expect((await app.sessions.load(chat, now)).session?.lang).toBe('en');
  });

  it('keeps every photo of an album that arrives all at once', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await answerInOrder(citizen, TO_ATTACHMENTS);
    const uploads = await Promise.all(
      [1, 2, 3].map(async (seed) => {
        const res = await fetch(`${app.url}/chat/uploads?chatId=${citizen.chatId}`, {
          method: 'POST',
          headers: { 'content-type': 'image/png', 'x-file-name': `foto-${seed}.png` },
          body: png(seed),
        });
        expect(res.status).toBe(201);
        return (await res.json()) as { ref: string };
      }),
    );
    const results = await Promise.all(uploads.map((media) => citizen.post({ kind: 'media', media })));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202]);
    const { session } = await app.sessions.load(`web:${citizen.chatId}`, Date.now());
    const attachments = session?.answers.attachments;
    expect(attachments?.kind).toBe('media');
    expect(attachments?.kind === 'media' ? attachments.value.map((m) => m.ref).sort() : []).toEqual(
      uploads.map((u) => u.ref).sort(),
    );
    citizen.close();
  });

  it('takes uploads only while a question asks for files, and checks their bytes against their type', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const upload = (body: Buffer, type = 'image/png') =>
      fetch(`${app.url}/chat/uploads?chatId=${citizen.chatId}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
    const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

    // Nobody asked for a file yet: refused before anything is written.
    const early = await upload(png(9));
    expect([early.status, await code(early)]).toEqual([409, 'not_expected']);

    await answerInOrder(citizen, TO_ATTACHMENTS);
    const fake = await upload(Buffer.from('<html>not a png</html>'));
    expect([fake.status, await code(fake)]).toEqual([415, 'type_mismatch']);
    const gif = await upload(Buffer.from('GIF89a'), 'image/gif');
    expect([gif.status, await code(gif)]).toEqual([415, 'unsupported_type']);
    expect((await upload(png(10))).status).toBe(201);
    citizen.close();
  });
});

describe('a restart of every process in the middle of a report', () => {
  let redis: TestRedis;
  let flowsDir: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    flowsDir = await mkdtemp(join(tmpdir(), 'aduan-flows-'));
    await cp(join(import.meta.dirname, '../../flows'), flowsDir, { recursive: true });
  });
  afterAll(async () => {
    await redis?.stop();
    await cleanup(flowsDir);
  });

  it('lets the citizen carry on from the same step, and the report becomes one ticket', async () => {
    const first = await startTestAduan({ redisUrl: redis.url, env: { FLOWS_DIR: flowsDir } });
    const { keyPrefix, dataDir } = first;
    const citizen = new WebChatClient(first.url as string);
    await citizen.connect();
    await answerInOrder(citizen, TO_ATTACHMENTS.slice(0, 5));
    citizen.close();
    await first.stop();
    // Redis too: the AOF must bring the draft back.
    await redis.restart();

    const second = await startTestAduan({
      redisUrl: redis.url,
      keyPrefix,
      dataDir,
      env: { FLOWS_DIR: flowsDir },
    });
    try {
      const back = new WebChatClient(second.url as string, citizen.chatId);
      await back.connect(citizen.last()?.id);
      await answerInOrder(back, TO_ATTACHMENTS.slice(5));
      await answerInOrder(back, [
        ['lewati', /anonim/i],
        ['ya', /rahasia/i],
        ['tidak', /periksa kembali/i],
      ]);
      const summary = back.last()?.text ?? '';
      expect(summary).toContain('Obat di puskesmas sering kosong');
      expect(summary).toContain('Puskesmas Sewon 1');
      await back.press('Kirim laporan');
      const trackingId = TRACKING_RE.exec((await back.waitFor(TRACKING_RE)).text)?.[0] as string;
      expect((await second.tickets.get(trackingId))?.ticket).toMatchObject({
        title: 'Obat di puskesmas sering kosong',
        anonymous: true,
        region: 'bantul',
      });
      back.close();
    } finally {
      await second.stop();
      await cleanup(dataDir);
    }
  });

  it('when the flow file changed and the step is gone, says so politely and resumes with every answer kept', async () => {
    const first = await startTestAduan({ redisUrl: redis.url, env: { FLOWS_DIR: flowsDir } });
    const { keyPrefix, dataDir } = first;
    const citizen = new WebChatClient(first.url as string);
    await citizen.connect();
    await answerInOrder(citizen, TO_ATTACHMENTS.slice(0, 6)); // now at incident_date
    citizen.close();
    await first.stop();

    // An operator renames the date step while the citizen is answering it.
    const file = join(flowsDir, 'complaint.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replaceAll('incident_date', 'tanggal_kejadian'));
    const second = await startTestAduan({
      redisUrl: redis.url,
      keyPrefix,
      dataDir,
      env: { FLOWS_DIR: flowsDir },
    });
    try {
      const back = new WebChatClient(second.url as string, citizen.chatId);
      await back.connect(citizen.last()?.id);
      const before = back.received.length;
      await back.say('kemarin');
      const notice = await back.waitFor(
        (m) => back.received.indexOf(m) >= before && /diperbarui/.test(m.text),
      );
      expect(notice.text).toMatch(/Jawaban Bapak\/Ibu tetap tersimpan/);
      // Resumed at the renamed date step (the first one without an answer), not at the start.
      await back.waitFor(
        (m) => back.received.indexOf(m) > back.received.indexOf(notice) && /kapan/i.test(m.text),
      );
      const { session } = await second.sessions.load(`web:${citizen.chatId}`, Date.now());
      expect(session?.stepId).toBe('tanggal_kejadian');
      expect(Object.keys(session?.answers ?? {})).toEqual(
        expect.arrayContaining(['type', 'category', 'region', 'title', 'body']),
      );
      back.close();
    } finally {
      await second.stop();
      await writeFile(file, original);
      await cleanup(dataDir);
    }
  });

  it('picks up a flow edited while the service runs, and refuses an edit that does not validate', async () => {
    const app = await startTestAduan({ redisUrl: redis.url, env: { FLOWS_DIR: flowsDir } });
    const file = join(flowsDir, 'complaint.yaml');
    const original = await readFile(file, 'utf8');
    try {
      const citizen = new WebChatClient(app.url as string);
      await citizen.connect();
      await answerInOrder(citizen, TO_ATTACHMENTS.slice(0, 4)); // now at title
      const before = app.flows.flows.get('complaint')?.version;

      // A broken edit is refused; the running flow stays.
      await writeFile(file, original.replace('kind: text', 'kind: textarea'));
      await expect
        .poll(() => app.logs.lines.some((l) => l.includes('do not validate')), { timeout: 10_000 })
        .toBe(true);
      expect(app.flows.flows.get('complaint')?.version).toBe(before);

      // A good edit (a reworded title prompt) is taken up without a restart.
      await writeFile(
        file,
        original.replace('Mohon tuliskan judul singkat', 'Silakan tuliskan judul singkat'),
      );
      await expect
        .poll(() => app.flows.flows.get('complaint')?.version, { timeout: 10_000 })
        .not.toBe(before);
      const next = citizen.received.length;
      await citizen.say('x'); // too short: the title is asked again, in the new words
      await citizen.waitFor(
        (m) => citizen.received.indexOf(m) >= next && /Silakan tuliskan judul singkat/.test(m.text),
      );
      // The conversation carried on silently: the step still exists, so no "form updated" notice.
      expect(citizen.received.some((m) => /diperbarui/.test(m.text))).toBe(false);
      citizen.close();
    } finally {
      await app.stop();
      await writeFile(file, original);
      await cleanup(app.dataDir);
    }
  });
});
