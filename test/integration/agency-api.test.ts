import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AttachmentStore } from '../../src/attachments/attachment-store.ts';
import { notificationJobId } from '../../src/queue/queues.ts';
import { TicketConflictError } from '../../src/tickets/ticket-store.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';
import { completeReport, WebChatClient } from '../support/web-client.ts';

type Json = Record<string, unknown> & { error?: { code: string; field?: string } };

describe('the agency API', () => {
  const env = useTestApp({ env: { API_REQUESTS_PER_MINUTE_PER_KEY: '1000' } });
  let app: TestAduan;
  let coordinator: string;
  let slemanHealth: string;
  let bantulHealth: string;

  beforeAll(async () => {
    app = env.app;
    coordinator = (await app.apiKeys.create(null)).key;
    slemanHealth = (await app.apiKeys.create('sleman-dinkes')).key;
    bantulHealth = (await app.apiKeys.create('bantul-dinkes')).key;
  });

  const call = async (
    key: string | null,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json; headers: Headers }> => {
    const res = await fetch(`${app.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
  };
  const make = (id: string, region: string, category = 'kesehatan') =>
    app.service.createFromJob(
      ticketJobFixture(id, {
        answers: { region: { kind: 'choice', value: region }, category: { kind: 'choice', value: category } },
      }),
    );

  it('lists an agency’s own tickets only, newest first, with filters and cursor pages', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await make(`list-sleman-${i}`, 'sleman')).ticket.trackingId);
    await make('list-bantul-0', 'bantul');
    await app.service.changeStatus(made[0] as string, 'verified', undefined, { kind: 'coordinator' });

    const first = await call(slemanHealth, '/api/v1/tickets?limit=2');
    const items = first.json.items as { trackingId: string; agencyId: string }[];
    expect(items.map((t) => t.trackingId)).toEqual([made[4], made[3]]);
    const second = await call(slemanHealth, `/api/v1/tickets?limit=2&cursor=${first.json.next}`);
    const third = await call(slemanHealth, `/api/v1/tickets?limit=2&cursor=${second.json.next}`);
    const all = [
      ...items,
      ...(second.json.items as { trackingId: string }[]),
      ...(third.json.items as { trackingId: string }[]),
    ];
    expect(all.map((t) => t.trackingId)).toEqual([...made].reverse());
    expect(third.json.next).toBeNull();

    const verified = await call(slemanHealth, '/api/v1/tickets?status=verified');
    expect((verified.json.items as { trackingId: string }[]).map((t) => t.trackingId)).toEqual([made[0]]);
    const byRegion = await call(coordinator, '/api/v1/tickets?region=bantul&limit=100');
    expect((byRegion.json.items as { agencyId: string }[]).every((t) => t.agencyId === 'bantul-dinkes')).toBe(
      true,
    );
    expect(byRegion.json.items).toHaveLength(1);
    const fresh = await call(slemanHealth, '/api/v1/tickets?overdue=true');
    expect(fresh.json.items).toEqual([]);
  });

  it('refuses bad filters with a 400 naming the field', async () => {
    for (const [query, field] of [
      ['status=lost', 'status'],
      ['limit=0', 'limit'],
      ['since=yesterday', 'since'],
      ['colour=red', 'query'],
    ] as const) {
      const r = await call(coordinator, `/api/v1/tickets?${query}`);
      expect([r.status, r.json.error?.field]).toEqual([400, field]);
    }
  });

  it('relays a reply to the reporter’s chat, keeps notes internal, and records both', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    const key = (await app.apiKeys.create((await app.tickets.get(trackingId))?.ticket.agencyId ?? null)).key;

    const note = await call(key, `/api/v1/tickets/${trackingId}/notes`, {
      note: 'Cek dengan UPT penerangan jalan.',
    });
    expect(note.status).toBe(201);
    const reply = await call(key, `/api/v1/tickets/${trackingId}/replies`, {
      message: 'Petugas akan memperbaiki lampu besok pagi.',
    });
    expect(reply.status).toBe(201);
    const relayed = await citizen.waitFor(/Petugas akan memperbaiki lampu besok pagi/);
    expect(relayed.text).toContain(trackingId);
    expect(citizen.received.some((m) => m.text.includes('UPT penerangan'))).toBe(false);
    const history = (reply.json.history as { type: string; note?: string }[]).map((e) => [e.type, e.note]);
    expect(history).toEqual([
      ['created', undefined],
      ['note', 'Cek dengan UPT penerangan jalan.'],
      ['reply', 'Petugas akan memperbaiki lampu besok pagi.'],
    ]);
    const empty = await call(key, `/api/v1/tickets/${trackingId}/replies`, { message: '   ' });
    expect([empty.status, empty.json.error?.field]).toEqual([400, 'message']);
    citizen.close();
  });

  it('lets a coordinator re-route a ticket (disposisi); the old agency loses it, the new one has it, the reporter is told', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    const from = (await app.tickets.get(trackingId))?.ticket.agencyId as string;
    const fromKey = (await app.apiKeys.create(from)).key;

    const unknown = await call(coordinator, `/api/v1/tickets/${trackingId}/route`, {
      agencyId: 'dinas-khayalan',
    });
    expect([unknown.status, unknown.json.error?.field]).toEqual([400, 'agencyId']);
    const moved = await call(coordinator, `/api/v1/tickets/${trackingId}/route`, {
      agencyId: 'sleman-dishub',
      note: 'Lampu jalan di jalan provinsi.',
    });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ agencyId: 'sleman-dishub', status: 'dispatched' });
    expect((await call(fromKey, `/api/v1/tickets/${trackingId}`)).status).toBe(404);
    const toKey = (await app.apiKeys.create('sleman-dishub')).key;
    expect((await call(toKey, `/api/v1/tickets/${trackingId}`)).status).toBe(200);
    expect(
      ((await call(toKey, '/api/v1/tickets?limit=100')).json.items as { trackingId: string }[]).map(
        (t) => t.trackingId,
      ),
    ).toContain(trackingId);
    await citizen.waitFor(/diteruskan kepada Dinas Perhubungan/);
    citizen.close();
  });

  it('lets an agency pass its own ticket on ("bukan wewenang") with a required reason; the reporter hears only the new agency’s name', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    const from = (await app.tickets.get(trackingId))?.ticket.agencyId as string;
    const fromKey = (await app.apiKeys.create(from)).key;
    const route = `/api/v1/tickets/${trackingId}/route`;
    const reason = 'Ruas jalan ini dikelola Dishub: rambu dan lampu lalu lintas, bukan jalan kabupaten.';

    // No reason, or a blank one: a 400 naming `note`, and nothing moves.
    for (const body of [{ agencyId: 'sleman-dishub' }, { agencyId: 'sleman-dishub', note: '  \n ' }]) {
      const r = await call(fromKey, route, body);
      expect([r.status, r.json.error?.code, r.json.error?.field]).toEqual([400, 'invalid_request', 'note']);
    }
    const own = await call(fromKey, route, { agencyId: from, note: reason });
    expect([own.status, own.json.error?.code, own.json.error?.field]).toEqual([
      400,
      'same_agency',
      'agencyId',
    ]);
    // Another agency's key cannot move it, reason or not: the usual 404.
    const stranger = await call(bantulHealth, route, { agencyId: 'bantul-dinkes', note: reason });
    expect([stranger.status, stranger.json.error?.code]).toEqual([404, 'not_found']);
    expect((await app.tickets.events(trackingId)).map((e) => e.type)).toEqual(['created']);

    const moved = await call(fromKey, route, { agencyId: 'sleman-dishub', note: `  ${reason}  ` });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ agencyId: 'sleman-dishub', status: 'dispatched' });
    const event = (await app.tickets.events(trackingId)).at(-1);
    expect(event).toMatchObject({
      type: 'rerouted',
      actor: { kind: 'agency', id: from },
      from: 'received',
      to: 'dispatched',
      fromAgencyId: from,
      agencyId: 'sleman-dishub',
      note: reason,
    });
    expect((moved.json.history as unknown[]).at(-1)).toEqual(event);

    // The old agency has lost it (a retry too), the new one has it with the reason in its history.
    expect((await call(fromKey, `/api/v1/tickets/${trackingId}`)).status).toBe(404);
    expect((await call(fromKey, route, { agencyId: 'sleman-dishub', note: reason })).status).toBe(404);
    const listed = (await call(fromKey, '/api/v1/tickets?limit=100')).json.items as { trackingId: string }[];
    expect(listed.map((t) => t.trackingId)).not.toContain(trackingId);
    const toKey = (await app.apiKeys.create('sleman-dishub')).key;
    const seen = await call(toKey, `/api/v1/tickets/${trackingId}`);
    expect(seen.status).toBe(200);
    expect((seen.json.history as { note?: string }[]).at(-1)?.note).toBe(reason);

    // The reporter is told where it went, in the same words as a disposisi: no blame, no reason.
    const notice = await citizen.waitFor(
      (m) =>
        m.text.includes(trackingId) && /diteruskan kepada Dinas Perhubungan Kabupaten Sleman/.test(m.text),
    );
    expect(notice.text).not.toContain('Ruas jalan');
    expect(notice.text).not.toMatch(/bukan wewenang|salah/i);
    expect(citizen.received.some((m) => m.text.includes(reason))).toBe(false);

    // A coordinator's note stays optional.
    const back = await call(coordinator, route, { agencyId: from });
    expect(back.status).toBe(200);
    const last = (back.json.history as { actor: unknown; note?: string }[]).at(-1);
    expect(last?.actor).toMatchObject({ kind: 'coordinator' });
    expect(last).not.toHaveProperty('note');
    citizen.close();
  });

  it('refuses "bukan wewenang" for a closed or archived ticket with a 409, as a disposisi', async () => {
    const archived = (await make('route-archived', 'sleman')).ticket.trackingId;
    await app.service.changeStatus(archived, 'archived', 'Laporan ganda.', { kind: 'coordinator' });
    const closed = (await make('route-closed', 'sleman')).ticket.trackingId;
    for (const to of ['verified', 'dispatched', 'in_progress', 'resolved', 'closed'] as const)
      await app.service.changeStatus(closed, to, undefined, { kind: 'coordinator' });
    for (const id of [archived, closed]) {
      const r = await call(slemanHealth, `/api/v1/tickets/${id}/route`, {
        agencyId: 'sleman-dishub',
        note: 'Bukan wewenang kami.',
      });
      expect([r.status, r.json.error?.code, r.json.error?.field]).toEqual([
        409,
        'transition_not_allowed',
        'agencyId',
      ]);
      expect((await app.tickets.get(id))?.ticket.agencyId).toBe('sleman-dinkes');
    }
  });

  it('serves an attachment as a download with its checked type, to the ticket’s agency only', async () => {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from('bukti'),
    ]);
    // As the web chat's upload route stores a file: by content hash under DATA_DIR/attachments.
    const upload = await new AttachmentStore(join(app.dataDir, 'attachments')).put(png, 'image/png');
    const withFile = await app.service.createFromJob(
      ticketJobFixture('with-file-2', {
        answers: {
          region: { kind: 'choice', value: 'sleman' },
          attachments: { kind: 'media', value: [{ ...upload, fileName: 'bukti.png' }] },
        },
      }),
    );
    const id = withFile.ticket.trackingId;
    const res = await fetch(`${app.url}/api/v1/tickets/${id}/attachments/0`, {
      headers: { authorization: `Bearer ${slemanHealth}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}-1.png"`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // A citizen's photo, fetched with a key: no cache may keep it (sendFile's default was `public`).
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('last-modified')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer())).toEqual(png);
    expect(
      (
        await fetch(`${app.url}/api/v1/tickets/${id}/attachments/0`, {
          headers: { authorization: `Bearer ${bantulHealth}` },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await fetch(`${app.url}/api/v1/tickets/${id}/attachments/1`, {
          headers: { authorization: `Bearer ${slemanHealth}` },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await fetch(`${app.url}/api/v1/tickets/${id}/attachments/..%2F..%2Fetc`, {
          headers: { authorization: `Bearer ${slemanHealth}` },
        })
      ).status,
    ).toBe(404);
  });

  it('marks every answer no-store: tickets, lists, refusals', async () => {
    const { ticket } = await make('no-store-1', 'sleman');
    for (const [key, path, status] of [
      [slemanHealth, `/api/v1/tickets/${ticket.trackingId}`, 200],
      [slemanHealth, '/api/v1/tickets', 200],
      [bantulHealth, `/api/v1/tickets/${ticket.trackingId}`, 404],
      [null, '/api/v1/tickets', 401],
    ] as const) {
      const r = await call(key, path);
      expect([path, r.status, r.headers.get('cache-control')]).toEqual([path, status, 'no-store']);
    }
  });

  it('refuses a cursor it did not give out with a 400 naming `cursor`, instead of starting over', async () => {
    await make('cursor-1', 'sleman');
    await make('cursor-2', 'sleman');
    const first = await call(slemanHealth, '/api/v1/tickets?limit=1');
    const next = first.json.next as string;
    expect(typeof next).toBe('string');
    expect((await call(slemanHealth, `/api/v1/tickets?limit=1&cursor=${next}`)).status).toBe(200);
    const forged = Buffer.from('123:not-a-ticket').toString('base64url');
    for (const cursor of ['garbage', 'null', '', forged, next.slice(0, -3)]) {
      const r = await call(slemanHealth, `/api/v1/tickets?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect([cursor, r.status, r.json.error?.code, r.json.error?.field]).toEqual([
        cursor,
        400,
        'invalid_request',
        'cursor',
      ]);
    }
  });

  it('answers 409 `conflict` when the ticket kept changing under the request, and writes nothing', async () => {
    const { ticket } = await make('conflict-1', 'sleman');
    const id = ticket.trackingId;
    // As the store gives up after 10 version conflicts in a row (others writing the ticket meanwhile).
    const busy = vi
      .spyOn(app.tickets, 'update')
      .mockImplementation(async (trackingId) => Promise.reject(new TicketConflictError(trackingId)));
    try {
      for (const [path, body] of [
        ['status', { status: 'verified' }],
        ['replies', { message: 'Kami tindak lanjuti.' }],
        ['notes', { note: 'catatan' }],
      ] as const) {
        const r = await call(slemanHealth, `/api/v1/tickets/${id}/${path}`, body);
        expect([path, r.status, r.json.error]).toEqual([
          path,
          409,
          { code: 'conflict', message: 'The ticket is being changed by someone else; try again.' },
        ]);
      }
    } finally {
      busy.mockRestore();
    }
    expect((await app.tickets.events(id)).map((e) => e.type)).toEqual(['created']);
  });

  describe('a write racing a re-route to another agency', () => {
    const agency = { kind: 'agency', id: 'sleman-dinkes' } as const;
    const eventTypes = async (id: string) => (await app.tickets.events(id)).map((e) => e.type);
    const noticeFor = (id: string, seq: number) =>
      app.queues.notifications.getJob(notificationJobId(id, seq));

    it('the service changes nothing when the ticket is not the expected agency’s any more', async () => {
      const { ticket } = await make('race-service-1', 'sleman');
      const id = ticket.trackingId;
      // As if a coordinator re-routed it to bantul-dinkes after sleman-dinkes's key was checked.
      await app.service.reroute(id, 'bantul-dinkes', undefined, { kind: 'coordinator' });
      const guard = { agencyId: 'sleman-dinkes' };
      expect(await app.service.reply(id, 'Balasan Sleman.', agency, guard)).toBeNull();
      expect(await app.service.note(id, 'Catatan Sleman.', agency, guard)).toBeNull();
      expect(await app.service.changeStatus(id, 'in_progress', undefined, agency, guard)).toBeNull();
      expect(await eventTypes(id)).toEqual(['created', 'rerouted']);
      expect(await noticeFor(id, 3)).toBeUndefined();
      expect((await app.tickets.get(id))?.ticket).toMatchObject({
        agencyId: 'bantul-dinkes',
        status: 'dispatched',
      });
      // The agency the ticket is with now may write as before.
      expect(
        await app.service.note(id, 'Catatan Bantul.', agency, { agencyId: 'bantul-dinkes' }),
      ).not.toBeNull();
    });

    it('through the API: 404 and nothing recorded or sent, when the re-route lands between check and write', async () => {
      for (const [path, method, body] of [
        ['replies', 'reply', { message: 'Balasan Sleman.' }],
        ['notes', 'note', { note: 'Catatan Sleman.' }],
        ['status', 'changeStatus', { status: 'verified' }],
      ] as const) {
        const { ticket } = await make(`race-api-${path}`, 'sleman');
        const id = ticket.trackingId;
        const original = app.service[method].bind(app.service) as (...a: unknown[]) => Promise<unknown>;
        // The route has checked the key's scope; the coordinator's re-route lands just before the write.
        const racing = vi.spyOn(app.service, method).mockImplementationOnce((async (...args: unknown[]) => {
          await app.service.reroute(id, 'bantul-dinkes', undefined, { kind: 'coordinator' });
          return original(...args);
        }) as never);
        try {
          const r = await call(slemanHealth, `/api/v1/tickets/${id}/${path}`, body);
          expect([path, r.status, r.json.error?.code]).toEqual([path, 404, 'not_found']);
        } finally {
          racing.mockRestore();
        }
        expect(await eventTypes(id)).toEqual(['created', 'rerouted']);
        expect(await noticeFor(id, 3)).toBeUndefined();
      }
    });
  });

  it('reports statistics within the key’s scope', async () => {
    const mine = await call(bantulHealth, '/api/v1/stats');
    expect(mine.status).toBe(200);
    expect(Object.keys(mine.json.byAgency as object)).toEqual(['bantul-dinkes']);
    // The key's own role, so a client offers only what the key may do (the inbox's disposisi form).
    expect(mine.json.key).toEqual({ role: 'agency', agencyId: 'bantul-dinkes' });
    const everyone = await call(coordinator, '/api/v1/stats');
    expect(everyone.json.key).toEqual({ role: 'coordinator', agencyId: null });
    expect((everyone.json.total as number) > (mine.json.total as number)).toBe(true);
    expect(everyone.json).toHaveProperty('overdue', 0);
    expect(everyone.json).toHaveProperty('medianHoursToFirstResponse');
  });

  it('describes itself in OpenAPI 3.1 generated from the request schemas, without a key', async () => {
    const doc = await call(null, '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    const paths = doc.json.paths as Record<
      string,
      Record<
        string,
        {
          requestBody?: {
            content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }>;
          };
        }
      >
    >;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/tickets',
        '/api/v1/tickets/{trackingId}/status',
        '/api/v1/tickets/{trackingId}/replies',
      ]),
    );
    const statusSchema =
      paths['/api/v1/tickets/{trackingId}/status']?.post?.requestBody?.content['application/json']?.schema;
    expect(statusSchema?.properties.status?.enum).toContain('in_progress');
  });
});

describe('the agency API’s per-key rate limit', () => {
  const env = useTestApp({ env: { API_REQUESTS_PER_MINUTE_PER_KEY: '5' } });

  it('answers 429 after the limit, per key, and another key is not affected', async () => {
    const app = env.app;
    const a = (await app.apiKeys.create(null)).key;
    const b = (await app.apiKeys.create(null)).key;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await fetch(`${app.url}/api/v1/stats`, { headers: { authorization: `Bearer ${a}` } })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(
      (await fetch(`${app.url}/api/v1/stats`, { headers: { authorization: `Bearer ${b}` } })).status,
    ).toBe(200);
  });
});
