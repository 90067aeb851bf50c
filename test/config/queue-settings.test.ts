import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { configProblems } from '../support/config-problems.ts';

describe('queue settings', () => {
  it("JOB_LOCK_SECONDS is BullMQ's 30 s by default; 5–600 s can be set", () => {
    expect(loadConfig({}).JOB_LOCK_SECONDS).toBe(30);
    expect(loadConfig({ JOB_LOCK_SECONDS: '5' }).JOB_LOCK_SECONDS).toBe(5);
    expect(loadConfig({ JOB_LOCK_SECONDS: '600' }).JOB_LOCK_SECONDS).toBe(600);
    for (const bad of ['4', '601', '7.5'])
      expect(configProblems({ JOB_LOCK_SECONDS: bad })).toEqual([
        `JOB_LOCK_SECONDS: expected a whole number from 5 to 600 (got "${bad}")`,
      ]);
  });
});
