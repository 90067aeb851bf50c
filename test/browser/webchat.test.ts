// The web chat page in a real browser: headless Chromium (playwright-core) against the real app and a
// real redis-server. The tests share one page and run in order, like one citizen's afternoon: a report,
// an agency's update arriving live, a reload in the middle of a second report (the whole conversation,
// both sides, comes back), and HTML typed as text (still text after a reload).
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startTestAduan, type TestAduan } from '../support/aduan.ts';
import {
  botMessages,
  choose,
  collectPageErrors,
  launchChromium,
  typeAnswer,
  waitForQuestion,
} from '../support/browser.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));
const TRACKING = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/;
/** Generous: a shared 2-core CI box runs Chromium, the app, its workers and redis-server at once. */
const WAIT_MS = 60_000;
const TEST_MS = 180_000;

// The questions of flows/complaint.yaml, by a phrase of each prompt (Bahasa Indonesia, the default).
const Q = {
  welcome: 'Selamat datang di layanan pengaduan',
  type: 'Apa yang ingin Bapak/Ibu sampaikan?',
  category: 'Laporan ini tentang apa?',
  region: 'berkaitan dengan kabupaten/kota mana?',
  title: 'judul singkat laporan',
  body: 'jelaskan isi laporan',
  date: 'Kapan kejadiannya?',
  location: 'Di mana lokasinya?',
  attachments: 'foto atau dokumen pendukung',
  anonymous: 'melapor secara anonim?',
  confidential: 'perlu dirahasiakan?',
  summary: 'periksa kembali ringkasan',
} as const;

interface Report {
  category: string;
  region: string;
  title: string;
  body: string;
  address: string;
}

