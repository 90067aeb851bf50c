import { beforeAll, describe, expect, it } from 'vitest';
import { newSession } from '../../src/engine/engine.ts';
import { t } from '../../src/engine/messages.ts';
import { notificationJobId, ticketJobId } from '../../src/queue/queues.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { completeReport, WebChatClient } from '../support/web-client.ts';

const ADMIN = 'admin-token-forget-0123456789abcdef';

describe('a reporter’s deletion request (UU PDP), through the admin API', () => {
  const env = useTestApp({ env: { ADMIN_TOKEN: ADMIN } });
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });
  const forget = (chat: string, token: string | null = ADMIN) =>
    fetch(`${app.url}/admin/api/chats/${encodeURIComponent(chat)}`, {
      method: 'DELETE',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  /** Notification jobs queued for a ticket (any state). */
  const notificationsOf = async (trackingId: string) =>
    (await app.queues.notifications.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter(
      (j) => j?.data.trackingId === trackingId,
    ).length;

  it('deletes the conversation and the transcript; the ticket keeps the case but not the chat', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(
      citizen,
      'Sampah menumpuk di pasar',
      'Sudah seminggu tidak diangkut.',
    );
    const chat = `web:${citizen.chatId}`;
    expect(await app.redis.exists(app.keys.session(chat))).toBe(1);
    expect(await app.redis.xlen(app.keys.webOutbox(citizen.chatId))).toBeGreaterThan(0);
    // Before the request a status change is announced to the reporter (so the check below can fail).
    await app.service.changeStatus(trackingId, 'verified', undefined, { kind: 'coordinator' });
    await expect.poll(() => notificationsOf(trackingId)).toBe(2);
    const before = (await app.tickets.get(trackingId))?.ticket;
    const ticketJob = ticketJobId(before?.submissionId as string);
    // The queue keeps the ticket job and both notices (done, kept a week), each with the chat address.
    expect((await app.queues.tickets.getJob(ticketJob))?.data.reporter.chatId).toBe(citizen.chatId);
    await expect
      .poll(() => app.queues.notifications.getJobState(notificationJobId(trackingId, 2)))
      .toBe('completed');

    const res = await forget(chat);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      chat,
      sessionDeleted: true,
      transcriptDeleted: true,
      otherKeysDeleted: 0,
      ticketsErased: [trackingId],
      jobsDeleted: 3,
      unfiledReportsDeleted: 0,
      jobsWiped: 0,
    });
    // The jobs are gone with the address in them.
    expect(await app.queues.tickets.getJob(ticketJob)).toBe(undefined);
    expect(await notificationsOf(trackingId)).toBe(0);
    expect(await app.redis.exists(app.keys.session(chat))).toBe(0);
    expect(await app.redis.exists(app.keys.webOutbox(citizen.chatId))).toBe(0);
    expect(await app.redis.zscore(app.keys.idleExpire, chat)).toBeNull();

    const after = (await app.tickets.get(trackingId))?.ticket;
    expect(after).toMatchObject({
      title: before?.title,
      body: before?.body,
      category: before?.category,
      agencyId: before?.agencyId,
      status: 'verified',
      reporterErased: true,
      reporter: { channel: 'web', chatId: '', lang: before?.reporter.lang },
    });
    expect(JSON.stringify(after)).not.toContain(citizen.chatId);
    const events = await app.tickets.events(trackingId);
    expect(events.map((e) => e.type)).toEqual(['created', 'status_changed', 'reporter_erased']);
    expect(events.at(-1)?.actor).toEqual({ kind: 'system' });

    // A second request for the chat finds nothing of the old data and changes no ticket.
    const again = await forget(chat);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({
      chat,
      sessionDeleted: false,
      transcriptDeleted: false,
      otherKeysDeleted: 0,
      ticketsErased: [],
      jobsDeleted: 0,
      unfiledReportsDeleted: 0,
      jobsWiped: 0,
    });
    expect((await app.tickets.events(trackingId)).filter((e) => e.type === 'reporter_erased')).toHaveLength(
      1,
    );

    // A later status change is recorded but queues nothing for the erased reporter.
    const changed = await app.service.changeStatus(trackingId, 'dispatched', undefined, {
      kind: 'coordinator',
    });
    expect(changed?.event.type).toBe('status_changed');
    expect(
      await app.queues.notifications.getJob(notificationJobId(trackingId, changed?.event.seq ?? 0)),
    ).toBe(undefined);
    expect(await notificationsOf(trackingId)).toBe(0);

    // The agency sees the case without any channel.
    const key = (await app.apiKeys.create(after?.agencyId ?? null)).key;
    const view = await fetch(`${app.url}/api/v1/tickets/${trackingId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(view.status).toBe(200);
    const body = (await view.json()) as Record<string, unknown>;
    expect(body.reporter).toBeNull();
    expect(body.title).toBe('Sampah menumpuk di pasar');
    expect(JSON.stringify(body)).not.toContain(citizen.chatId);

    // The same chat asking for the status no longer finds the report as its own.
    const n = citizen.received.length;
    await citizen.say('status');
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= n && /nomor pelacakan/i.test(m.text));
    await citizen.say(trackingId);
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= n && /tidak kami temukan/.test(m.text));
    citizen.close();
  });

  it('the citizen deletes their own data from the chat ("hapus data" → "Ya"), through the same use case', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen, 'Lampu jalan padam', 'Sudah tiga malam gelap gulita.');
    const chat = `web:${citizen.chatId}`;
    await expect.poll(() => notificationsOf(trackingId)).toBe(1);

    let n = citizen.received.length;
    await citizen.say('hapus data');
    const ask = await citizen.waitFor((m) => citizen.received.indexOf(m) >= n && !!m.choices);
    expect(ask.text).toBe(t('id', 'forgetAsk'));
    expect(ask.choices?.map((c) => c.label)).toEqual(['Ya, hapus data saya', 'Tidak, kembali']);
    // Nothing is deleted by asking.
    expect(await app.redis.exists(app.keys.session(chat))).toBe(1);

    n = citizen.received.length;
    await citizen.press('Ya, hapus data saya');
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= n && m.text === t('id', 'forgetDone'));
    expect(await app.redis.exists(app.keys.session(chat))).toBe(0);
    // The transcript is gone: the new stream holds only the answer, none of the conversation.
    const entries = await app.redis.xrange(app.keys.webOutbox(citizen.chatId), '-', '+');
    expect(entries.map(([, fields]) => fields[0])).toEqual(['m']);
    expect(JSON.parse(entries[0]?.[1][1] as string).text).toBe(t('id', 'forgetDone'));

    const ticket = (await app.tickets.get(trackingId))?.ticket;
    expect(ticket).toMatchObject({
      title: 'Lampu jalan padam',
      reporterErased: true,
      reporter: { channel: 'web', chatId: '' },
    });
    expect((await app.tickets.events(trackingId)).map((e) => e.type)).toEqual(['created', 'reporter_erased']);

    // A later status change reaches no one.
    const changed = await app.service.changeStatus(trackingId, 'verified', undefined, {
      kind: 'coordinator',
    });
    expect(changed?.event.type).toBe('status_changed');
    expect(
      await app.queues.notifications.getJob(notificationJobId(trackingId, changed?.event.seq ?? 0)),
    ).toBe(undefined);
    // The confirmation's job went with the data, and the later change queued none.
    expect(await notificationsOf(trackingId)).toBe(0);
    citizen.close();
  });

  it('a notice still waiting (a retry) is deleted with the data; one queued afterwards is dropped by the worker, wiped', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen, 'Jembatan retak', 'Retaknya makin lebar setelah hujan.');
    await expect
      .poll(() => app.queues.notifications.getJobState(notificationJobId(trackingId, 1)))
      .toBe('completed');
    // Event 2 without a notice of its own, then its "notice" waiting for a retry a minute away, as
    // after a failed send: it holds the address and would reach the chat after the deletion.
    await app.service.recordDeliveryFailed(trackingId, 'test');
    const waiting = notificationJobId(trackingId, 2);
    const notice = {
      channel: 'web',
      chatId: citizen.chatId,
      messages: [{ text: 'Pemberitahuan yang tertunda' }],
      trackingId,
    };
    await app.queues.notifications.add('notify', notice, { jobId: waiting, delay: 60_000 });
    expect(await app.queues.notifications.getJobState(waiting)).toBe('delayed');

    const res = await forget(`web:${citizen.chatId}`);
    expect(await res.json()).toMatchObject({
      ticketsErased: [trackingId],
      jobsDeleted: 3,
      unfiledReportsDeleted: 0,
      jobsWiped: 0,
    });
    expect(await app.queues.notifications.getJobState(waiting)).toBe('unknown');

    // A notice queued from a read made before the deletion (a status change racing it) is not sent.
    const late = await app.queues.notifications.add(
      'notify',
      { ...notice, messages: [{ text: 'Pemberitahuan yang terlambat' }] },
      { jobId: 'race-after-forget' },
    );
    await expect.poll(() => app.queues.notifications.getJobState(late.id as string)).toBe('completed');
    const done = await app.queues.notifications.getJob(late.id as string);
    expect(done?.returnvalue).toEqual({ skipped: 'reporter erased' });
    expect(done?.data).toMatchObject({ chatId: '', messages: [], trackingId });
    expect(JSON.stringify(done?.data)).not.toContain(citizen.chatId);
    // Sent messages reach the page before their job completes: none of the two did.
    expect(citizen.received.some((m) => /Pemberitahuan yang (tertunda|terlambat)/.test(m.text))).toBe(false);
    citizen.close();
  });

  it('the citizen’s request while a report has no ticket yet: "try again", nothing deleted, the draft kept', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const chat = `web:${citizen.chatId}`;
    const loaded = await app.sessions.load(chat, Date.now());
    const session = { ...newSession(new Date(), 'id'), submitted: ['sub-not-yet-a-ticket'] };
    expect(await app.sessions.save(chat, loaded, session)).toBe('saved');
    await citizen.say('lapor');
    await citizen.waitFor((m) => !!m.choices);

    let n = citizen.received.length;
    await citizen.say('hapus data saya');
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= n && m.text === t('id', 'forgetAsk'));
    n = citizen.received.length;
    await citizen.say('Ya, hapus data saya');
    await citizen.waitFor((m) => citizen.received.indexOf(m) >= n && m.text === t('id', 'forgetInFlight'));
    expect(citizen.received.some((m) => m.text === t('id', 'forgetDone'))).toBe(false);
    const after = await app.sessions.load(chat, Date.now());
    expect(after.session).toMatchObject({ flowId: 'complaint', submitted: ['sub-not-yet-a-ticket'] });
    expect(await app.redis.xlen(app.keys.webOutbox(citizen.chatId))).toBeGreaterThan(2);
    citizen.close();
  });

  it('refuses without the admin token, and names the field of a malformed chat address', async () => {
    const none = await forget('telegram:12345', null);
    expect(none.status).toBe(401);
    expect((await forget('telegram:12345', `${ADMIN}x`)).status).toBe(401);

    for (const [chat, field] of [
      ['telegram:', 'chatId'],
      ['telegram', 'chatId'],
      ['Tele Gram:12345', 'channel'],
      [':12345', 'channel'],
      ['web:a b', 'chatId'],
    ] as const) {
      const res = await forget(chat);
      const json = (await res.json()) as { error: { code: string; field?: string } };
      expect({ chat, status: res.status, field: json.error.field }).toEqual({ chat, status: 400, field });
    }
  });

  it('refuses, deleting nothing, while a report of the chat has no ticket yet', async () => {
    const chat = 'telegram:777001';
    const loaded = await app.sessions.load(chat, Date.now());
    const session = { ...newSession(new Date(), 'id'), submitted: ['sub-not-yet-a-ticket'] };
    expect(await app.sessions.save(chat, loaded, session)).toBe('saved');
    await app.redis.set(app.keys.telegramGroupNoticed('777001'), '1');

    const res = await forget(chat);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('report_in_flight');
    expect(await app.redis.exists(app.keys.session(chat))).toBe(1);

    // Once the report is a ticket (here: the submission is gone from the chat), the request goes through.
    const again = await app.sessions.load(chat, Date.now());
    expect(await app.sessions.save(chat, again, { ...session, submitted: [] })).toBe('saved');
    const ok = await forget(chat);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ sessionDeleted: true, otherKeysDeleted: 1, ticketsErased: [] });
    expect(await app.redis.exists(app.keys.telegramGroupNoticed('777001'))).toBe(0);
  });
});
