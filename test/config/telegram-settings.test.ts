import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

/** The problems loadConfig reports for `env`, as `VARIABLE: message`. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.variable}: ${p.message}`);
  }
}

describe('Telegram polling settings', () => {
  it('retries a failed poll every 5 s by default; 1–300 s can be set', () => {
    expect(loadConfig({}).TELEGRAM_POLLING_RETRY_SECONDS).toBe(5);
    expect(loadConfig({ TELEGRAM_POLLING_RETRY_SECONDS: '' }).TELEGRAM_POLLING_RETRY_SECONDS).toBe(5);
    expect(loadConfig({ TELEGRAM_POLLING_RETRY_SECONDS: '1' }).TELEGRAM_POLLING_RETRY_SECONDS).toBe(1);
    expect(loadConfig({ TELEGRAM_POLLING_RETRY_SECONDS: '300' }).TELEGRAM_POLLING_RETRY_SECONDS).toBe(300);
  });

  it('refuses a wait outside 1–300 s, or not a whole number, naming the setting', () => {
    for (const bad of ['0', '301', '2.5', 'five'])
      expect(problems({ TELEGRAM_POLLING_RETRY_SECONDS: bad })).toEqual([
        `TELEGRAM_POLLING_RETRY_SECONDS: expected a whole number from 1 to 300 (got "${bad}")`,
      ]);
  });
});
