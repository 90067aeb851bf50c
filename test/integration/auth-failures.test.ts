import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFailureLimit } from '../../src/http/auth-failure-limit.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';
import { ticketJobFixture } from '../support/fixtures.ts';

const ADMIN = 'admin-token-failures-0123456789';
const METRICS = 'metrics-token-failures-01234567';
const LIMIT = 5;

describe('failed sign-ins per address', () => {
  const env = useTestApp({
    env: { ADMIN_TOKEN: ADMIN, METRICS_TOKEN: METRICS, AUTH_FAILURES_PER_10_MINUTES_PER_IP: String(LIMIT) },
  });
  let app: TestAduan;
  let agencyKey: string;
  let trackingId: string;
  beforeAll(async () => {
    app = env.app;
    agencyKey = (await app.apiKeys.create('sleman-dinkes')).key;
    trackingId = (
      await app.service.createFromJob(
        ticketJobFixture('auth-failures-1', { answers: { region: { kind: 'choice', value: 'sleman' } } }),
      )
    ).ticket.trackingId;
  });

  /** A request as if from `ip`: the app trusts X-Forwarded-For from its loopback proxy. */
  const from = (ip: string, path: string, token: string | null, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, {
      ...init,
      headers: {
        'x-forwarded-for': ip,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });

  it('never trips on requests that sign in correctly, whatever they answer', async () => {
    const ip = '198.51.100.10';
    const statuses: number[] = [];
    for (let i = 0; i < 4 * LIMIT; i++) {
      statuses.push((await from(ip, `/api/v1/tickets/${trackingId}`, agencyKey)).status);
      // A 404, a 400 and a 409 are the caller's mistakes, not wrong credentials: not counted.
      statuses.push((await from(ip, '/api/v1/tickets/ADU-2222-2222', agencyKey)).status);
      statuses.push((await from(ip, '/api/v1/tickets?status=lost', agencyKey)).status);
      statuses.push(
        (
          await from(ip, `/api/v1/tickets/${trackingId}/status`, agencyKey, {
            method: 'POST',
            body: JSON.stringify({ status: 'closed' }),
          })
        ).status,
      );
      statuses.push((await from(ip, '/admin/api/keys', ADMIN)).status);
      statuses.push((await from(ip, '/metrics', METRICS)).status);
    }
    expect(new Set(statuses)).toEqual(new Set([200, 404, 400, 409]));
  });

  it('never trips on many correct requests in flight at once (an office behind one address)', async () => {
    const ip = '198.51.100.11';
    // Fifty at a time, ten times over: requests overlap (each waits on Redis), far more than LIMIT.
    const statuses = new Set<number>();
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => from(ip, `/api/v1/tickets/${trackingId}`, agencyKey)),
      );
      for (const r of answers) statuses.add(r.status);
    }
    expect(statuses).toEqual(new Set([200]));
  });

  it(`after ${LIMIT} refused tokens an address gets 429 everywhere a token is asked, even with the right one; another address does not`, async () => {
    const attacker = '203.0.113.7';
    // Failures count together across the API, the admin pages and the metrics.
    const guesses = [
      from(attacker, '/admin/api/keys', 'admin-token-failures-0123456780'),
      from(attacker, '/admin/api/keys', null),
      from(attacker, '/metrics', 'metrics-token-failures-01234560'),
      from(attacker, '/api/v1/tickets', `aduan_${'A'.repeat(43)}`),
      from(attacker, '/admin/queues', 'admin-token-failures-0123456781'),
    ];
    expect(guesses).toHaveLength(LIMIT);
    for (const guess of guesses) expect((await guess).status).toBe(401);

    const hit = await from(attacker, '/admin/api/keys', ADMIN);
    expect(hit.status).toBe(429);
    expect(await hit.json()).toEqual({
      error: {
        code: 'rate_limited',
        message: 'Too many failed sign-ins from this address; wait and try again later.',
      },
    });
    const retryAfter = Number(hit.headers.get('retry-after'));
    expect(retryAfter > 500 && retryAfter <= 600).toBe(true);
    // Nothing behind the limit ran: the right admin token created no key.
    const created = await from(attacker, '/admin/api/keys', ADMIN, {
      method: 'POST',
      body: JSON.stringify({ agencyId: null }),
    });
    expect(created.status).toBe(429);
    expect((await app.apiKeys.list()).filter((k) => k.role === 'coordinator')).toHaveLength(0);
    for (const [path, token] of [
      [`/api/v1/tickets/${trackingId}`, agencyKey],
      ['/metrics', METRICS],
      ['/admin/queues', ADMIN],
    ] as const)
      expect([path, (await from(attacker, path, token)).status]).toEqual([path, 429]);
    // Health checks and the public pages are not behind it.
    expect((await from(attacker, '/healthz', null)).status).toBe(200);
    expect((await from(attacker, '/readyz', null)).status).toBe(200);

    // Another address is not affected.
    const colleague = '203.0.113.8';
    expect((await from(colleague, '/admin/api/keys', ADMIN)).status).toBe(200);
    expect((await from(colleague, `/api/v1/tickets/${trackingId}`, agencyKey)).status).toBe(200);
    expect((await from(colleague, '/metrics', METRICS)).status).toBe(200);
  });
});

describe('the failed sign-in window', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.use(authFailureLimit({ failuresPerWindow: 2, windowMs: 1000 }));
    app.get('/admin/thing', (req, res) => {
      res.status(req.get('authorization') === 'Bearer right' ? 200 : 401).end();
    });
    server = await new Promise<Server>((ok) => {
      const s = app.listen(0, '127.0.0.1', () => ok(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((ok) => server?.close(ok));
  });

  it('lets the address in again once the window is over', async () => {
    const get = (token: string) =>
      fetch(`${url}/admin/thing`, { headers: { authorization: `Bearer ${token}` } });
    expect([(await get('wrong')).status, (await get('wrong')).status]).toEqual([401, 401]);
    expect((await get('right')).status).toBe(429);
    await new Promise((ok) => setTimeout(ok, 1100));
    expect((await get('right')).status).toBe(200);
  });
});
