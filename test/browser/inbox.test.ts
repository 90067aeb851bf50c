// The agency inbox page (src/http/public/inbox) in a real browser: headless Chromium against the real
// app, a real redis-server, and a real web chat client whose reports and event stream are the
// citizen's side. The tests share one page and run in order, like one operator's morning: a wrong key,
// signing in, a report whose text is an HTML/script payload, a status change the reporter hears of,
// a reply, an internal note, moving through the list by keyboard, the agency's "bukan wewenang" form
// refusing a pass-on without a reason, signing out; then the coordinator forwards the report to another
// agency (disposisi), each agency's key sees what is now its own, and the new agency passes it back
// ("bukan wewenang", with its reason): it leaves that agency's list.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_LABELS, TRANSITIONS } from '../../src/tickets/lifecycle.ts';
import { cleanup, startTestAduan, type TestAduan } from '../support/aduan.ts';
import { collectPageErrors, launchChromium } from '../support/browser.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { completeReport, WebChatClient } from '../support/web-client.ts';

const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));
/** Generous: a shared 2-core CI box runs Chromium, the app, its workers and redis-server at once. */
const WAIT_MS = 60_000;
const TEST_MS = 180_000;

// What a hostile reporter types: markup that would run if the page ever used innerHTML.
const IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1">';
const SCRIPT_PAYLOAD = '<script>window.__pwned=2</script>';
const TITLE = `Jalan berlubang ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}`;
const BODY = `Lubang besar di depan SD Negeri 3 sudah sebulan. ${SCRIPT_PAYLOAD}\nBaris kedua ${IMG_PAYLOAD}`;
const OTHER_TITLE = 'Lampu jalan mati di Jalan Kaliurang km 7';

// Page-side expressions as strings: the tests are compiled without the DOM's types.
/** expect.poll with the generous wait (its own default is one second). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: WAIT_MS });
const pwned = (page: Page) => page.evaluate<number | undefined>('window.__pwned');
const activeId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');
const activeRow = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.dataset.id');
const sessionKey = (page: Page) => page.evaluate<string | null>("sessionStorage.getItem('aduan.inbox.key')");
const storageLength = (page: Page, storage: 'sessionStorage' | 'localStorage') =>
  page.evaluate<number>(`${storage}.length`);
/** Chromium logs every 4xx answer as a console error; the tests that provoke one drop exactly those. */
const withoutStatus = (errors: string[], ...statuses: number[]) =>
  errors.filter((e) => !statuses.some((status) => e.includes(`status of ${status}`)));

/** Where the report is forwarded: a provincial road is the province's public-works office. */
const TARGET_AGENCY = 'diy-dpupesdm';
const ROUTE_NOTE = 'Ruas jalan provinsi: wewenang DPUPESDM DIY, bukan kabupaten.';
/** The new agency's reason for passing it back. */
const AUTHORITY_REASON =
  'Setelah dicek, ruas ini jalan kabupaten (bukan jalan provinsi): wewenang DPUPR Sleman.';
const REASON_REQUIRED = 'Alasan wajib diisi: jelaskan mengapa laporan ini bukan wewenang instansi Anda.';

