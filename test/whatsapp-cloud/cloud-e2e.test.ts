import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHATSAPP_CLOUD_WEBHOOK_PATH } from '../../src/channels/whatsapp-cloud/cloud-channel.ts';
import { cleanup, type TestAduan } from '../support/aduan.ts';
import {
  type GraphEmulator,
  MetaWebhook,
  type SentMessage,
  startGraphEmulator,
  visibleText,
} from '../support/graph-emulator.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { APP_SECRET, startCloudAduan, TestClock, VERIFY_TOKEN } from '../support/whatsapp-cloud-aduan.ts';

const TRACKING = /ADU-[2-9A-Y]{4}-[2-9A-Y]{4}/;
const PHOTO = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('foto jalan berlubang di Sleman'),
]);
const HOUR = 3_600_000;

interface Interactive {
  type: string;
  body: { text: string };
  action: {
    buttons?: { type: string; reply: { id: string; title: string } }[];
    sections?: { rows: { id: string; title: string; description?: string }[] }[];
    button?: string;
    name?: string;
  };
}
const interactive = (m: SentMessage) => (m.body as { interactive: Interactive }).interactive;

describe('WhatsApp over the Cloud API, against a Graph API emulator and signed webhooks', () => {
  let redis: TestRedis;
  let graph: GraphEmulator;
  let app: TestAduan;
  let meta: MetaWebhook;
  const clock = new TestClock();

  beforeAll(async () => {
    redis = await startTestRedis();
    graph = await startGraphEmulator();
    app = await startCloudAduan({
      redisUrl: redis.url,
      graph,
      clock,
      env: { WHATSAPP_TEMPLATE_STATUS: 'dinas_status_laporan', WHATSAPP_TEMPLATE_STATUS_LANGUAGE: 'id' },
    });
    meta = new MetaWebhook(`${app.url}${WHATSAPP_CLOUD_WEBHOOK_PATH}`, APP_SECRET, graph.phoneNumberId);
  });
  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await cleanup(app?.dataDir);
    await redis?.stop();
  });

  /** A citizen: each message is posted as Meta posts it; the answer is what the Graph API got after it. */
  function citizen(from: string) {
    return {
      from,
      async send(content: Record<string, unknown>): Promise<SentMessage[]> {
        const before = graph.sentTo(from).length;
        const response = await meta.post(meta.message(from, content).body);
        expect(response.status).toBe(200);
        // Meta's call is answered once the turn is done and its replies are sent.
        return graph.sentTo(from).slice(before);
      },
      say(text: string) {
        return this.send({ type: 'text', text: { body: text } });
      },
      press(id: string, title = '') {
        return this.send({
          type: 'interactive',
          interactive: { type: 'button_reply', button_reply: { id, title } },
        });
      },
      pick(id: string, title = '') {
        return this.send({
          type: 'interactive',
          interactive: { type: 'list_reply', list_reply: { id, title } },
        });
      },
    };
  }
  const last = (ms: SentMessage[]) => ms[ms.length - 1] as SentMessage;
  const button = (m: SentMessage, title: string) => {
    const found = interactive(m).action.buttons?.find((b) => b.reply.title === title);
    if (!found) throw new Error(`no button "${title}" in ${JSON.stringify(m.body)}`);
    return found.reply.id;
  };
  const row = (m: SentMessage, title: RegExp) => {
    const found = interactive(m).action.sections?.[0]?.rows.find((r) => title.test(r.title));
    if (!found) throw new Error(`no row ${title} in ${JSON.stringify(m.body)}`);
    return found.id;
  };

  it('answers the verification handshake with the challenge, and refuses a wrong verify token', async () => {
    const url = `${app.url}${WHATSAPP_CLOUD_WEBHOOK_PATH}`;
    const ok = await fetch(
      `${url}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(
      `${url}?hub.mode=subscribe&hub.verify_token=not-the-token-at-all&hub.challenge=1158201444`,
    );
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain('1158201444');
    const mode = await fetch(`${url}?hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`);
    expect(mode.status).toBe(403);
  });

  it('refuses a notification with a forged, missing or stale signature, and acts on none of them', async () => {
    const from = '6281200000900';
    const { body } = meta.message(from, { type: 'text', text: { body: 'lapor' } });
    expect((await meta.post(body, { secret: 'ffffffffffffffffffffffffffffffff' })).status).toBe(401);
    expect((await meta.post(body, { signature: null })).status).toBe(401);
    expect((await meta.post(body, { signature: 'sha256=zz' })).status).toBe(401);
    // A signature of another body (a replayed header on a tampered body).
    const other = meta.message(from, { type: 'text', text: { body: 'batal' } }).body;
    const sig = `sha256=${createHash('sha256').update('x').digest('hex')}`;
    expect((await meta.post(other, { signature: sig })).status).toBe(401);
    expect(graph.sentTo(from)).toEqual([]);
    expect(await app.redis.exists(app.keys.session(`whatsapp:${from}`))).toBe(0);
    // The same body, signed with the app secret, is taken.
    expect((await meta.post(body)).status).toBe(200);
    expect(graph.sentTo(from).map(visibleText).join('\n')).toMatch(/Apa yang ingin/);
  });

  let trackingId = '';
  const reporter = citizen('6281234567890');

  it('takes a whole report: reply buttons, a list, a typed answer to a list, a location and a photo the ticket keeps; an agency reply reaches the chat; no log line carries the number, the text, a key or a token', async () => {
    const menu = last(await reporter.say('lapor'));
    expect(menu.type).toBe('interactive');
    expect(interactive(menu).type).toBe('button');
    expect(interactive(menu).body.text).toMatch(/Apa yang ingin/);
    expect(interactive(menu).action.buttons?.map((b) => b.reply.title)).toEqual([
      'Pengaduan',
      'Aspirasi',
      'Permintaan informasi',
    ]);

    // Twelve categories: more than a list holds, so a numbered text list (the web transport's).
    const categories = await reporter.press(button(menu, 'Pengaduan'), 'Pengaduan');
    expect(categories.map((m) => m.type)).toEqual(['text', 'text']);
    expect(visibleText(categories[0] as SentMessage)).toContain('3. Jalan dan Infrastruktur');
    expect(visibleText(categories[1] as SentMessage)).toMatch(/^\(lanjutan pilihan\)\n11\. /);

    // Five regions: a list message. A typed answer (with a typo) works as well as a picked row.
    const regions = last(await reporter.say('3'));
    expect(interactive(regions).type).toBe('list');
    expect(interactive(regions).body.text).toMatch(/kabupaten\/kota/i);
    expect(interactive(regions).action.button).toBe('Pilih');
    const rows = interactive(regions).action.sections?.[0]?.rows ?? [];
    expect(rows.map((r) => r.title)).toContain('Kabupaten Sleman');
    for (const r of rows) expect([...r.title].length).toBeLessThanOrEqual(24);
    expect(visibleText(last(await reporter.say('slemn')))).toMatch(/judul/i);
    const again = last(await reporter.say('kembali'));
    expect(interactive(again).type).toBe('list');
    expect(
      visibleText(last(await reporter.pick(row(again, /^Kabupaten Sleman$/), 'Kabupaten Sleman'))),
    ).toMatch(/judul/i);
    expect(visibleText(last(await reporter.say('Jalan berlubang di Jalan Magelang km 10')))).toMatch(
      /jelaskan/i,
    );
    expect(
      visibleText(
        last(await reporter.say('Lubang besar di lajur kiri sudah dua minggu, pengendara motor jatuh.')),
      ),
    ).toMatch(/kapan/i);
    const where = last(await reporter.say('kemarin'));
    expect(interactive(where)).toMatchObject({
      type: 'location_request_message',
      body: { text: expect.stringMatching(/lokasi/i) },
      action: { name: 'send_location' },
    });

    const files = last(
      await reporter.send({
        type: 'location',
        location: {
          latitude: -7.7197,
          longitude: 110.3602,
          name: 'Jalan Magelang',
          address: 'Jl. Magelang km 10, Sleman',
        },
      }),
    );
    expect(visibleText(files)).toMatch(/foto|dokumen/i);

    const mediaId = graph.addMedia(PHOTO, 'image/jpeg');
    const got = await reporter.send({
      type: 'image',
      image: { caption: 'lubangnya', mime_type: 'image/jpeg', sha256: 'x', id: mediaId },
    });
    expect(got.map(visibleText).join('\n')).toMatch(/Berkas diterima/);
    expect(graph.mediaDownloads).toBe(1);

    const anonymous = last(await reporter.press(button(last(got), 'Selesai')));
    expect(visibleText(anonymous)).toMatch(/anonim/i);
    expect(interactive(anonymous).action.buttons?.map((b) => b.reply.title)).toEqual(['Ya', 'Tidak']);
    // Typed instead of pressed: the word works too.
    const confidential = last(await reporter.say('tidak'));
    expect(visibleText(confidential)).toMatch(/rahasia/i);
    const summary = last(await reporter.press(button(confidential, 'Tidak')));
    expect(visibleText(summary)).toMatch(/periksa kembali/i);
    expect(visibleText(summary)).toContain('1 berkas');
    const done = await reporter.press(button(summary, 'Kirim laporan'));
    expect(done.map(visibleText).join('\n')).toMatch(/terima kasih|diterima/i);

    // The ticket worker confirms with the tracking number, inside the window: as text.
    let confirmation: SentMessage | undefined;
    await expect
      .poll(() => (confirmation = graph.sentTo(reporter.from).find((m) => TRACKING.test(visibleText(m)))), {
        timeout: 15_000,
      })
      .toBeDefined();
    trackingId = TRACKING.exec(visibleText(confirmation as SentMessage))?.[0] as string;
    expect(confirmation?.type).toBe('text');

    const ticket = (await app.tickets.get(trackingId))?.ticket;
    expect(ticket).toMatchObject({
      category: 'jalan_infrastruktur',
      region: 'sleman',
      reporter: { channel: 'whatsapp', chatId: reporter.from },
    });
    expect(ticket?.location).toMatchObject({ latitude: -7.7197, longitude: 110.3602 });
    const hash = createHash('sha256').update(PHOTO).digest('hex');
    expect(ticket?.attachments).toEqual([
      expect.objectContaining({ ref: `file:${hash}.jpg`, mimeType: 'image/jpeg' }),
    ]);
    expect(await readFile(join(app.dataDir, 'attachments', `${hash}.jpg`))).toEqual(PHOTO);

    // The agency reads and answers it with its API key (inside the window: sent as text); a wrong key
    // is tried too.
    const { key } = await app.apiKeys.create(ticket?.agencyId as string);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    expect((await fetch(`${app.url}/api/v1/tickets/${trackingId}`, { headers })).status).toBe(200);
    const before = graph.sentTo(reporter.from).length;
    const reply = await fetch(`${app.url}/api/v1/tickets/${trackingId}/replies`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ message: 'Petugas kami menambal lubangnya Kamis pagi.' }),
    });
    expect(reply.status).toBe(201);
    await expect
      .poll(() => graph.sentTo(reporter.from).slice(before).map(visibleText).join('\n'), { timeout: 15_000 })
      .toMatch(/Petugas kami menambal/);
    expect(
      (await fetch(`${app.url}/api/v1/tickets`, { headers: { authorization: `Bearer ${key}x` } })).status,
    ).toBe(401);

    // The reporter reacts to the reply: ignored, and logged at debug level, so debug logging is on;
    // with the report logged about too, the check below is not vacuous. No phone number, message text, agency key, token or
    // secret may appear in any log line.
    const reacted = await meta.post(
      meta.message(reporter.from, { type: 'reaction', reaction: { message_id: 'wamid.OUT1', emoji: '👍' } })
        .body,
    );
    expect(reacted.status).toBe(200);
    expect(
      app.logs.lines.some((l) => l.includes('"level":20') && l.includes('whatsapp cloud item ignored')),
    ).toBe(true);
    expect(app.logs.lines.filter((l) => l.includes('report submitted'))).toHaveLength(1);
    const logs = app.logs.lines.join('\n');
    const forbidden = [
      reporter.from,
      reporter.from.slice(2),
      'Magelang',
      'Lubang besar di lajur kiri',
      'lubangnya',
      'Petugas kami menambal',
      key,
      key.slice(6, 20),
      graph.accessToken,
      APP_SECRET,
      VERIFY_TOKEN,
    ];
    for (const secret of forbidden) expect(logs, `logs contain "${secret}"`).not.toContain(secret);
  });

  it('sends a status update inside the 24-hour window as text, and one outside it as the configured template', async () => {
    expect(trackingId).toMatch(TRACKING);
    const before = graph.sentTo(reporter.from).length;
    await app.service.changeStatus(trackingId, 'verified', 'Sudah kami cek di lapangan.', {
      kind: 'coordinator',
    });
    await expect.poll(() => graph.sentTo(reporter.from).length, { timeout: 15_000 }).toBe(before + 1);
    const inside = last(graph.sentTo(reporter.from));
    expect(inside.type).toBe('text');
    expect(visibleText(inside)).toContain(trackingId);
    expect(visibleText(inside)).toMatch(/Terverifikasi/);

    // A day and an hour later, without a word from the reporter: only a template may go.
    clock.advance(25 * HOUR);
    await app.service.changeStatus(trackingId, 'dispatched', 'Diteruskan ke Dinas PU.', {
      kind: 'coordinator',
    });
    await expect.poll(() => graph.sentTo(reporter.from).length, { timeout: 15_000 }).toBe(before + 2);
    const outside = last(graph.sentTo(reporter.from));
    expect(outside.type).toBe('template');
    expect(outside.body.template).toEqual({
      name: 'dinas_status_laporan',
      language: { code: 'id' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: trackingId },
            { type: 'text', text: 'Diteruskan ke instansi' },
          ],
        },
      ],
    });
    // The notification knows its message: statuses WhatsApp reports are recorded on it.
    for (const status of ['sent', 'delivered', 'read'])
      expect((await meta.post(meta.status(outside.id, reporter.from, status))).status).toBe(200);
    const record = await app.redis.hgetall(app.keys.whatsappCloudMessage(outside.id));
    expect(record).toMatchObject({ trackingId, event: 'status_changed', template: '1' });
    expect(Object.keys(record)).toEqual(expect.arrayContaining(['sent', 'delivered', 'read']));

    // When the reporter writes again, the full update they missed comes first, then the answer.
    const next = await reporter.say('status');
    expect(visibleText(next[0] as SentMessage)).toMatch(/Diteruskan ke Dinas PU/);
  });

  it('records a failed delivery on the ticket: a number WhatsApp cannot reach becomes unreachable', async () => {
    const before = (await app.tickets.events(trackingId)).length;
    const notice = graph.sentTo(reporter.from).find((m) => m.type === 'template') as SentMessage;
    const failed = meta.status(notice.id, reporter.from, 'failed', {
      code: 131026,
      title: 'Message undeliverable',
    });
    expect((await meta.post(failed)).status).toBe(200);
    // Meta may deliver the same status twice: recorded once.
    expect((await meta.post(failed)).status).toBe(200);
    const events = (await app.tickets.events(trackingId)).slice(before);
    expect(events).toEqual([
      expect.objectContaining({ type: 'delivery_failed', note: expect.stringContaining('131026') }),
    ]);
    expect((await app.tickets.get(trackingId))?.ticket.reporterUnreachable).toBe(true);
  });
});
