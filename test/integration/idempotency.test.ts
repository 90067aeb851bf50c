import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE, type TicketJob, ticketJobId } from '../../src/queue/queues.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { submissionFixture } from '../support/fixtures.ts';
import { fillReport, TRACKING_RE, WebChatClient } from '../support/web-client.ts';

/** An anonymous report, so the agency-API test below can check that its reporter stays hidden. */
const submission = (id: string) => submissionFixture(id, { anonymous: { kind: 'choice', value: 'yes' } });

/** Exactly one ticket per report, whatever the queue and the citizen do twice. */
describe('idempotent ticket creation', () => {
  const env = useTestApp();
  let app: TestAduan;
  let events: QueueEvents;
  beforeAll(async () => {
    app = env.app;
    events = new QueueEvents(QUEUE.tickets, {
      connection: { host: '127.0.0.1', port: env.redis.port },
      prefix: app.keys.bull,
    });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await events?.close();
  });

  const enqueue = (job: TicketJob) =>
    app.queues.tickets.add('ticket', job, { jobId: ticketJobId(job.submission.submissionId) });
  const reporter = { channel: 'web', chatId: 'idem-chat', lang: 'id' as const };

  it('one submission enqueued twice gives one job and one ticket', async () => {
    const job = { submission: submission('twice0001'), reporter };
    const [a, b] = await Promise.all([enqueue(job), enqueue(job)]);
    expect(a.id).toBe(b.id);
    await a.waitUntilFinished(events, 20_000);
    const trackingId = await app.tickets.bySubmission('sub_twice0001');
    expect(trackingId).toBeTruthy();
    expect(await app.redis.zcount(app.keys.ticketsByStatus('received'), '-inf', '+inf')).toBe(1);
  });

  it('one job run twice gives one ticket and one confirmation', async () => {
    const job = await enqueue({ submission: submission('rerun0001'), reporter });
    const first = (await job.waitUntilFinished(events, 20_000)) as { trackingId: string };
    const firstRun = (await app.queues.tickets.getJob(job.id as string))?.processedOn ?? 0;
    // Run the very same completed job again, as a crash after the work but before the ack would.
    await job.retry('completed');
    await expect
      .poll(
        async () => {
          const again = await app.queues.tickets.getJob(job.id as string);
          return (again?.processedOn ?? 0) > firstRun && (await again?.getState()) === 'completed'
            ? again?.returnvalue
            : null;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toEqual(first);
    const tickets = await app.redis.zrange(app.keys.ticketsAll, '0', '-1');
    expect(tickets.filter((id) => id === first.trackingId)).toHaveLength(1);
    const notifications = await app.queues.notifications.getJobs([
      'completed',
      'waiting',
      'active',
      'delayed',
      'failed',
    ]);
    expect(notifications.filter((n) => n.data.trackingId === first.trackingId)).toHaveLength(1);
  });

  it('the use case itself, called twice concurrently, creates one ticket', async () => {
    const job = { submission: submission('concurrent1'), reporter };
    const results = await Promise.all([
      app.service.createFromJob(job),
      app.service.createFromJob(job),
      app.service.createFromJob(job),
    ]);
    expect(new Set(results.map((r) => r.ticket.trackingId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('a citizen pressing "Kirim laporan" twice at once gets one ticket and one confirmation', async () => {
    const citizen = new WebChatClient(app.url as string);
    await citizen.connect();
    await fillReport(citizen);
    const before = await app.tickets.count();
    const send = citizen.received.flatMap((m) => m.choices ?? []).find((c) => c.label === 'Kirim laporan');
    expect(send).toBeDefined();
    const presses = await Promise.all(
      [1, 2, 3].map(() => citizen.post({ kind: 'choice', payload: send?.payload })),
    );
    expect(presses.map((p) => p.status)).toEqual([202, 202, 202]);
    await citizen.waitFor(TRACKING_RE);
    await expect
      .poll(async () => app.queues.tickets.getJobCounts('waiting', 'active', 'delayed'), { timeout: 20_000 })
      .toEqual({ waiting: 0, active: 0, delayed: 0 });
    expect((await app.tickets.count()) - before).toBe(1);
    expect(citizen.received.filter((m) => TRACKING_RE.test(m.text))).toHaveLength(1);
    // The later presses were told, politely, that the button no longer applies.
    expect(citizen.received.some((m) => /tidak berlaku/.test(m.text))).toBe(true);
    citizen.close();
  });

  it('an anonymous report never shows its reporter through the agency API', async () => {
    const { ticket } = await app.service.createFromJob({
      submission: submission('anon00001'),
      reporter: { channel: 'web', chatId: 'secret-chat-id', lang: 'id' },
    });
    const { key } = await app.apiKeys.create(ticket.agencyId);
    const res = await fetch(`${app.url}/api/v1/tickets/${ticket.trackingId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(JSON.parse(text).reporter).toBeNull();
    expect(text).not.toContain('secret-chat-id');
  });
});
