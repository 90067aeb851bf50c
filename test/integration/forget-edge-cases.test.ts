import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudState } from '../../src/channels/whatsapp-cloud/cloud-state.ts';
import { newSession } from '../../src/engine/engine.ts';
import { forgetChatDeps } from '../../src/main.ts';
import { type ForgetChatDeps, forgetChat, ReportInFlightError } from '../../src/privacy/forget-chat.ts';
import { openQueues, type Queues, ticketJobId } from '../../src/queue/queues.ts';
import { chatJobsIn } from '../../src/queue/remove-chat-jobs.ts';
import { Keys } from '../../src/redis/keys.ts';
import { type ScriptedRedis, withScripts } from '../../src/redis/scripts.ts';
import { rememberRatingAsked } from '../../src/sessions/remember-rating.ts';
import { SessionStore } from '../../src/sessions/session-store.ts';
import { ticketFromSubmission } from '../../src/tickets/from-submission.ts';
import { TicketStore } from '../../src/tickets/ticket-store.ts';
import { submissionFixture, ticketJobFixture } from '../support/fixtures.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

describe('deletion requests: the edges (races, failed reports, WhatsApp forms, the relay)', () => {
  let server: TestRedis;
  let redis: ScriptedRedis;
  let bull: Redis;
  let run = 0;
  beforeAll(async () => {
    server = await startTestRedis();
    redis = withScripts(new Redis(server.url));
    bull = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    redis.disconnect();
    bull.disconnect();
    await server.stop();
  });

  /** A fresh key prefix per test, with its stores and queues. */
  const setUp = () => {
    const keys = new Keys(`edge${++run}`);
    const sessions = new SessionStore(redis, keys, { draftTtlSeconds: 3600 });
    const tickets = new TicketStore(redis, keys);
    const queues: Queues = openQueues(bull, keys.bull);
    const deps: ForgetChatDeps = {
      redis,
      keys,
      sessions,
      tickets,
      now: () => new Date(),
      jobs: chatJobsIn(queues),
    };
    return { keys, sessions, tickets, queues, deps };
  };
  const storeTicket = async (tickets: TicketStore, id: string, channel: string, chatId: string) => {
    const ticket = ticketFromSubmission(
      submissionFixture(id),
      { channel, chatId, lang: 'id' },
      { trackingId: `ADU-EDGE-${id.toUpperCase()}`, agencyId: 'sleman-diskominfo', now: new Date() },
    );
    const at = ticket.createdAt;
    await tickets.create(ticket, { seq: 1, at, actor: { kind: 'system' }, type: 'created', to: 'received' });
    return ticket.trackingId;
  };

  it('a turn that confirms a report between the check and the deletion makes it check again: refused, nothing deleted', async () => {
    const { sessions, deps } = setUp();
    const chat = 'telegram:5550001';
    await sessions.save(chat, await sessions.load(chat, Date.now()), newSession(new Date(), 'id'));
    let raced = false;
    const racing = Object.create(sessions) as SessionStore;
    racing.deleteIfUnchanged = async (c, version) => {
      if (!raced) {
        raced = true;
        // The citizen presses "kirim" right now: the report is confirmed, its ticket not made yet.
        const loaded = await sessions.load(c, Date.now());
        const session = { ...(loaded.session ?? newSession(new Date(), 'id')), submitted: ['sub_racing'] };
        expect(await sessions.save(c, loaded, session)).toBe('saved');
      }
      return sessions.deleteIfUnchanged(c, version);
    };
    await expect(
      forgetChat({ ...deps, sessions: racing }, { channel: 'telegram', chatId: '5550001' }),
    ).rejects.toThrow(ReportInFlightError);
    expect(raced).toBe(true);
    expect((await sessions.load(chat, Date.now())).session?.submitted).toEqual(['sub_racing']);
  });

  it('a report whose ticket job failed for good does not block the request: the job goes with the chat', async () => {
    const { keys, sessions, queues, deps } = setUp();
    const chat = 'whatsapp:628111000111@c.us';
    const job = ticketJobFixture('failedforgood', { channel: 'whatsapp', chatId: '628111000111@c.us' });
    const session = { ...newSession(new Date(), 'id'), submitted: [job.submission.submissionId] };
    await sessions.save(chat, await sessions.load(chat, Date.now()), session);
    const jobId = ticketJobId(job.submission.submissionId);
    await queues.tickets.add('ticket', job, { jobId, attempts: 1 });

    // While it is still waiting (or being retried), it is on its way: refused.
    await expect(forgetChat(deps, { channel: 'whatsapp', chatId: '628111000111@c.us' })).rejects.toThrow(
      ReportInFlightError,
    );
    const worker = new Worker(
      'tickets',
      async () => {
        throw new Error('routing broken');
      },
      { connection: bull, prefix: keys.bull },
    );
    await expect.poll(() => queues.tickets.getJobState(jobId)).toBe('failed');
    await worker.close();

    const summary = await forgetChat(deps, { channel: 'whatsapp', chatId: '628111000111@c.us' });
    expect(summary).toMatchObject({ sessionDeleted: true, unfiledReportsDeleted: 1, jobsDeleted: 1 });
    expect(await queues.tickets.getJobState(jobId)).toBe('unknown');
    expect(await redis.exists(keys.session(chat))).toBe(0);
    await queues.close();
  });

  it('finds a WhatsApp chat however the number is written, and removes its messages parked in the relay', async () => {
    const { keys, sessions, tickets, queues, deps } = setUp();
    const webJs = 'whatsapp:6281234500001@c.us';
    await sessions.save(webJs, await sessions.load(webJs, Date.now()), newSession(new Date(), 'id'));
    const viaCloud = await storeTicket(tickets, 'cloud1', 'whatsapp', '6281234500001');
    const viaWebJs = await storeTicket(tickets, 'webjs1', 'whatsapp', '6281234500001@c.us');
    const someoneElse = await storeTicket(tickets, 'other1', 'whatsapp', '6281234500002@c.us');
    const entry = (chatId: string, text: string) => JSON.stringify({ chatId, texts: [text], attempts: 0 });
    await redis.rpush(
      keys.whatsappRelay,
      entry('6281234500001@c.us', 'Laporan Bapak/Ibu diterima'),
      entry('6281234500002@c.us', 'Untuk orang lain'),
    );
    await redis.rpush(keys.whatsappRelayInflight, entry('6281234500001@c.us', 'Status berubah'));

    // As a citizen dictates it over the phone: a leading 0, no country code.
    const summary = await forgetChat(deps, { channel: 'whatsapp', chatId: '081234500001' });
    expect(summary.sessionDeleted).toBe(true);
    expect(summary.ticketsErased.sort()).toEqual([viaCloud, viaWebJs].sort());
    expect(summary.otherKeysDeleted).toBe(2);
    expect(await redis.exists(keys.session(webJs))).toBe(0);
    expect((await tickets.get(someoneElse))?.ticket.reporterErased).not.toBe(true);
    expect(await redis.lrange(keys.whatsappRelay, 0, -1)).toEqual([
      entry('6281234500002@c.us', 'Untuk orang lain'),
    ]);
    expect(await redis.llen(keys.whatsappRelayInflight)).toBe(0);
    await queues.close();
  });

  it('as the service wires it, deletes the WhatsApp Cloud window and delivery records of the number, not another’s', async () => {
    const { keys, sessions, tickets, queues } = setUp();
    const deps = forgetChatDeps({ redis, keys, sessions, tickets, queues });
    const cloud = new CloudState(redis, keys);
    const notice = (chatId: string) => ({
      trackingId: 'ADU-EDGE-CLOUD',
      event: 'status_changed',
      ticketStatus: 'verified',
      chatId,
      template: false,
    });
    await cloud.recordInbound('6281234500009', Date.now());
    await cloud.remember('wamid.mine', notice('6281234500009'));
    await cloud.remember('wamid.theirs', notice('6281234500008'));

    const summary = await forgetChat(deps, { channel: 'whatsapp', chatId: '+6281234500009' });
    expect(summary.otherKeysDeleted).toBe(3); // the window, the index, the one record
    expect(await redis.exists(keys.whatsappCloudMessage('wamid.mine'))).toBe(0);
    expect(await redis.exists(keys.whatsappCloudWindow('6281234500009'))).toBe(0);
    expect(await redis.hget(keys.whatsappCloudMessage('wamid.theirs'), 'chatId')).toBe('6281234500008');
    await queues.close();
  });

  it('asking a reporter to rate does not bring a deleted chat’s session back', async () => {
    const { keys, sessions, tickets, queues } = setUp();
    const trackingId = await storeTicket(tickets, 'rate1', 'telegram', '5550002');
    const ticket = (await tickets.get(trackingId))?.ticket;
    if (!ticket) throw new Error('no ticket');
    // The ticket was read before the deletion; by the time the rating is remembered it is erased.
    await rememberRatingAsked(sessions, ticket, async () => false);
    expect(await redis.exists(keys.session('telegram:5550002'))).toBe(0);
    await rememberRatingAsked(sessions, ticket, async () => true);
    expect((await sessions.load('telegram:5550002', Date.now())).session?.pendingRating).toBe(trackingId);
    await queues.close();
  });
});
