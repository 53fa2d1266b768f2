import { describe, expect, it } from 'vitest';
import { isPlausibleTimeUs, msToUs, nowUs, secondsToUs } from './index.js';

describe('time', () => {
  it('now is an integer microsecond count close to Date.now()', () => {
    const us = nowUs();
    expect(Number.isInteger(us)).toBe(true);
    expect(Math.abs(us / 1000 - Date.now())).toBeLessThan(1000);
  });
  it('converts units exactly', () => {
    expect(msToUs(1.5)).toBe(1500);
    expect(secondsToUs(1_532_402_927.647_423)).toBe(1_532_402_927_647_423);
  });
  it('rejects absurd timestamps', () => {
    expect(isPlausibleTimeUs(0)).toBe(false);
    expect(isPlausibleTimeUs(1_532_402_927_647_423)).toBe(true);
    expect(isPlausibleTimeUs(1.5e15 + 0.5)).toBe(false);
    expect(isPlausibleTimeUs(9e15)).toBe(false);
  });
});
