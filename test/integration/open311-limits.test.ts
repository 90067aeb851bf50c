import { beforeAll, describe, expect, it } from 'vitest';
import { READS_PER_MINUTE_PER_IP } from '../../src/open311/open311-routes.ts';
import { type TestAduan, useTestApp } from '../support/aduan.ts';

const BASE = '/open311/v2';

const post = (app: TestAduan, path: string, form: Record<string, string>) =>
  fetch(`${app.url}${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
const report = {
  service_code: 'kesehatan',
  'attribute[region]': 'sleman',
  address_string: 'Puskesmas Mlati II, Sleman',
  description: 'Antrean pendaftaran puskesmas mengular sampai ke jalan sejak pagi.',
};

/** Public reads are limited per address, answered in the spec's error shape. */
describe('Open311 reads per address', () => {
  const env = useTestApp();

  it(`answers the ${READS_PER_MINUTE_PER_IP + 1}st read in a minute 429, in JSON and XML, and leaves POSTs to their key`, async () => {
    const { app } = env;
    const paths = ['/discovery.json', '/services.json', '/requests.json', '/requests/ADU-2222-2222.json'];
    for (let i = 0; i < READS_PER_MINUTE_PER_IP; i++) {
      const res = await fetch(`${app.url}${BASE}${paths[i % paths.length]}`);
      await res.arrayBuffer();
      expect(res.status).not.toBe(429);
    }
    const json = await fetch(`${app.url}${BASE}/requests.json?service_code=kesehatan`);
    expect(json.status).toBe(429);
    expect(Number(json.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(json.headers.get('access-control-allow-origin')).toBe('*');
    expect(await json.json()).toEqual([
      { code: 429, description: expect.stringMatching(/too many requests/i) },
    ]);
    const xml = await fetch(`${app.url}${BASE}/requests/ADU-2222-2222.xml`);
    expect(xml.status).toBe(429);
    expect(await xml.text()).toMatch(
      /<errors><error><code>429<\/code><description>[^<]+<\/description><\/error><\/errors>$/,
    );

    // Filing goes by its key's limit, not the address's reads.
    const key = (await app.apiKeys.create('sleman-dinkes')).key;
    expect((await post(app, '/requests.json', { ...report, api_key: key })).status).toBe(201);
  });
});

/** Each Open311 POST makes a ticket: the agency API's per-key limit applies to it too. */
describe('Open311 POSTs per key', () => {
  const env = useTestApp({ env: { API_REQUESTS_PER_MINUTE_PER_KEY: '3' } });
  let first: string;
  let second: string;
  beforeAll(async () => {
    first = (await env.app.apiKeys.create('sleman-dinkes')).key;
    second = (await env.app.apiKeys.create('sleman-dinkes')).key;
  });

  it('answers a key’s POST past API_REQUESTS_PER_MINUTE_PER_KEY 429 naming api_key, and only that key’s', async () => {
    const { app } = env;
    for (let i = 0; i < 3; i++)
      expect((await post(app, '/requests.json', { ...report, api_key: first })).status).toBe(201);
    const limited = await post(app, '/requests.json', { ...report, api_key: first });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual([
      { code: 429, description: expect.stringMatching(/^api_key: too many requests/), field: 'api_key' },
    ]);
    const xml = await post(app, '/requests.xml', { ...report, api_key: first });
    expect(xml.status).toBe(429);
    expect(await xml.text()).toContain('<code>429</code>');
    expect((await post(app, '/requests.json', { ...report, api_key: second })).status).toBe(201);
    // A key that is not one is refused as before, and counts against no key.
    expect((await post(app, '/requests.json', report)).status).toBe(403);
  });
});
