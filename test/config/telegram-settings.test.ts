import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { configProblems } from '../support/config-problems.ts';

describe('Telegram time settings', () => {
  it.each([
    ['TELEGRAM_POLLING_RETRY_SECONDS', 5],
    ['TELEGRAM_API_TIMEOUT_SECONDS', 20],
  ] as const)('%s is %i s by default; 1–300 s can be set', (name, byDefault) => {
    expect(loadConfig({})[name]).toBe(byDefault);
    expect(loadConfig({ [name]: '' })[name]).toBe(byDefault);
    expect(loadConfig({ [name]: '1' })[name]).toBe(1);
    expect(loadConfig({ [name]: '300' })[name]).toBe(300);
  });

  it.each(['TELEGRAM_POLLING_RETRY_SECONDS', 'TELEGRAM_API_TIMEOUT_SECONDS'])(
    '%s outside 1–300 s, or not a whole number, is refused naming the setting',
    (name) => {
      for (const bad of ['0', '301', '2.5', 'five'])
        expect(configProblems({ [name]: bad })).toEqual([
          `${name}: expected a whole number from 1 to 300 (got "${bad}")`,
        ]);
    },
  );
});