describe('web chat page in a browser', () => {
  let redis: TestRedis | undefined;
  let app: TestAduan | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  const dialogs: string[] = [];
  /** The tracking number of test 1's report (test 2 updates it). */
  let trackingId = '';
  /** Everything the citizen sent, in order: the labels of the buttons pressed and the texts typed. */
  const said: string[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    app = await startTestAduan({ redisUrl: redis.url });
    browser = await launchChromium();
    // Reduced motion: the log scrolls to the end at once, so the screenshot shows the newest messages.
    context = await browser.newContext({
      viewport: { width: 480, height: 900 },
      locale: 'id-ID',
      reducedMotion: 'reduce',
    });
    context.setDefaultTimeout(WAIT_MS);
    page = await context.newPage();
    pageErrors = collectPageErrors(page);
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
  }, 120_000);

  afterAll(async () => {
    // Browser first: its open event stream would otherwise hold the server's shutdown up.
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await app?.stop();
    if (app) await cleanup(app.dataDir);
    await redis?.stop();
  }, 120_000);

  const url = () => {
    if (!app?.url) throw new Error('the app serves no HTTP');
    return app.url;
  };

  /** Presses a button of the current question (support's `choose`), noting what the citizen sent. */
  async function press(question: string | RegExp, label: string): Promise<void> {
    await choose(page, question, label);
    said.push(label);
  }
  /** Types an answer (support's `typeAnswer`), noting what the citizen sent. */
  async function type(question: string | RegExp, text: string): Promise<void> {
    await typeAnswer(page, question, text);
    said.push(text);
  }
  /** The log as the citizen reads it: each turn's side and bubble text, oldest first (times left out). */
  function transcript(): Promise<string[]> {
    return page
      .locator('#log .turn')
      .evaluateAll((turns) =>
        turns.map(
          (t) => `${t.classList.contains('me') ? 'me' : 'bot'}: ${t.querySelector('.msg')?.textContent}`,
        ),
      );
  }
  /** The citizen's bubbles' texts, oldest first. */
  const mine = () => page.locator('#log .msg.me').allTextContents();
  /** Presses the summary's "Kirim laporan". */
  async function send(summary: Locator): Promise<void> {
    await summary.getByRole('button', { name: 'Kirim laporan', exact: true }).click();
    said.push('Kirim laporan');
  }

  /** From the report-type question to the tracking number; returns the tracking message's text. */
  async function completeReport(report: Report): Promise<string> {
    await press(Q.type, 'Pengaduan');
    await press(Q.category, report.category);
    await press(Q.region, report.region);
    await type(Q.title, report.title);
    await type(Q.body, report.body);
    await type(Q.date, 'kemarin');
    await type(Q.location, report.address);
    await press(Q.attachments, 'Selesai');
    await press(Q.anonymous, 'Tidak');
    await press(Q.confidential, 'Tidak');
    const summary = await waitForQuestion(page, Q.summary);
    // The summary reads every answer back before anything is sent.
    await expect.poll(() => summary.locator('.msg.bot').textContent()).toContain(report.title);
    const notices = botMessages(page).filter({ hasText: 'telah tercatat dengan nomor pelacakan' });
    const before = await notices.count();
    await send(summary);
    await expect.poll(() => notices.count(), { timeout: WAIT_MS }).toBe(before + 1);
    return (await notices.last().textContent()) ?? '';
  }

  it('lets a citizen complete a report and shows the tracking number', { timeout: TEST_MS }, async () => {
    if (!app) throw new Error('no app');
    await page.goto(`${url()}/`);
    await page.locator('#status', { hasText: 'Terhubung' }).waitFor();
    await page.locator('.msg.bot', { hasText: Q.welcome }).waitFor();
    await press(Q.welcome, 'Sampaikan Laporan');

    const report: Report = {
      category: 'Jalan dan Infrastruktur',
      region: 'Kabupaten Sleman',
      title: 'Lampu penerangan jalan mati di Jalan Kaliurang km 7',
      body: 'Sudah dua minggu lampu penerangan jalan di depan pasar mati, sehingga jalan gelap dan rawan kecelakaan.',
      address: 'Jalan Kaliurang km 7, Sinduharjo, Ngaglik, Sleman',
    };
    const notice = await completeReport(report);
    const found = TRACKING.exec(notice);
    expect(found, `tracking number in: ${notice}`).not.toBeNull();
    trackingId = found?.[0] ?? '';
    // "Terima kasih, laporan … sudah kami terima" came before it.
    await page.locator('.msg.bot', { hasText: 'sudah kami terima' }).waitFor();

    const stored = await app.tickets.get(trackingId);
    expect(stored?.ticket).toMatchObject({
      trackingId,
      title: report.title,
      body: report.body,
      status: 'received',
      type: 'pengaduan',
      category: 'jalan_infrastruktur',
      region: 'sleman',
      location: { address: report.address },
      attachments: [],
      anonymous: false,
      confidential: false,
      reporter: { channel: 'web' },
    });
    expect(notice).toContain(`Judul: ${report.title}`);

    await mkdir(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: `${RESULTS_DIR}webchat.png` });
    expect(pageErrors).toEqual([]);
  });

  it("shows an agency's status change live, without a reload", { timeout: TEST_MS }, async () => {
    if (!app) throw new Error('no app');
    expect(trackingId, 'test 1 made a report').toMatch(TRACKING);
    // A reload would drop this flag.
    await page.evaluate(() => {
      (globalThis as unknown as { aduanNoReload: boolean }).aduanNoReload = true;
    });
    const { key } = await app.apiKeys.create(null);
    const res = await fetch(`${url()}/api/v1/tickets/${trackingId}/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'verified' }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ trackingId, status: 'verified' });

    const update = page.locator('.msg.bot', { hasText: 'Terverifikasi' });
    await update.waitFor();
    await expect.poll(() => update.textContent()).toContain(`Perkembangan laporan ${trackingId}`);
    expect(
      await page.evaluate(() => (globalThis as unknown as { aduanNoReload?: boolean }).aduanNoReload),
    ).toBe(true);
    expect((await app.tickets.get(trackingId))?.ticket.status).toBe('verified');
    expect(pageErrors).toEqual([]);
  });

  it('resumes a report after a reload, with the citizen’s answers', { timeout: TEST_MS }, async () => {
    await type('Terverifikasi', 'lapor');
    await press(Q.type, 'Pengaduan');
    await press(Q.category, 'Kesehatan');
    await waitForQuestion(page, Q.region);
    const shown = await botMessages(page).allTextContents();
    // Live, each message is drawn once, when sent, though the event stream brings it back too (before
    // the answer to it, so it has come by now): buttons by their label, texts as typed.
    expect(await mine()).toEqual(said);
    const before = await transcript();
    expect(before.filter((line) => line.startsWith('me: '))).toHaveLength(said.length);

    await page.reload();
    await page.locator('#status', { hasText: 'Terhubung' }).waitFor();
    // The whole conversation is replayed from the server, the citizen's answers between the bot's
    // questions, in the original order, each once; nothing is added (no second greeting).
    await expect.poll(() => page.locator('#log .turn').count(), { timeout: WAIT_MS }).toBe(before.length);
    expect(await transcript()).toEqual(before);
    expect(await botMessages(page).allTextContents()).toEqual(shown);
    expect(await mine()).toEqual(said);
    const region = await waitForQuestion(page, Q.region);
    expect(await region.getByRole('button').count()).toBeGreaterThan(1);
    expect(await page.locator('#log .turn.bot button:enabled').count()).toBe(
      await region.getByRole('button').count(),
    );

    // The question still open is the one answered next, and the reload added nothing (no second
    // greeting, no question asked twice): the only new bot message is the next question.
    await press(Q.region, 'Kota Yogyakarta');
    await waitForQuestion(page, Q.title);
    expect(await botMessages(page).count()).toBe(shown.length + 1);
    expect(await mine()).toEqual(said);
    expect(pageErrors).toEqual([]);
  });

  it('shows HTML a citizen types as text, never as markup', { timeout: TEST_MS }, async () => {
    if (!app) throw new Error('no app');
    const html = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const title = `${html} Puskesmas tutup pada jam layanan`;
    // The report of test 3 is at its title question; type the rest of it.
    await type(Q.title, title);
    await type(
      Q.body,
      'Puskesmas tutup pukul 10 pagi padahal jadwal layanan tertulis sampai pukul 14 siang.',
    );
    await type(Q.date, 'kemarin');
    await type(Q.location, 'Jalan Kenari 56, Muja Muju, Umbulharjo');
    await press(Q.attachments, 'Selesai');
    await press(Q.anonymous, 'Ya');
    await press(Q.confidential, 'Ya');
    const summary = await waitForQuestion(page, Q.summary);
    await expect.poll(() => summary.locator('.msg.bot').textContent()).toContain(html);
    await send(summary);
    const notice = botMessages(page).filter({ hasText: 'telah tercatat' }).filter({ hasText: html });
    await notice.waitFor();

    // The citizen's bubble, the summary and the confirmation all carry the text; none made an element.
    const asText = async () => {
      expect(await page.locator('#log img, #log script').count()).toBe(0);
      expect(await page.locator('#log .msg.me', { hasText: html }).count()).toBe(1);
      expect(await page.getByText(html).first().isVisible()).toBe(true);
      expect(await page.locator('#log .msg.bot', { hasText: html }).count()).toBeGreaterThanOrEqual(2);
      expect(dialogs).toEqual([]);
    };
    await asText();
    // And so does the transcript replayed after a reload, the citizen's bubble included.
    const before = await transcript();
    await page.reload();
    await expect.poll(() => transcript(), { timeout: WAIT_MS }).toEqual(before);
    await asText();
    expect(await mine()).toEqual(said);

    const trackingNo = TRACKING.exec((await notice.textContent()) ?? '')?.[0] ?? '';
    expect(trackingNo).toMatch(TRACKING);
    expect((await app.tickets.get(trackingNo))?.ticket).toMatchObject({
      title,
      anonymous: true,
      confidential: true,
    });
    expect(pageErrors).toEqual([]);
  });

  it('uploads a file the citizen picks and files it with the type the server found', {
    timeout: TEST_MS,
  }, async () => {
    if (!app) throw new Error('no app');
    const pdf = Buffer.from('%PDF-1.4\n% kuitansi retribusi\n%%EOF\n');
    await type('telah tercatat', 'lapor');
    await press(Q.type, 'Pengaduan');
    await press(Q.category, 'Kesehatan');
    await press(Q.region, 'Kota Yogyakarta');
    await type(Q.title, 'Retribusi puskesmas dipungut tanpa kuitansi resmi');
    await type(Q.body, 'Petugas loket memungut biaya pendaftaran tetapi tidak memberi kuitansi resmi.');
    await type(Q.date, 'kemarin');
    await type(Q.location, 'Jalan Kenari 56, Muja Muju, Umbulharjo');
    await waitForQuestion(page, Q.attachments);
    // The page uploads it, then posts the ref the upload returned (its type and size are the server's).
    await page
      .locator('#file')
      .setInputFiles({ name: 'kuitansi.pdf', mimeType: 'application/pdf', buffer: pdf });
    await botMessages(page).filter({ hasText: 'Berkas diterima (1 dari' }).waitFor();
    await press('Berkas diterima', 'Selesai');
    await press(Q.anonymous, 'Tidak');
    await press(Q.confidential, 'Tidak');
    const summary = await waitForQuestion(page, Q.summary);
    const notices = botMessages(page).filter({ hasText: 'telah tercatat dengan nomor pelacakan' });
    const before = await notices.count();
    await send(summary);
    await expect.poll(() => notices.count(), { timeout: WAIT_MS }).toBe(before + 1);
    const trackingNo = TRACKING.exec((await notices.last().textContent()) ?? '')?.[0] ?? '';
    expect((await app.tickets.get(trackingNo))?.ticket.attachments).toEqual([
      expect.objectContaining({ mimeType: 'application/pdf', size: pdf.length, fileName: 'kuitansi.pdf' }),
    ]);
    expect(pageErrors).toEqual([]);
  });
});
