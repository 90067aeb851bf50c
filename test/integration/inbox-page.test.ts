// The inbox page's routes over real HTTP: served by an api-only process (where the agency API is),
// under the strict CSP, with a meta.json built from the lifecycle the server enforces.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INBOX_DIR } from '../../src/http/inbox-routes.ts';
import { NOTE_REQUIRED, STATUS_LABELS, STATUSES, TRANSITIONS } from '../../src/tickets/lifecycle.ts';
import { useTestApp } from '../support/aduan.ts';

describe('inbox page routes (api role)', () => {
  const env = useTestApp({ role: 'api' });
  const url = (path: string) => `${env.app.url}${path}`;

  it('serves the page under a CSP that allows no inline script', async () => {
    const res = await fetch(url('/inbox/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="inbox.js">');
    // No inline script or style attribute for the CSP to have to allow.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    for (const file of ['inbox.js', 'api.js', 'format.js', 'ticket-view.js', 'inbox.css'])
      expect((await fetch(url(`/inbox/${file}`))).status).toBe(200);
  });

  it('redirects /inbox to /inbox/ so the relative script and style paths resolve', async () => {
    const res = await fetch(url('/inbox'), { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/inbox/');
  });

  it('describes the lifecycle exactly as the server enforces it', async () => {
    const res = await fetch(url('/inbox/meta.json'));
    expect(res.status).toBe(200);
    const meta = (await res.json()) as {
      timeZone: string;
      statuses: { id: string; label: string; next: string[]; noteRequired: boolean }[];
      categories: { id: string; label: string }[];
      agencies: { id: string; label: string; region: string | null }[];
    };
    expect(meta.timeZone).toBe('Asia/Jakarta');
    expect(meta.statuses).toEqual(
      STATUSES.map((id) => ({
        id,
        label: STATUS_LABELS[id].id,
        next: [...TRANSITIONS[id]],
        noteRequired: NOTE_REQUIRED.has(id),
      })),
    );
    expect(meta.categories.map((c) => c.id)).toEqual(env.app.flows.routing.categories.map((c) => c.id));
    // Every agency of the routing (the disposisi choices), with its region; null: province level.
    expect(meta.agencies.map((a) => a.id)).toEqual(env.app.flows.routing.agencies.map((a) => a.id));
    expect(meta.agencies).toContainEqual({ id: 'sleman-pupr', label: expect.any(String), region: 'sleman' });
    expect(meta.agencies).toContainEqual({ id: 'diy-dpupesdm', label: expect.any(String), region: null });
  });

  it('does not serve the web chat in an api-only process', async () => {
    expect((await fetch(url('/'))).status).toBe(404);
  });
});

describe('inbox page source', () => {
  it('never parses text as HTML', async () => {
    // Citizen text is inserted with textContent only; any HTML-parsing sink would be a way in.
    for (const file of await readdir(INBOX_DIR)) {
      if (!file.endsWith('.js')) continue;
      const source = await readFile(join(INBOX_DIR, file), 'utf8');
      expect(source, file).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|eval\(/,
      );
    }
  });
});
