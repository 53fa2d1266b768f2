import { describe, expect, it } from 'vitest';
import { spanToSi, StuckDetector, toSi, unitConversion, UnitMismatchError, UnknownUnitError } from './index.js';

describe('unit normalisation', () => {
  it('converts to the SI unit of the dimension with independent reference values', () => {
    const f = unitConversion('degF', 'temperature');
    expect(f.siUnit).toBe('degC');
    expect(toSi(f, 212)).toBeCloseTo(100, 12);
    expect(toSi(f, -40)).toBeCloseTo(-40, 12);
    expect(toSi(unitConversion('K'), 0)).toBeCloseTo(-273.15, 12);
    // 1 psi = 6894.757 Pa (NIST SP 811); 1013.25 hPa = 1 atm = 101325 Pa.
    expect(toSi(unitConversion('psi', 'pressure'), 1)).toBeCloseTo(6894.757, 3);
    expect(toSi(unitConversion('hPa'), 1013.25)).toBeCloseTo(101325, 9);
    expect(toSi(unitConversion('km/h', 'speed'), 36)).toBeCloseTo(10, 12);
    expect(toSi(unitConversion('mph'), 1)).toBeCloseTo(0.44704, 12);
    expect(toSi(unitConversion('rpm'), 60)).toBeCloseTo(2 * Math.PI, 12);
    // A spread converts without the offset: 1.8 °F of noise is 1 °C of noise.
    expect(spanToSi(f, 1.8)).toBeCloseTo(1, 12);
  });

  it('rejects an unknown unit and a unit of the wrong dimension with typed errors', () => {
    expect(() => unitConversion('furlong/fortnight')).toThrow(UnknownUnitError);
    expect(() => unitConversion('Pa', 'temperature')).toThrow(UnitMismatchError);
    expect(() => unitConversion('Pa', 'temperature')).toThrow(/measures pressure, expected a unit of temperature/);
  });
});

describe('StuckDetector', () => {
  it('reports a frozen value once the run reaches the window, and clears on the next change', () => {
    const d = new StuckDetector(3_000_000, 0.01);
    const s = 1_000_000;
    expect(d.update(0, 5)).toBe(false);
    expect(d.update(1 * s, 5.005)).toBe(false);
    expect(d.update(2 * s, 5)).toBe(false);
    expect(d.update(3 * s, 5)).toBe(true); // 3 s without a change > tolerance
    expect(d.update(4 * s, 5.2)).toBe(false);
  });
});
