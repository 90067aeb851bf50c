import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession } from '../../src/engine/engine.ts';
import { notificationJobId, QUEUE } from '../../src/queue/queues.ts';
import { Keys } from '../../src/redis/keys.ts';
import { type ScriptedRedis, withScripts } from '../../src/redis/scripts.ts';
import { SessionStore } from '../../src/sessions/session-store.ts';
import { ticketFromSubmission } from '../../src/tickets/from-submission.ts';
import { TicketStore } from '../../src/tickets/ticket-store.ts';
import { aduan } from '../support/cli.ts';
import { submissionFixture } from '../support/fixtures.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

describe('aduan forget CHANNEL:CHATID', () => {
  let redis: TestRedis;
  let client: ScriptedRedis;
  // The CLI uses the deployment's keys (prefix `aduan`), as the service does.
  const keys = new Keys();
  beforeAll(async () => {
    redis = await startTestRedis();
    client = withScripts(new Redis(redis.url));
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('deletes the chat and erases the reporter from its tickets, prints a summary; a second run is a no-op', async () => {
    const chatId = 'Zm9yZ2V0LW1lLXBsZWFzZS0wMDAx';
    const chat = `web:${chatId}`;
    const sessions = new SessionStore(client, keys, { draftTtlSeconds: 3600 });
    const tickets = new TicketStore(client, keys);
    const submission = submissionFixture('forgetcli1');
    const ticket = ticketFromSubmission(
      submission,
      { channel: 'web', chatId, lang: 'id' },
      { trackingId: 'ADU-FRGT-CL22', agencyId: 'sleman-diskominfo', now: new Date() },
    );
    const at = ticket.createdAt;
    await tickets.create(ticket, { seq: 1, at, actor: { kind: 'system' }, type: 'created', to: 'received' });
    const other = ticketFromSubmission(
      submissionFixture('forgetcli2'),
      { channel: 'web', chatId: 'someone-else', lang: 'id' },
      { trackingId: 'ADU-FRGT-CL33', agencyId: 'sleman-diskominfo', now: new Date() },
    );
    await tickets.create(other, { seq: 1, at, actor: { kind: 'system' }, type: 'created', to: 'received' });
    const session = { ...newSession(new Date(), 'id'), submitted: [submission.submissionId] };
    await sessions.save(chat, await sessions.load(chat, Date.now()), session);
    await client.xadd(keys.webOutbox(chatId), '*', 'm', JSON.stringify({ text: 'Halo' }), 'at', at);
    // Each ticket's confirmation, still queued (no worker here): the chat's goes, the other stays.
    const notices = new Queue(QUEUE.notifications, { connection: client, prefix: keys.bull });
    for (const t of [ticket, other])
      await notices.add(
        'notify',
        {
          channel: 'web',
          chatId: t.reporter.chatId,
          messages: [{ text: 'Diterima' }],
          trackingId: t.trackingId,
        },
        { jobId: notificationJobId(t.trackingId, 1) },
      );

    const r = await aduan(['forget', chat], { REDIS_URL: redis.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('conversation: deleted');
    expect(r.stdout).toContain('web transcript: deleted');
    expect(r.stdout).toContain("tickets kept without the reporter's address: 1 (ADU-FRGT-CL22)");
    expect(r.stdout).toContain('queue jobs with the address deleted: 1');
    expect(await notices.getJobState(notificationJobId('ADU-FRGT-CL22', 1))).toBe('unknown');
    expect(await notices.getJobState(notificationJobId('ADU-FRGT-CL33', 1))).toBe('waiting');
    await notices.close();
    expect(await client.exists(keys.session(chat), keys.webOutbox(chatId))).toBe(0);
    const kept = (await tickets.get('ADU-FRGT-CL22'))?.ticket;
    expect(kept).toMatchObject({
      title: ticket.title,
      body: ticket.body,
      reporterErased: true,
      reporter: { channel: 'web', chatId: '' },
    });
    expect((await tickets.events('ADU-FRGT-CL22')).map((e) => e.type)).toEqual([
      'created',
      'reporter_erased',
    ]);
    // Another chat's ticket is untouched.
    expect((await tickets.get('ADU-FRGT-CL33'))?.ticket).toMatchObject({
      reporterErased: false,
      reporter: { chatId: 'someone-else' },
    });

    const again = await aduan(['forget', chat], { REDIS_URL: redis.url });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing left to delete');
    expect(await tickets.events('ADU-FRGT-CL22')).toHaveLength(2);
  });

  it('exits 2 on a malformed chat address, naming the part at fault', async () => {
    const noId = await aduan(['forget', 'telegram'], { REDIS_URL: redis.url });
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('forget: chatId: expected <channel>:<chatId>');
    const badChannel = await aduan(['forget', 'Tele Gram:1'], { REDIS_URL: redis.url });
    expect(badChannel.code).toBe(2);
    expect(badChannel.stderr).toContain('forget: channel:');
    const none = await aduan(['forget'], { REDIS_URL: redis.url });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('forget: name one chat as CHANNEL:CHATID');
  });
});
