import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { configProblems } from '../support/config-problems.ts';

describe('WhatsApp settings', () => {
  it('WHATSAPP_SEND_TIMEOUT_SECONDS is 30 s by default; 5–300 s can be set', () => {
    expect(loadConfig({}).WHATSAPP_SEND_TIMEOUT_SECONDS).toBe(30);
    expect(loadConfig({ WHATSAPP_SEND_TIMEOUT_SECONDS: '' }).WHATSAPP_SEND_TIMEOUT_SECONDS).toBe(30);
    expect(loadConfig({ WHATSAPP_SEND_TIMEOUT_SECONDS: '5' }).WHATSAPP_SEND_TIMEOUT_SECONDS).toBe(5);
    expect(loadConfig({ WHATSAPP_SEND_TIMEOUT_SECONDS: '300' }).WHATSAPP_SEND_TIMEOUT_SECONDS).toBe(300);
    for (const bad of ['4', '301', '2.5', 'thirty'])
      expect(configProblems({ WHATSAPP_SEND_TIMEOUT_SECONDS: bad })).toEqual([
        `WHATSAPP_SEND_TIMEOUT_SECONDS: expected a whole number from 5 to 300 (got "${bad}")`,
      ]);
  });
});
