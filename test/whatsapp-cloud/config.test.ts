import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { configProblems as problems } from '../support/config-problems.ts';

const CLOUD = {
  WHATSAPP_ENABLED: 'true',
  WHATSAPP_TRANSPORT: 'cloud',
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_ACCESS_TOKEN: 'EAAGm0PX4ZCpsBAKZCt0ZBexample0token0for0tests',
  WHATSAPP_APP_SECRET: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-for-tests',
};

describe('WhatsApp Cloud API settings', () => {
  it('defaults to the web transport, and the Graph API of Meta with the approved template names', () => {
    const config = loadConfig({ ...CLOUD, WHATSAPP_TRANSPORT: '' });
    expect(config.WHATSAPP_TRANSPORT).toBe('web');
    const cloud = loadConfig(CLOUD);
    expect(cloud).toMatchObject({
      WHATSAPP_TRANSPORT: 'cloud',
      WHATSAPP_GRAPH_API_URL: 'https://graph.facebook.com/v21.0',
      WHATSAPP_TEMPLATE_STATUS: 'aduan_status_laporan',
      WHATSAPP_TEMPLATE_STATUS_LANGUAGE: 'id',
      WHATSAPP_TEMPLATE_REPLY: 'aduan_tanggapan_instansi',
      WHATSAPP_TEMPLATE_REPLY_LANGUAGE: 'id',
    });
    expect(
      loadConfig({ ...CLOUD, WHATSAPP_GRAPH_API_URL: 'http://127.0.0.1:9/v21.0/' }).WHATSAPP_GRAPH_API_URL,
    ).toBe('http://127.0.0.1:9/v21.0');
  });

  it.each([
    [{ WHATSAPP_TRANSPORT: 'business' }, 'WHATSAPP_TRANSPORT: expected web or cloud (got "business")'],
    [{ WHATSAPP_PHONE_NUMBER_ID: '' }, 'WHATSAPP_PHONE_NUMBER_ID: required when WHATSAPP_TRANSPORT=cloud'],
    [
      { WHATSAPP_PHONE_NUMBER_ID: '+62 811' },
      'WHATSAPP_PHONE_NUMBER_ID: expected the numeric phone number id (got "+62 811")',
    ],
    [{ WHATSAPP_ACCESS_TOKEN: '' }, 'WHATSAPP_ACCESS_TOKEN: required when WHATSAPP_TRANSPORT=cloud'],
    [{ WHATSAPP_APP_SECRET: 'short' }, 'WHATSAPP_APP_SECRET: expected the app secret (App settings › Basic)'],
    [{ WHATSAPP_VERIFY_TOKEN: '' }, 'WHATSAPP_VERIFY_TOKEN: required when WHATSAPP_TRANSPORT=cloud'],
    [{ WHATSAPP_GRAPH_API_URL: 'graph.facebook.com' }, 'WHATSAPP_GRAPH_API_URL: expected an http(s):// URL'],
    [{ WHATSAPP_TEMPLATE_REPLY: 'Tanggapan Instansi' }, 'WHATSAPP_TEMPLATE_REPLY: expected a template name'],
    [
      { WHATSAPP_TEMPLATE_STATUS_LANGUAGE: 'indonesian' },
      'WHATSAPP_TEMPLATE_STATUS_LANGUAGE: expected a language code',
    ],
  ])('refuses %o, naming the variable', (change, message) => {
    const found = problems({ ...CLOUD, ...change });
    expect(found.some((p) => p.startsWith(message))).toBe(true);
  });

  it('never repeats a secret it refuses', () => {
    const found = problems({
      ...CLOUD,
      WHATSAPP_APP_SECRET: 'not the secret!',
      WHATSAPP_VERIFY_TOKEN: 'has spaces in it, see',
    });
    expect(found.join('\n')).not.toContain('not the secret');
    expect(found.join('\n')).not.toContain('has spaces');
  });

  it('the web transport needs none of the Cloud API settings', () => {
    expect(problems({ WHATSAPP_ENABLED: 'true' })).toEqual([]);
  });

  it('`aduan start` with the cloud transport and a missing credential exits 2 naming it', async () => {
    const { PATH, HOME } = process.env;
    const run = promisify(execFile)('node', [join(import.meta.dirname, '../../bin/aduan.js'), 'start'], {
      env: { PATH, HOME, LOG_LEVEL: 'warn', ...CLOUD, WHATSAPP_APP_SECRET: '' },
      cwd: join(import.meta.dirname, '../..'),
      timeout: 60_000,
    });
    const failure = (await run.then(
      () => null,
      (err: unknown) => err,
    )) as { code: number; stderr: string } | null;
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('WHATSAPP_APP_SECRET: required when WHATSAPP_TRANSPORT=cloud');
  });
});
