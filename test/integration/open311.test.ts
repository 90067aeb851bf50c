import { beforeAll, describe, expect, it } from 'vitest';
import { notificationJobId } from '../../src/queue/queues.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';

type Json = unknown;
const BASE = '/open311/v2';

describe('Open311 GeoReport v2', () => {
  const env = useTestApp();
  let app: TestAduan;
  let agencyKey: string;

  beforeAll(async () => {
    app = env.app;
    agencyKey = (await app.apiKeys.create('sleman-dinkes')).key;
  });

  const get = async (path: string) => {
    const res = await fetch(`${app.url}${BASE}${path}`);
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('json');
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      text,
      json: (isJson ? JSON.parse(text) : null) as Json,
    };
  };
  const post = async (path: string, form: Record<string, string>) => {
    const res = await fetch(`${app.url}${BASE}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('json');
    return { status: res.status, text, json: (isJson ? JSON.parse(text) : null) as Json };
  };
  const report = {
    service_code: 'kesehatan',
    lat: '-7.7156',
    long: '110.3556',
    address_string: 'Puskesmas Mlati II, Sleman',
    description: 'Antrean pendaftaran puskesmas mengular sampai ke jalan sejak pagi.\nMohon ditambah loket.',
    'attribute[region]': 'sleman',
    email: 'warga@example.org',
    first_name: 'Siti',
    phone: '081234567890',
  };

  it('lists one service per category of routing.yaml, in JSON and XML, with the region attribute', async () => {
    const json = await get('/services.json');
    const services = json.json as { service_code: string; service_name: string; metadata: boolean }[];
    expect(services.map((s) => s.service_code)).toEqual(app.flows.routing.categories.map((c) => c.id));
    expect(services[0]).toMatchObject({
      service_code: 'pendidikan',
      service_name: 'Pendidikan',
      metadata: true,
    });

    const xml = await get('/services.xml');
    expect(xml.type).toContain('text/xml');
    expect(xml.text).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?>\n<services><service><service_code>pendidikan<\/service_code>/,
    );
    expect(xml.text.match(/<service>/g)).toHaveLength(services.length);

    const definition = await get('/services/kesehatan.json');
    expect(definition.json).toMatchObject({
      service_code: 'kesehatan',
      attributes: [{ code: 'region', datatype: 'singlevaluelist', required: false }],
    });
    const definitionXml = await get('/services/kesehatan.xml');
    expect(definitionXml.text).toContain(
      '<values><value><key>kota-yogyakarta</key><name>Kota Yogyakarta</name></value>',
    );
    expect((await get('/services/nope.json')).status).toBe(404);
  });

  it('describes itself at discovery.json and discovery.xml', async () => {
    const json = await get('/discovery.json');
    expect(json.json).toMatchObject({
      endpoints: [
        {
          specification: 'http://wiki.open311.org/GeoReport_v2',
          url: `${app.url}${BASE}`,
          formats: ['application/json', 'text/xml'],
        },
      ],
    });
    const xml = await get('/discovery.xml');
    expect(xml.text).toContain(
      '<formats><format>application/json</format><format>text/xml</format></formats>',
    );
  });

  it('POST then GET: a request with an api_key becomes a ticket through the worker, and reads back', async () => {
    const created = await post('/requests.json', { ...report, api_key: agencyKey });
    expect(created.status).toBe(201);
    const [answer] = created.json as { token: string; service_request_id?: string }[];
    expect(answer?.token).toMatch(/^o311_[A-Za-z0-9_-]{24}$/);

    let id: string | null = null;
    await expect
      .poll(
        async () => {
          const token = await get(`/tokens/${answer?.token}.json`);
          id = (token.json as { service_request_id: string | null }[])[0]?.service_request_id ?? null;
          return id;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toMatch(/^ADU-[2-9A-Y]{4}-[2-9A-Y]{4}$/);
    const trackingId = id as unknown as string;

    // Not yet verified: not published at all, as SP4N-LAPOR! publishes a report after verification.
    const unverified = await get(`/requests/${trackingId}.json`);
    expect(unverified.status).toBe(404);
    for (const published of ['puskesmas', 'Mlati', '-7.7156', 'Sleman'])
      expect(unverified.text).not.toContain(published);
    await app.service.changeStatus(trackingId, 'verified', undefined, { kind: 'coordinator' });

    const one = await get(`/requests/${trackingId}.json`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual([
      {
        service_request_id: trackingId,
        status: 'open',
        status_notes: null,
        service_name: 'Kesehatan',
        service_code: 'kesehatan',
        description: report.description,
        agency_responsible: 'Dinas Kesehatan Kabupaten Sleman',
        service_notice: null,
        requested_datetime: expect.any(String),
        updated_datetime: expect.any(String),
        expected_datetime: null,
        address: 'Puskesmas Mlati II, Sleman',
        address_id: null,
        zipcode: null,
        lat: -7.7156,
        long: 110.3556,
        media_url: null,
      },
    ]);
    // The personal fields the spec allows are not kept anywhere: not on the ticket, not in answers.
    const stored = await app.tickets.get(trackingId);
    expect(stored?.ticket).toMatchObject({ agencyId: 'sleman-dinkes', anonymous: true, confidential: false });
    expect(stored?.ticket.reporter.channel).toBe('open311');
    expect(stored?.ticket.title).toBe('Antrean pendaftaran puskesmas mengular sampai ke jalan sejak pagi.');
    for (const personal of ['warga@example.org', 'Siti', '081234567890'])
      expect(JSON.stringify(stored)).not.toContain(personal);

    const xml = await get(`/requests/${trackingId}.xml`);
    expect(xml.text).toContain(
      `<service_requests><request><service_request_id>${trackingId}</service_request_id><status>open</status><status_notes/>`,
    );
    expect(xml.text).toContain('<lat>-7.7156</lat><long>110.3556</long>');

    const listed = await get('/requests.json?service_code=kesehatan,pendidikan&status=open');
    expect((listed.json as { service_request_id: string }[]).map((r) => r.service_request_id)).toContain(
      trackingId,
    );
    const closedOnly = await get('/requests.json?status=closed');
    expect(
      (closedOnly.json as { service_request_id: string }[]).map((r) => r.service_request_id),
    ).not.toContain(trackingId);
    const otherService = await get('/requests.json?service_code=pendidikan');
    expect(otherService.json).toEqual([]);

    // No chat to tell: the confirmation is skipped, not retried for hours nor failed.
    const notice = await app.queues.notifications.getJob(notificationJobId(trackingId, 1));
    await expect.poll(() => notice?.getState(), { timeout: 10_000 }).toBe('completed');
    expect((await app.queues.notifications.getJob(notificationJobId(trackingId, 1)))?.returnvalue).toEqual({
      skipped: 'no chat',
    });

    // The agency moves it on; Open311 shows it closed once resolved.
    for (const to of ['dispatched', 'in_progress', 'resolved'] as const)
      await app.service.changeStatus(trackingId, to, undefined, { kind: 'agency', id: 'sleman-dinkes' });
    const after = await get(`/requests.json?service_request_id=${trackingId}`);
    expect((after.json as { status: string }[])[0]?.status).toBe('closed');
  });

  it('refuses a POST without a valid api_key (403) and bad arguments (400 naming the field), in the spec’s shape', async () => {
    const noKey = await post('/requests.json', report);
    expect(noKey.status).toBe(403);
    expect(noKey.json).toEqual([
      { code: 403, description: expect.stringMatching(/^api_key: /), field: 'api_key' },
    ]);
    const wrongKey = await post('/requests.xml', { ...report, api_key: `aduan_${'x'.repeat(43)}` });
    expect(wrongKey.status).toBe(403);
    expect(wrongKey.text).toMatch(
      /<errors><error><code>403<\/code><description>api_key: [^<]+<\/description><field>api_key<\/field><\/error><\/errors>$/,
    );

    const cases: [Record<string, string>, string][] = [
      [{ service_code: 'nope' }, 'service_code'],
      [{ service_code: '' }, 'service_code'],
      [{ lat: '-7.7', long: '' }, 'long'],
      [{ lat: '95', long: '110' }, 'lat'],
      [{ lat: '', long: '', address_string: '' }, 'lat'],
      [{ description: 'pendek' }, 'description'],
      [{ 'attribute[region]': 'atlantis' }, 'attribute[region]'],
    ];
    for (const [change, field] of cases) {
      const form = Object.fromEntries(
        Object.entries({ ...report, api_key: agencyKey, ...change }).filter(([, v]) => v !== ''),
      );
      const res = await post('/requests.json', form);
      const [error] = res.json as { code: number; field: string }[];
      expect({ change, status: res.status, field: error?.field }).toEqual({ change, status: 400, field });
    }
  });

  it('never shows a confidential report, and never a reporter', async () => {
    const secret = await app.service.createFromJob(
      ticketJobFixture('o311-rahasia', { answers: { confidential: { kind: 'choice', value: 'yes' } } }),
    );
    const open = await app.service.createFromJob(ticketJobFixture('o311-public'));
    const secretId = secret.ticket.trackingId;
    const openId = open.ticket.trackingId;
    for (const id of [secretId, openId])
      await app.service.changeStatus(id, 'verified', undefined, { kind: 'coordinator' });
    expect((await get(`/requests/${secretId}.json`)).status).toBe(404);
    const byIds = await get(`/requests.json?service_request_id=${secretId},${openId}`);
    expect((byIds.json as { service_request_id: string }[]).map((r) => r.service_request_id)).toEqual([
      openId,
    ]);
    const all = await get('/requests.json');
    const ids = (all.json as { service_request_id: string }[]).map((r) => r.service_request_id);
    expect(ids).toContain(openId);
    expect(ids).not.toContain(secretId);
    expect(all.text).not.toContain('chat-o311-public');
    expect(all.text).not.toContain('reporter');
  });

  it('finds no report still received or archived: not by id, not in a list, as if there were none', async () => {
    const made = await app.service.createFromJob(ticketJobFixture('o311-unpublished'));
    const id = made.ticket.trackingId;
    const none = await get('/requests/ADU-2222-2222.json');
    expect(none.status).toBe(404);
    const ids = async (query: string) =>
      ((await get(`/requests.json?${query}`)).json as { service_request_id: string }[]).map(
        (r) => r.service_request_id,
      );
    const hidden = async () => {
      const one = await get(`/requests/${id}.json`);
      expect({ status: one.status, text: one.text }).toEqual({ status: 404, text: none.text });
      expect((await get(`/requests/${id}.xml`)).status).toBe(404);
      expect(await ids(`service_request_id=${id}`)).toEqual([]);
      expect(await ids('service_code=kesehatan')).not.toContain(id);
      expect(await ids('status=open,closed')).not.toContain(id);
    };
    await hidden(); // received: no one has checked it yet

    await app.service.changeStatus(id, 'verified', undefined, { kind: 'coordinator' });
    expect((await get(`/requests/${id}.json`)).status).toBe(200);
    expect(await ids(`service_request_id=${id}`)).toEqual([id]);
    expect(await ids('service_code=kesehatan')).toContain(id);

    await app.service.changeStatus(id, 'archived', 'Duplikat laporan lain.', { kind: 'coordinator' });
    await hidden(); // archived: spam, a duplicate, never completed
  });

  it('refuses an unknown service_code and an overlong id list (400 naming the parameter)', async () => {
    for (const query of ['service_code=zzz', 'service_code=kesehatan,zzz']) {
      const res = await get(`/requests.json?${query}`);
      expect({ query, status: res.status, json: res.json }).toEqual({
        query,
        status: 400,
        json: [
          {
            code: 400,
            description: expect.stringMatching(/^service_code: no such service/),
            field: 'service_code',
          },
        ],
      });
    }
    const xml = await get('/requests.xml?service_code=zzz');
    expect(xml.status).toBe(400);
    expect(xml.text).toContain('<field>service_code</field>');
    expect((await get('/requests.json?service_code=kesehatan,pendidikan')).status).toBe(200);

    const idList = (n: number) =>
      Array.from({ length: n }, (_, i) => `ADU-${String(2222 + i).replace(/[01]/g, '3')}-2222`).join(',');
    expect((await get(`/requests.json?service_request_id=${idList(50)}`)).status).toBe(200);
    const tooMany = await get(`/requests.json?service_request_id=${idList(51)}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toEqual([
      {
        code: 400,
        description: expect.stringMatching(/^service_request_id: at most 50/),
        field: 'service_request_id',
      },
    ]);
  });

  it('applies the spec’s window: 90 days by default, no wider, and refuses bad dates', async () => {
    const made = await app.service.createFromJob(ticketJobFixture('o311-window'));
    const id = made.ticket.trackingId;
    await app.service.changeStatus(id, 'verified', undefined, { kind: 'coordinator' });
    const ids = async (query: string) =>
      ((await get(`/requests.json?${query}`)).json as { service_request_id: string }[]).map(
        (r) => r.service_request_id,
      );
    const day = 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(await ids(`start_date=${iso(Date.now() - day)}`)).toContain(id);
    expect(await ids(`end_date=${iso(Date.now() - day)}`)).not.toContain(id);
    expect(await ids(`start_date=${iso(Date.now() + day)}`)).not.toContain(id);

    const tooWide = await get(
      `/requests.json?start_date=${iso(Date.now() - 100 * day)}&end_date=${iso(Date.now())}`,
    );
    expect(tooWide.status).toBe(400);
    expect(tooWide.json).toEqual([{ code: 400, description: expect.any(String), field: 'end_date' }]);
    const badDate = await get('/requests.json?start_date=kemarin');
    expect((badDate.json as { field: string }[])[0]?.field).toBe('start_date');
    const badStatus = await get('/requests.json?status=pending');
    expect((badStatus.json as { field: string }[])[0]?.field).toBe('status');
    const badFormat = await get('/requests.csv');
    expect(badFormat.status).toBe(404);
    expect((await get('/nothing-here.json')).json).toEqual([
      { code: 404, description: expect.any(String), field: 'path' },
    ]);
    expect((await get('/tokens/o311_aaaaaaaaaaaaaaaaaaaaaaaa.json')).status).toBe(404);
  });
});