describe('agency inbox page in a browser', () => {
  let redis: TestRedis | undefined;
  let app: TestAduan | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let citizen: WebChatClient | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  /** The payload report (the one worked on), an ordinary one of the same agency, and that agency's key. */
  let trackingId = '';
  let otherId = '';
  let key = '';
  /** The agency both reports were routed to (roads in Sleman) and a coordinator's key. */
  let fromAgency = '';
  let coordinatorKey = '';
  /** The key of the agency the coordinator forwards the report to. */
  let newKey = '';

  beforeAll(async () => {
    redis = await startTestRedis();
    app = await startTestAduan({ redisUrl: redis.url });
    if (!app.url) throw new Error('the app serves no HTTP');
    // Two reports from one citizen, both routed to the same agency (roads in Sleman).
    citizen = new WebChatClient(app.url);
    await citizen.connect();
    otherId = await completeReport(citizen, OTHER_TITLE);
    trackingId = await completeReport(citizen, TITLE, BODY);
    const stored = await app.tickets.get(trackingId);
    if (!stored) throw new Error(`no ticket ${trackingId}`);
    expect((await app.tickets.get(otherId))?.ticket.agencyId).toBe(stored.ticket.agencyId);
    fromAgency = stored.ticket.agencyId;
    expect(fromAgency).not.toBe(TARGET_AGENCY);
    ({ key } = await app.apiKeys.create(fromAgency));
    ({ key: coordinatorKey } = await app.apiKeys.create(null));

    browser = await launchChromium();
    // A laptop screen, Indonesian locale and time zone, as an operator in Yogyakarta would have.
    context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      locale: 'id-ID',
      timezoneId: 'Asia/Jakarta',
      reducedMotion: 'reduce',
    });
    context.setDefaultTimeout(WAIT_MS);
    page = await context.newPage();
    pageErrors = collectPageErrors(page);
  }, 180_000);

  afterAll(async () => {
    citizen?.close();
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
  const row = (id: string) => page.locator('#tickets button.row', { hasText: id });
  const agencyName = (id: string) => {
    const name = app?.flows.routing.agencies.find((a) => a.id === id)?.name;
    if (!name) throw new Error(`no agency ${id} in the routing`);
    return name;
  };
  /** The "Instansi" fact of the open ticket. */
  const shownAgency = () =>
    page
      .locator('#t-meta > div')
      .filter({ has: page.locator('dt', { hasText: /^Instansi$/ }) })
      .locator('dd')
      .textContent();
  const callApi = async (apiKey: string, path: string, body?: object) => {
    const res = await fetch(`${url()}/api/v1${path}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const signInAs = async (apiKey: string) => {
    await page.locator('#key').waitFor();
    await page.fill('#key', apiKey);
    await page.press('#key', 'Enter');
    await page.locator('#inbox-view').waitFor();
  };
  const signOut = async () => {
    await page.click('#sign-out');
    await page.locator('#signin-view').waitFor();
  };

  it('refuses a wrong key politely and shows no data', { timeout: TEST_MS }, async () => {
    // A 401 for the wrong key is expected; Chromium logs every failed request as a console error.
    const consoleErrorsBefore = pageErrors.length;
    await page.goto(`${url()}/inbox/`);
    await page.locator('#key').waitFor();
    await poll(() => activeId(page)).toBe('key');
    await page.fill('#key', 'adk_this-is-not-a-real-key');
    await page.press('#key', 'Enter');
    await poll(() => page.locator('#signin-error').textContent()).toBe(
      'Kunci API tidak dikenal atau sudah dicabut. Periksa kembali kunci Anda.',
    );
    expect(await page.locator('#key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#inbox-view').isHidden()).toBe(true);
    expect(await page.locator('#tickets li').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain(trackingId);
    expect(await storageLength(page, 'sessionStorage')).toBe(0);
    const unexpected = pageErrors.slice(consoleErrorsBefore).filter((e) => !/401/.test(e));
    expect(unexpected).toEqual([]);
    pageErrors.length = consoleErrorsBefore;
  });

  it('signs in and shows an HTML/script payload as text, never as markup', { timeout: TEST_MS }, async () => {
    await page.fill('#key', key);
    await page.press('#key', 'Enter');
    await row(trackingId).waitFor();
    await row(otherId).waitFor();
    // In the tab's session only: a shared office computer must not keep it.
    expect(await sessionKey(page)).toBe(key);
    expect(await storageLength(page, 'localStorage')).toBe(0);
    expect(await page.locator('#summary').textContent()).toContain('2 laporan');

    await row(trackingId).click();
    await poll(() => page.locator('#t-title').textContent()).toBe(TITLE);
    // Opening a ticket on purpose takes focus to it (a screen reader reads its title).
    await poll(() => activeId(page)).toBe('t-title');
    expect(await page.locator('#t-body').textContent()).toBe(BODY);
    expect(await page.locator('#t-id').textContent()).toBe(trackingId);
    expect(await page.locator('#t-status').textContent()).toBe(STATUS_LABELS.received.id);
    expect(await row(trackingId).textContent()).toContain(IMG_PAYLOAD);
    // The literal text is on the screen…
    expect(await page.getByText(SCRIPT_PAYLOAD).first().isVisible()).toBe(true);
    // …and nothing of it became an element, or ran.
    expect(await page.locator('#detail img, #detail script, #tickets img, #tickets script').count()).toBe(0);
    expect(await page.locator('body img').count()).toBe(0);
    expect(await pwned(page)).toBeUndefined();
    expect(await page.locator('#t-history li').first().textContent()).toContain('Laporan diterima');
    expect(await page.locator('#t-deadlines li').allTextContents()).toEqual([
      expect.stringContaining('Berjalan'),
      expect.stringContaining('Belum berlaku'),
      expect.stringContaining('Belum berlaku'),
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('changes the status with a note, and the reporter hears of it', { timeout: TEST_MS }, async () => {
    if (!app || !citizen) throw new Error('no app');
    // Only the transitions the lifecycle allows from "received" are offered.
    const offered = await page.locator('#s-status option:not([value=""])').allTextContents();
    expect(offered).toEqual(TRANSITIONS.received.map((s) => STATUS_LABELS[s].id));

    // Archiving needs a reason: the page says so and sends nothing without one.
    await page.selectOption('#s-status', 'archived');
    expect(await page.locator('#s-note-need').textContent()).toContain('wajib');
    await page.click('#status-form button[type="submit"]');
    await poll(() => page.locator('#s-error').textContent()).toContain('Catatan wajib diisi');
    expect(await activeId(page)).toBe('s-note');
    expect((await app.tickets.get(trackingId))?.ticket.status).toBe('received');

    const note = 'Laporan lengkap; diteruskan ke bidang jalan dan jembatan.';
    await page.selectOption('#s-status', 'verified');
    expect(await page.locator('#s-note-need').textContent()).toBe('(opsional)');
    await page.fill('#s-note', note);
    await page.click('#status-form button[type="submit"]');

    await poll(() => page.locator('#t-status').textContent()).toBe(STATUS_LABELS.verified.id);
    await poll(() => page.locator('#announce').textContent()).toContain('Terverifikasi');
    expect(await page.locator('#t-history li').first().textContent()).toContain(note);
    expect(await row(trackingId).textContent()).toContain(STATUS_LABELS.verified.id);
    // The form now offers what follows "verified", and focus is back on it for the next step.
    expect(await page.locator('#s-status option:not([value=""])').allTextContents()).toEqual(
      TRANSITIONS.verified.map((s) => STATUS_LABELS[s].id),
    );
    expect(await activeId(page)).toBe('s-status');
    expect(await page.locator('#s-note').inputValue()).toBe('');

    // The reporter's own chat receives the update.
    const update = await citizen.waitFor(
      (m) => m.text.includes(trackingId) && m.text.includes('Terverifikasi'),
      WAIT_MS,
    );
    expect(update.text).toContain(note);
    expect((await app.tickets.get(trackingId))?.ticket.status).toBe('verified');
    expect(await pwned(page)).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it('sends a reply the reporter receives, and marks an internal note as internal', {
    timeout: TEST_MS,
  }, async () => {
    if (!citizen) throw new Error('no citizen');
    const reply = 'Terima kasih, Bapak/Ibu. Tim kami akan meninjau lokasi pada hari Kamis.';
    // "b" jumps to the reply field from anywhere outside a form field.
    await page.locator('#t-title').focus();
    await page.keyboard.press('b');
    expect(await activeId(page)).toBe('r-message');
    await page.keyboard.type(reply);
    await page.click('#reply-form button[type="submit"]');
    await poll(() => page.locator('#announce').textContent()).toBe('Balasan terkirim ke pelapor.');
    expect(await page.locator('#r-message').inputValue()).toBe('');
    expect(await page.locator('#t-history li').first().textContent()).toContain(reply);
    await citizen.waitFor((m) => m.text.includes(reply), WAIT_MS);

    const internal = 'Koordinasi dengan UPT jalan: survei Kamis pagi.';
    await page.fill('#n-note', internal);
    await page.press('#n-note', 'Tab');
    await page.keyboard.press('Enter');
    const noteEvent = page.locator('#t-history li.internal', { hasText: internal });
    await noteEvent.waitFor();
    expect(await noteEvent.textContent()).toContain('Internal — tidak terlihat oleh pelapor');
    // The reply is not marked internal.
    expect(await page.locator('#t-history li.internal', { hasText: reply }).count()).toBe(0);

    await mkdir(RESULTS_DIR, { recursive: true });
    await page.locator('#t-title').focus();
    await page.screenshot({ path: `${RESULTS_DIR}inbox.png` });
    expect(pageErrors).toEqual([]);
  });

  it('moves through the list with j and k', { timeout: TEST_MS }, async () => {
    // Newest first: the payload report, then the other one.
    await page.locator('#t-title').focus();
    await page.keyboard.press('j');
    await poll(() => page.locator('#t-title').textContent()).toBe(OTHER_TITLE);
    expect(await row(otherId).getAttribute('aria-current')).toBe('true');
    expect(await row(trackingId).getAttribute('aria-current')).toBeNull();
    // Focus follows to the row, so j/k and the arrow keys keep working from there.
    expect(await activeRow(page)).toBe(otherId);
    await page.keyboard.press('ArrowUp');
    await poll(() => page.locator('#t-title').textContent()).toBe(TITLE);
    expect(await row(trackingId).getAttribute('aria-current')).toBe('true');
    expect(pageErrors).toEqual([]);
  });

  it('filters the list by status', { timeout: TEST_MS }, async () => {
    await page.selectOption('#f-status', 'verified');
    await poll(() => page.locator('#tickets button.row').count()).toBe(1);
    expect(await row(trackingId).count()).toBe(1);
    await page.selectOption('#f-status', '');
    await poll(() => page.locator('#tickets button.row').count()).toBe(2);
  });

  it('offers an agency key the "Bukan wewenang" form, not the disposisi one, and passes nothing on without a reason', {
    timeout: TEST_MS,
  }, async () => {
    if (!app) throw new Error('no app');
    const errorsBefore = pageErrors.length;
    await row(trackingId).click();
    await poll(() => page.locator('#t-title').textContent()).toBe(TITLE);
    // The actions are there, the coordinator's forwarding is not; the agency's own pass-on is.
    expect(await page.locator('#status-form').isVisible()).toBe(true);
    expect(await page.locator('#route-form').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Disposisikan' }).count()).toBe(0);
    expect(await page.locator('#authority-form').isVisible()).toBe(true);
    expect(await page.locator('#authority-form h3').textContent()).toBe('Bukan wewenang');
    const offered = await page
      .locator('#w-agency option:not([value=""])')
      .evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    const expected = app.flows.routing.agencies.map((a) => a.id).filter((id) => id !== fromAgency);
    expect([...offered].sort()).toEqual([...expected].sort());

    // An agency chosen, no reason: the page refuses beside the form and sends nothing.
    await page.selectOption('#w-agency', TARGET_AGENCY);
    await page.click('#authority-form button[type="submit"]');
    await poll(() => page.locator('#w-error').textContent()).toBe(REASON_REQUIRED);
    expect(await activeId(page)).toBe('w-note');
    expect(await page.locator('#w-note').getAttribute('aria-invalid')).toBe('true');
    // The API refuses it too, naming the field.
    const refused = await callApi(key, `/tickets/${trackingId}/route`, { agencyId: TARGET_AGENCY });
    expect([refused.status, (refused.json.error as { field?: string })?.field]).toEqual([400, 'note']);

    // The API's own refusal comes back in Indonesian beside the form, on the field it names: an agency
    // the routing no longer knows (routing.yaml edited while the page was open).
    await page.evaluate(`(() => {
      const o = document.createElement('option');
      o.value = 'dinas-yang-sudah-dihapus';
      o.textContent = 'Dinas yang sudah dihapus';
      document.getElementById('w-agency').append(o);
    })()`);
    await page.selectOption('#w-agency', 'dinas-yang-sudah-dihapus');
    await page.fill('#w-note', 'Bukan wewenang kami.');
    await page.click('#authority-form button[type="submit"]');
    await poll(() => page.locator('#w-error').textContent()).toBe(
      'Instansi tujuan tidak dikenal; daftar instansi mungkin baru diubah. Muat ulang halaman, lalu pilih lagi.',
    );
    expect(await page.locator('#w-agency').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#ticket').isVisible()).toBe(true);
    expect(await row(trackingId).count()).toBe(1);
    expect((await app.tickets.get(trackingId))?.ticket.agencyId).toBe(fromAgency);
    expect((await app.tickets.events(trackingId)).some((e) => e.type === 'rerouted')).toBe(false);
    expect(withoutStatus(pageErrors.slice(errorsBefore), 400)).toEqual([]);
    pageErrors.length = errorsBefore;
  });

  it('signs out and forgets the key', { timeout: TEST_MS }, async () => {
    await page.click('#sign-out');
    await page.locator('#signin-view').waitFor();
    expect(await page.locator('#inbox-view').isHidden()).toBe(true);
    expect(await sessionKey(page)).toBeNull();
    expect(await page.locator('#t-title').isVisible()).toBe(false);
    await page.reload();
    await page.locator('#key').waitFor();
    expect(await page.locator('#inbox-view').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('lets a coordinator forward a report (disposisi): the new agency and the history line show without a reload', {
    timeout: TEST_MS,
  }, async () => {
    if (!app || !citizen) throw new Error('no app');
    const errorsBefore = pageErrors.length;
    const fromName = agencyName(fromAgency);
    const toName = agencyName(TARGET_AGENCY);
    await signInAs(coordinatorKey);
    await row(trackingId).waitFor();
    await row(otherId).waitFor();
    // Set after sign-in: still there at the end only if the page never reloaded.
    await page.evaluate('window.__sameDocument = 1');
    await row(trackingId).click();
    await poll(() => page.locator('#t-title').textContent()).toBe(TITLE);
    expect(await page.locator('#route-form').isVisible()).toBe(true);
    expect(await page.locator('#authority-form').isHidden()).toBe(true);
    expect(await shownAgency()).toBe(fromName);

    // Every agency of the routing but the ticket's own, the report's region first.
    const offered = await page
      .locator('#d-agency option:not([value=""])')
      .evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    const expected = app.flows.routing.agencies.map((a) => a.id).filter((id) => id !== fromAgency);
    expect([...offered].sort()).toEqual([...expected].sort());
    expect(await page.locator('#d-agency optgroup').first().getAttribute('label')).toBe(
      'Kabupaten Sleman (wilayah laporan)',
    );

    // Nothing chosen: the page says so and sends nothing.
    await page.click('#route-form button[type="submit"]');
    await poll(() => page.locator('#d-error').textContent()).toBe('Pilih instansi tujuan terlebih dahulu.');
    expect(await activeId(page)).toBe('d-agency');

    // An agency the routing no longer knows (routing.yaml edited while the page was open): the API's
    // 400 unknown_agency comes back in Indonesian beside the form, on the field it names.
    await page.evaluate(`(() => {
      const o = document.createElement('option');
      o.value = 'dinas-yang-sudah-dihapus';
      o.textContent = 'Dinas yang sudah dihapus';
      document.getElementById('d-agency').append(o);
    })()`);
    await page.selectOption('#d-agency', 'dinas-yang-sudah-dihapus');
    await page.click('#route-form button[type="submit"]');
    await poll(() => page.locator('#d-error').textContent()).toBe(
      'Instansi tujuan tidak dikenal; daftar instansi mungkin baru diubah. Muat ulang halaman, lalu pilih lagi.',
    );
    expect(await page.locator('#d-agency').getAttribute('aria-invalid')).toBe('true');
    expect((await app.tickets.get(trackingId))?.ticket.agencyId).toBe(fromAgency);

    await page.selectOption('#d-agency', TARGET_AGENCY);
    expect(await page.locator('#d-error').textContent()).toBe('');
    await page.fill('#d-note', ROUTE_NOTE);
    await page.click('#route-form button[type="submit"]');

    await poll(() => shownAgency()).toBe(toName);
    expect(await page.locator('#t-status').textContent()).toBe(STATUS_LABELS.dispatched.id);
    const line = page.locator('#t-history li').first();
    expect(await line.textContent()).toContain(`Disposisi: ${fromName} → ${toName}`);
    expect(await line.textContent()).toContain(ROUTE_NOTE);
    expect(await line.locator('.actor').textContent()).toBe('Koordinator');
    await poll(() => page.locator('#announce').textContent()).toContain(toName);
    expect(await row(trackingId).textContent()).toContain(STATUS_LABELS.dispatched.id);
    // The form now offers the old agency and not the new one; the note is cleared.
    expect(await page.locator(`#d-agency option[value="${TARGET_AGENCY}"]`).count()).toBe(0);
    expect(await page.locator(`#d-agency option[value="${fromAgency}"]`).count()).toBe(1);
    expect(await page.locator('#d-note').inputValue()).toBe('');
    expect(await page.evaluate('window.__sameDocument')).toBe(1);
    await page.screenshot({ path: `${RESULTS_DIR}inbox-disposisi.png` });

    const stored = await app.tickets.get(trackingId);
    expect(stored?.ticket).toMatchObject({ agencyId: TARGET_AGENCY, status: 'dispatched' });
    await citizen.waitFor(
      (m) => m.text.includes(trackingId) && m.text.includes(`diteruskan kepada ${toName}`),
      WAIT_MS,
    );
    expect(await pwned(page)).toBeUndefined();
    expect(withoutStatus(pageErrors.slice(errorsBefore), 400)).toEqual([]);
    pageErrors.length = errorsBefore;
  });

  it('shows why a report cannot be forwarded when it was archived meanwhile', {
    timeout: TEST_MS,
  }, async () => {
    if (!app) throw new Error('no app');
    const errorsBefore = pageErrors.length;
    await row(otherId).click();
    await poll(() => page.locator('#t-title').textContent()).toBe(OTHER_TITLE);
    expect(await page.locator('#d-agency').isEnabled()).toBe(true);
    // The agency archives it in its own tab while the coordinator is choosing.
    const archived = await callApi(key, `/tickets/${otherId}/status`, {
      status: 'archived',
      note: 'Laporan ganda.',
    });
    expect(archived.status).toBe(200);
    await page.selectOption('#d-agency', TARGET_AGENCY);
    await page.click('#route-form button[type="submit"]');
    await poll(() => page.locator('#d-error').textContent()).toBe(
      'Laporan ini tidak dapat didisposisikan dari status sekarang (sudah ditutup atau diarsipkan); laporan telah dimuat ulang.',
    );
    // Reloaded: the page shows what the ticket is now, and no longer offers to forward it.
    await poll(() => page.locator('#t-status').textContent()).toBe(STATUS_LABELS.archived.id);
    expect(await page.locator('#d-final').isVisible()).toBe(true);
    expect(await page.locator('#d-agency').isDisabled()).toBe(true);
    expect(await shownAgency()).toBe(agencyName(fromAgency));
    expect((await app.tickets.get(otherId))?.ticket.agencyId).toBe(fromAgency);
    expect(withoutStatus(pageErrors.slice(errorsBefore), 409)).toEqual([]);
    pageErrors.length = errorsBefore;
  });

  it('gives the forwarded report to the new agency’s key and takes it from the old one’s', {
    timeout: TEST_MS,
  }, async () => {
    if (!app) throw new Error('no app');
    ({ key: newKey } = await app.apiKeys.create(TARGET_AGENCY));
    await signOut();

    // The new agency: the report is in its list, with the history line, and no disposisi form.
    await signInAs(newKey);
    await row(trackingId).waitFor();
    expect(await page.locator('#tickets button.row').count()).toBe(1);
    await row(trackingId).click();
    await poll(() => page.locator('#t-title').textContent()).toBe(TITLE);
    expect(await shownAgency()).toBe(agencyName(TARGET_AGENCY));
    expect(await page.locator('#t-history li').first().textContent()).toContain(ROUTE_NOTE);
    expect(await page.locator('#route-form').isHidden()).toBe(true);
    await signOut();

    // The old agency: its other (archived) report is still there, the forwarded one is gone.
    await signInAs(key);
    await row(otherId).waitFor();
    expect(await row(trackingId).count()).toBe(0);
    expect(await page.locator('#tickets button.row').count()).toBe(1);
    expect(await page.locator('#summary').textContent()).toContain('1 laporan');
    expect(await page.locator('#route-form').isHidden()).toBe(true);

    // The API agrees: a 404 for the old key, exactly as for a ticket that does not exist.
    expect((await callApi(key, `/tickets/${trackingId}`)).status).toBe(404);
    expect((await callApi(newKey, `/tickets/${trackingId}`)).status).toBe(200);
    const stats = await callApi(newKey, '/stats');
    expect(stats.json.key).toEqual({ role: 'agency', agencyId: TARGET_AGENCY });
    expect((await callApi(coordinatorKey, '/stats')).json.key).toEqual({
      role: 'coordinator',
      agencyId: null,
    });
    expect(pageErrors).toEqual([]);
  });

  it('lets the new agency pass it back ("bukan wewenang"): it leaves that agency’s list, the reporter hears only where it went', {
    timeout: TEST_MS,
  }, async () => {
    if (!app || !citizen) throw new Error('no app');
    const fromName = agencyName(fromAgency);
    const toName = agencyName(TARGET_AGENCY);
    await signOut();
    await signInAs(newKey);
    await row(trackingId).click();
    // Waits for the ticket to open (the title's text is still there from before signing out).
    await page.locator('#authority-form').waitFor();
    expect(await page.locator('#t-title').textContent()).toBe(TITLE);
    await page.selectOption('#w-agency', fromAgency);
    await page.fill('#w-note', AUTHORITY_REASON);
    await page.click('#authority-form button[type="submit"]');

    // Off this agency's list and out of the detail pane, and the page says where it went.
    await poll(() => row(trackingId).count()).toBe(0);
    expect(await page.locator('#tickets button.row').count()).toBe(0);
    expect(await page.locator('#ticket').isHidden()).toBe(true);
    const passedOn = `Laporan ${trackingId} telah diteruskan ke ${fromName}`;
    expect(await page.locator('#detail-empty').textContent()).toContain(passedOn);
    await poll(() => page.locator('#announce').textContent()).toContain(passedOn);
    expect(await activeId(page)).toBe('detail-empty');
    expect(await page.evaluate<string>('location.hash')).toBe('');
    await poll(() => page.locator('#summary').textContent()).toContain('0 laporan');
    await page.screenshot({ path: `${RESULTS_DIR}inbox-bukan-wewenang.png` });

    // The new agency's key has lost it; the agency it went to has it back.
    expect((await callApi(newKey, `/tickets/${trackingId}`)).status).toBe(404);
    expect((await callApi(key, `/tickets/${trackingId}`)).status).toBe(200);
    const stored = await app.tickets.get(trackingId);
    expect(stored?.ticket).toMatchObject({ agencyId: fromAgency, status: 'dispatched' });
    expect((await app.tickets.events(trackingId)).at(-1)).toMatchObject({
      type: 'rerouted',
      actor: { kind: 'agency', id: TARGET_AGENCY },
      fromAgencyId: TARGET_AGENCY,
      agencyId: fromAgency,
      note: AUTHORITY_REASON,
    });
    // The reporter is told the agency's name, in the disposisi's words: not the agencies' reason.
    const notice = await citizen.waitFor(
      (m) => m.text.includes(trackingId) && m.text.includes(`diteruskan kepada ${fromName}`),
      WAIT_MS,
    );
    expect(notice.text).not.toContain(AUTHORITY_REASON);

    // The agency it went to sees who passed it on and why.
    await signOut();
    await signInAs(key);
    await row(trackingId).click();
    const line = page.locator('#t-history li').first();
    await poll(() => line.textContent()).toContain(`Bukan wewenang: ${toName} → ${fromName}`);
    expect(await line.textContent()).toContain(`Alasan: ${AUTHORITY_REASON}`);
    expect(await line.locator('.actor').textContent()).toBe(toName);
    expect(await pwned(page)).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });
  it('keeps every form of a coordinator reachable on a 1366×768 laptop without scrolling the case away', {
    timeout: TEST_MS,
  }, async () => {
    await signOut();
    // The most common office laptop screen; the coordinator has the most forms (four).
    await page.setViewportSize({ width: 1366, height: 768 });
    try {
      await signInAs(coordinatorKey);
      await row(trackingId).click();
      await poll(() => page.locator('#t-title').textContent()).toBe(TITLE);
      const lastButton = page.locator('.actions .action').last().locator('button[type="submit"]');
      expect(await page.locator('.actions .action').count()).toBeGreaterThanOrEqual(4);
      await page.locator('.detail').evaluate((el) => {
        el.scrollTop = 0;
      });
      await lastButton.evaluate((el) => el.scrollIntoView({ block: 'nearest' }));
      const box = await lastButton.boundingBox();
      const viewport = page.viewportSize();
      expect(box && viewport && box.y >= 0 && box.y + box.height <= viewport.height).toBe(true);
      // The actions column scrolled on its own: the case stayed where the operator was reading.
      expect(await page.locator('.detail').evaluate((el) => el.scrollTop)).toBe(0);
      expect(await page.locator('#t-title').isVisible()).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });
});
