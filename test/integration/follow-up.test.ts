import { beforeAll, describe, expect, it } from 'vitest';
import { closeUnanswered } from '../../src/tickets/auto-close.ts';
import { WorkingDays } from '../../src/tickets/working-days.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { completeReport, WebChatClient } from '../support/web-client.ts';

const coordinator = { kind: 'coordinator' as const };

/** Moves a fresh ticket to `resolved` the way an agency would. */
async function resolve(app: TestAduan, trackingId: string): Promise<void> {
  for (const status of ['verified', 'dispatched', 'in_progress', 'resolved'] as const) {
    await app.service.changeStatus(
      trackingId,
      status,
      status === 'resolved' ? 'Lampu sudah diganti.' : undefined,
      coordinator,
    );
  }
}

describe('the reporter follows up from the same chat', () => {
  const env = useTestApp();
  let app: TestAduan;
  beforeAll(() => {
    app = env.app;
  });

  it('adds information with "balas", which the agency sees, and which resumes a report on hold', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    await app.service.changeStatus(trackingId, 'verified', undefined, coordinator);
    await app.service.changeStatus(trackingId, 'dispatched', undefined, coordinator);
    await app.service.changeStatus(
      trackingId,
      'on_hold',
      'Mohon kirim nama jalan yang lebih tepat.',
      coordinator,
    );
    await citizen.waitFor(/Ditunda/);

    await citizen.say(`balas ${trackingId.toLowerCase()} Depan Pasar Gentan, sebelah utara lampu merah.`);
    await citizen.waitFor(/keterangan tambahan untuk laporan/);
    const { ticket } = (await app.tickets.get(trackingId)) ?? { ticket: null };
    expect(ticket?.status).toBe('in_progress');
    const events = await app.tickets.events(trackingId);
    expect(events.find((e) => e.type === 'reporter_message')).toMatchObject({
      note: 'Depan Pasar Gentan, sebelah utara lampu merah.',
      actor: { kind: 'reporter' },
    });
    citizen.close();
  });

  it('explains the format when "balas" comes without a tracking number, and refuses another chat’s report', async () => {
    const owner = new WebChatClient(app.url as string);
    await owner.connect();
    const trackingId = await completeReport(owner);
    const stranger = new WebChatClient(app.url as string);
    await stranger.connect();
    await stranger.say('balas tolong dipercepat');
    await stranger.waitFor(/balas ADU-XXXX-XXXX/);
    await stranger.say(`balas ${trackingId} ini laporan saya juga`);
    await stranger.waitFor(/tidak kami temukan/);
    expect((await app.tickets.events(trackingId)).some((e) => e.type === 'reporter_message')).toBe(false);
    owner.close();
    stranger.close();
  });

  it('asks for a rating when the report is resolved; a button press closes it with the rating', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    await resolve(app, trackingId);
    const ask = await citizen.waitFor(/penilaian/);
    expect(ask.text).toContain('Lampu sudah diganti.');
    expect(ask.choices?.map((c) => c.label)).toEqual(['1', '2', '3', '4', '5', 'Belum selesai']);
    await citizen.press('4');
    await citizen.waitFor(/Terima kasih atas penilaian Bapak\/Ibu \(4\/5\)/);
    expect((await app.tickets.get(trackingId))?.ticket).toMatchObject({ status: 'closed', rating: 4 });
    citizen.close();
  });

  it('takes a typed "belum selesai" after the question and reopens the report', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    await resolve(app, trackingId);
    await citizen.waitFor(/penilaian/);
    await citizen.say('belum selesai');
    await citizen.waitFor(/kami buka kembali/);
    const ticket = (await app.tickets.get(trackingId))?.ticket;
    expect(ticket?.status).toBe('reopened');
    const last = (await app.tickets.events(trackingId)).at(-1);
    expect(last).toMatchObject({
      type: 'status_changed',
      from: 'resolved',
      to: 'reopened',
      actor: { kind: 'reporter' },
    });
    citizen.close();
  });

  it('closes a resolved report the reporter did not answer after 10 working days, and tells them', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    const trackingId = await completeReport(citizen);
    await resolve(app, trackingId);
    await citizen.waitFor(/penilaian/);
    const deps = {
      redis: app.redis,
      keys: app.keys,
      store: app.tickets,
      service: app.service,
      days: new WorkingDays('Asia/Jakarta'),
    };
    expect(await closeUnanswered(deps, 10, new Date(Date.now() + 5 * 24 * 3600_000))).toBe(0);
    expect(await closeUnanswered(deps, 10, new Date(Date.now() + 30 * 24 * 3600_000))).toBeGreaterThanOrEqual(
      1,
    );
    expect((await app.tickets.get(trackingId))?.ticket.status).toBe('closed');
    await citizen.waitFor(/Ditutup otomatis/);
    citizen.close();
  });
});
