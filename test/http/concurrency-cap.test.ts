import { describe, expect, it } from 'vitest';
import { ConcurrencyCap } from '../../src/http/concurrency-cap.ts';

describe('ConcurrencyCap', () => {
  it('refuses past either cap and gives the slot back once on release', () => {
    const cap = new ConcurrencyCap({ perClient: 2, perProcess: 3 });
    const a1 = cap.acquire('a');
    const a2 = cap.acquire('a');
    expect(cap.acquire('a')).toBe('per_client');
    const b1 = cap.acquire('b');
    expect(cap.acquire('c')).toBe('per_process');
    expect([cap.held(), cap.held('a'), cap.held('b')]).toEqual([3, 2, 1]);
    if (typeof a1 === 'string' || typeof a2 === 'string' || typeof b1 === 'string')
      throw new Error('refused');
    a1.release();
    a1.release(); // a second release (close after an error) gives nothing back twice
    expect([cap.held(), cap.held('a')]).toEqual([2, 1]);
    expect(typeof cap.acquire('c')).toBe('object');
    expect(cap.acquire('a')).toBe('per_process');
    a2.release();
    b1.release();
    expect([cap.held(), cap.held('a'), cap.held('b')]).toEqual([1, 0, 0]);
  });

  it('applies the process cap alone when no client cap is given', () => {
    const cap = new ConcurrencyCap({ perProcess: 2 });
    expect(typeof cap.acquire()).toBe('object');
    expect(typeof cap.acquire()).toBe('object');
    expect(cap.acquire()).toBe('per_process');
  });

  it('refuses limits that are not whole numbers ≥ 1', () => {
    for (const perProcess of [0, -1, 1.5, Number.NaN])
      expect(() => new ConcurrencyCap({ perProcess }), String(perProcess)).toThrow(/perProcess/);
  });
});
