import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/aduan.ts';

const ADMIN = 'admin-token-0123456789abcdef';

describe('key management', () => {
  const env = useTestApp({ env: { ADMIN_TOKEN: ADMIN } });
  const admin = (path: string, init: RequestInit = {}, token = ADMIN) =>
    fetch(`${env.app.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });

  it('creates, lists and revokes keys behind ADMIN_TOKEN; a revoked key is refused at once', async () => {
    const created = await admin('/admin/api/keys', {
      method: 'POST',
      body: JSON.stringify({ agencyId: 'gunungkidul-dinsos' }),
    });
    expect(created.status).toBe(201);
    // The answer carries the new key: no browser or proxy cache may keep it.
    expect(created.headers.get('cache-control')).toBe('no-store');
    const { key, id, role, agencyId } = (await created.json()) as {
      key: string;
      id: string;
      role: string;
      agencyId: string;
    };
    expect({ role, agencyId }).toEqual({ role: 'agency', agencyId: 'gunungkidul-dinsos' });
    expect(
      (await fetch(`${env.app.url}/api/v1/stats`, { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(200);

    const list = await admin('/admin/api/keys');
    expect(list.headers.get('cache-control')).toBe('no-store');
    const listed = (await list.json()) as { items: Record<string, unknown>[] };
    expect(listed.items.map((k) => k.id)).toContain(id);
    // The list never carries a key or its hash.
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(listed.items.every((k) => !('hash' in k) && !('key' in k))).toBe(true);

    expect((await admin(`/admin/api/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(
      (await fetch(`${env.app.url}/api/v1/stats`, { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(401);
    expect((await admin(`/admin/api/keys/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a wrong or missing admin token, an unknown agency, and a malformed body', async () => {
    expect((await admin('/admin/api/keys', {}, 'admin-token-0123456789abcdeX')).status).toBe(401);
    expect((await fetch(`${env.app.url}/admin/api/keys`)).status).toBe(401);
    const unknown = await admin('/admin/api/keys', {
      method: 'POST',
      body: JSON.stringify({ agencyId: 'dinas-khayalan' }),
    });
    expect([unknown.status, ((await unknown.json()) as { error: { field: string } }).error.field]).toEqual([
      400,
      'agencyId',
    ]);
    const extra = await admin('/admin/api/keys', {
      method: 'POST',
      body: JSON.stringify({ agencyId: null, role: 'root' }),
    });
    expect(extra.status).toBe(400);
  });
});

describe('without ADMIN_TOKEN', () => {
  const env = useTestApp();
  it('has no admin API at all', async () => {
    expect(
      (
        await fetch(`${env.app.url}/admin/api/keys`, {
          headers: { authorization: 'Bearer anything-at-all-here' },
        })
      ).status,
    ).toBe(404);
  });
});
