import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logoutWhatsApp } from '../../src/channels/whatsapp/whatsapp-logout.ts';
import { cleanup, type TestAduan } from '../support/aduan.ts';
import { FakeLocation, FakeMessageMedia, FakeWhatsApp } from '../support/fake-whatsapp.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { citizen, startWhatsAppAduan } from '../support/whatsapp-aduan.ts';

const TRACKING = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/;
const PHOTO = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('foto jalan berlubang di Sleman'),
]);
const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

describe('WhatsApp, against a fake whatsapp-web.js Client', () => {
  let redis: TestRedis;
  let app: TestAduan;
  const world = new FakeWhatsApp();

  beforeAll(async () => {
    redis = await startTestRedis();
    app = await startWhatsAppAduan({ redisUrl: redis.url, world, env: { ADMIN_TOKEN } });
  });
  afterAll(async () => {
    await app?.stop();
    await cleanup(app?.dataDir);
    await redis?.stop();
  });

  it('starts with Debian chromium and LocalAuth under DATA_DIR/whatsapp, shows the QR, and is ready after the scan', async () => {
    await expect.poll(() => app.whatsapp?.state, { timeout: 10_000 }).toBe('qr');
    const client = world.clients[0];
    if (!client) throw new Error('no WhatsApp client was made');
    expect(client.options.puppeteer).toMatchObject({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-setuid-sandbox'],
    });
    expect((client.options.authStrategy as unknown as { dir: string }).dir).toBe(
      join(app.dataDir, 'whatsapp', 'session-aduan'),
    );
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, boolean> }).checks.whatsapp).toBe(false);

    // The admin page wants the token, then shows the QR code as an image drawn on the server.
    expect((await fetch(`${app.url}/admin/whatsapp`)).status).toBe(401);
    const wrong = await fetch(`${app.url}/admin/whatsapp`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const basic = Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64');
    const page = await fetch(`${app.url}/admin/whatsapp`, { headers: { authorization: `Basic ${basic}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    expect(html).not.toMatch(/<script/);

    world.scan(client);
    await expect.poll(() => app.whatsapp?.state).toBe('ready');
    const after = await fetch(`${app.url}/readyz`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { checks: Record<string, boolean> }).checks.whatsapp).toBe(true);
  });

  it('takes a whole report: numbered answers, words, a typo, a shared location and a photo the ticket keeps; a status change and an agency reply reach the chat; no log line carries the number, the text or a key', async () => {
    const chat = citizen(world, '6281234567890@c.us');
    const menu = await chat.say('lapor', /Apa yang ingin/);
    expect(menu).toContain(
      'Balas dengan angka atau kata pilihan Bapak/Ibu:\n1. Pengaduan\n2. Aspirasi\n3. Permintaan informasi',
    );
    await chat.say('1', /kategori/i);
    await chat.say('jalan', /kabupaten\/kota/i);
    await chat.say('slemn', /judul/i);
    await chat.say('Jalan berlubang di Jalan Magelang km 10', /jelaskan/i);
    await chat.say(
      'Lubang besar di lajur kiri sudah dua minggu, pengendara motor sudah ada yang jatuh.',
      /kapan/i,
    );
    const where = await chat.say('kemarin', /lokasi/i);
    expect(where).toContain('pilih *Lokasi*');
    await chat.send({ type: 'location', location: new FakeLocation(-7.7197, 110.3602) }, /foto|dokumen/i);
    await chat.send(
      {
        type: 'image',
        body: 'lubangnya',
        media: new FakeMessageMedia('image/jpeg', PHOTO.toString('base64'), null, PHOTO.length),
      },
      /Berkas diterima/,
    );
    await chat.say('selesai', /anonim/i);
    await chat.say('tidak', /rahasia/i);
    const summary = await chat.say('Tidak', /periksa kembali/i);
    expect(summary).toContain('1 berkas');
    const done = await chat.say('kirim', TRACKING);
    const trackingId = TRACKING.exec(done)?.[0] as string;

    const ticket = (await app.tickets.get(trackingId))?.ticket;
    expect(ticket).toMatchObject({
      category: 'jalan_infrastruktur',
      region: 'sleman',
      reporter: { channel: 'whatsapp', chatId: chat.from },
    });
    expect(ticket?.location).toEqual({ latitude: -7.7197, longitude: 110.3602 });
    const hash = createHash('sha256').update(PHOTO).digest('hex');
    expect(ticket?.attachments).toEqual([
      expect.objectContaining({ ref: `file:${hash}.jpg`, mimeType: 'image/jpeg' }),
    ]);
    expect(await readFile(join(app.dataDir, 'attachments', `${hash}.jpg`))).toEqual(PHOTO);

    const before = world.textsTo(chat.from).length;
    await app.service.changeStatus(trackingId, 'verified', 'Sudah kami cek di lapangan.', {
      kind: 'coordinator',
    });
    const update = await chat.waitFor(/Terverifikasi/, before);
    expect(update).toContain(trackingId);

    // The agency reads and answers it with its API key; a wrong key is tried too.
    const { key } = await app.apiKeys.create(ticket?.agencyId as string);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    expect((await fetch(`${app.url}/api/v1/tickets/${trackingId}`, { headers })).status).toBe(200);
    const reply = await fetch(`${app.url}/api/v1/tickets/${trackingId}/replies`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ message: 'Petugas kami menambal lubangnya Kamis pagi.' }),
    });
    expect(reply.status).toBe(201);
    await chat.waitFor(/Petugas kami menambal/, before);
    expect(
      (await fetch(`${app.url}/api/v1/tickets`, { headers: { authorization: `Bearer ${key}x` } })).status,
    ).toBe(401);

    // A group message is ignored and logged at debug level: debug logging is on, and the report was
    // logged about, so the check below is not vacuous. No phone number, message text, agency key or
    // admin token may appear in any log line (log-privacy.test.ts: the same on web chat and Telegram).
    world.receive({ from: '120363099887766554@g.us', body: 'Grup warga Magelang: 6281234567890' });
    await expect
      .poll(() =>
        app.logs.lines.some((l) => l.includes('"level":20') && l.includes('whatsapp message ignored')),
      )
      .toBe(true);
    expect(app.logs.lines.filter((l) => l.includes('report submitted'))).toHaveLength(1);
    const logs = app.logs.lines.join('\n');
    const forbidden = [
      '6281234567890',
      '81234567890',
      'Magelang',
      'Lubang besar di lajur kiri',
      'lubangnya',
      'Petugas kami menambal',
      'Grup warga',
      '120363099887766554',
      key,
      key.slice(6, 20),
      ADMIN_TOKEN,
      Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64'),
    ];
    for (const secret of forbidden) expect(logs, `logs contain "${secret}"`).not.toContain(secret);
  });

  it('ignores group chats, status broadcasts, its own messages and a message delivered twice', async () => {
    const sentBefore = world.sent.length;
    world.receive({ from: '120363012345678901@g.us', body: 'lapor' });
    world.receive({ from: 'status@broadcast', isStatus: true, body: 'lapor' });
    world.receive({ from: '6281200000001@c.us', fromMe: true, body: 'lapor' });
    const chat = citizen(world, '6281200000002@c.us');
    await chat.send({ body: 'lapor', id: 'DUPLICATE1' }, /Apa yang ingin/);
    world.receive({ from: chat.from, body: 'lapor', id: 'DUPLICATE1' });
    await chat.say('2', /kategori/i);
    expect(world.textsTo(chat.from).filter((t) => /Apa yang ingin/.test(t))).toHaveLength(1);
    expect(world.sent.slice(sentBefore).map((m) => m.chatId)).toEqual(
      world.sent.slice(sentBefore).map(() => chat.from),
    );
  });

  it('answers a voice note, a sticker and an unasked photo politely without keeping them', async () => {
    const chat = citizen(world, '6281200000003@c.us');
    await chat.send(
      { type: 'ptt', media: new FakeMessageMedia('audio/ogg; codecs=opus', 'T2dnUw==') },
      /pesan suara belum dapat kami proses.*teks/,
    );
    await chat.send(
      { type: 'sticker', media: new FakeMessageMedia('image/webp', 'UklGRg==') },
      /jenis pesan ini belum dapat kami proses/,
    );
    await chat.send(
      { type: 'image', media: new FakeMessageMedia('image/jpeg', PHOTO.toString('base64')) },
      /belum memerlukan foto atau dokumen/,
    );
  });

  it('loses nothing across a disconnect: a status update sent meanwhile is delivered after the reconnect', async () => {
    const chat = citizen(world, '6281200000004@c.us');
    await chat.say('lapor', /Apa yang ingin/);
    const holder = world.ready()[0];
    holder?.dropConnection('CONFLICT');
    await expect.poll(() => app.whatsapp?.state).not.toBe('ready');
    // While disconnected, the bot has something to say to the chat (as a status update would).
    await app.channels.get('whatsapp')?.send(chat.from, [{ text: 'Pesan selama terputus' }]);
    await expect.poll(() => app.whatsapp?.state, { timeout: 10_000 }).toBe('ready');
    // A new client replaced the dropped one (the library destroys a disconnected client).
    expect(world.clients.map((c) => c.status)).toEqual(['destroyed', 'ready']);
    await chat.waitFor(/Pesan selama terputus/);
    // The conversation carries on where it was, without a new QR scan (LocalAuth kept the link).
    await chat.say('aspirasi', /kategori/i);
  });

  it('logs out when `aduan whatsapp logout` asks, and shows a new QR code', async () => {
    const result = await logoutWhatsApp({
      redis: app.redis,
      keys: app.keys,
      library: async () => world.library,
      dataPath: join(app.dataDir, 'whatsapp'),
      chromiumPath: '/usr/bin/chromium',
      pollMs: 20,
      timeoutMs: 10_000,
    });
    expect(result).toBe('logged_out_by_holder');
    expect(existsSync(join(app.dataDir, 'whatsapp', 'session-aduan', 'linked'))).toBe(false);
    await expect.poll(() => app.whatsapp?.state, { timeout: 10_000 }).toBe('qr');
  });
});
