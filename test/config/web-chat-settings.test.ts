import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { configProblems } from '../support/config-problems.ts';

describe('web chat settings', () => {
  it('caps open event streams at 20 per address and 5,000 per process unless set', () => {
    expect(loadConfig({})).toMatchObject({ WEB_STREAMS_PER_IP: 50, WEB_STREAMS_PER_PROCESS: 5000 });
    expect(loadConfig({ WEB_STREAMS_PER_IP: '200', WEB_STREAMS_PER_PROCESS: '20000' })).toMatchObject({
      WEB_STREAMS_PER_IP: 200,
      WEB_STREAMS_PER_PROCESS: 20000,
    });
    expect(configProblems({ WEB_STREAMS_PER_IP: '0', WEB_STREAMS_PER_PROCESS: 'many' })).toEqual([
      'WEB_STREAMS_PER_IP: expected a whole number from 1 to 1000000 (got "0")',
      'WEB_STREAMS_PER_PROCESS: expected a whole number from 1 to 1000000 (got "many")',
    ]);
  });
});
