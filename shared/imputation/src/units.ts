import { UnitMismatchError, UnknownUnitError } from './errors.js';

/** Physical dimension of a unit; the worker accepts a reading only in a unit of its sensor type's dimension. */
export type Dimension =
  | 'temperature'
  | 'pressure'
  | 'speed'
  | 'length'
  | 'voltage'
  | 'current'
  | 'ratio_percent'
  | 'concentration'
  | 'angular_rate'
  | 'dimensionless';

/** si = scale · value + offset. */
interface UnitDef {
  readonly dimension: Dimension;
  readonly scale: number;
  readonly offset: number;
}

/** The SI (or conventional) unit every reading of a dimension is converted to. */
export const SI_UNIT: Readonly<Record<Dimension, string>> = {
  temperature: 'degC',
  pressure: 'Pa',
  speed: 'm/s',
  length: 'm',
  voltage: 'V',
  current: 'A',
  ratio_percent: '%',
  concentration: 'ppm',
  angular_rate: 'rad/s',
  dimensionless: '1',
};

const U = (dimension: Dimension, scale: number, offset = 0): UnitDef => ({ dimension, scale, offset });

// Exact factors where they are defined exactly (psi from the international pound and inch, mmHg conventional).
const UNITS: ReadonlyMap<string, UnitDef> = new Map([
  ['degC', U('temperature', 1)],
  ['°C', U('temperature', 1)],
  ['degF', U('temperature', 5 / 9, -32 * (5 / 9))],
  ['°F', U('temperature', 5 / 9, -32 * (5 / 9))],
  ['K', U('temperature', 1, -273.15)],
  ['Pa', U('pressure', 1)],
  ['hPa', U('pressure', 100)],
  ['mbar', U('pressure', 100)],
  ['kPa', U('pressure', 1000)],
  ['bar', U('pressure', 1e5)],
  ['psi', U('pressure', 6894.757293168361)],
  ['atm', U('pressure', 101325)],
  ['mmHg', U('pressure', 133.322387415)],
  ['m/s', U('speed', 1)],
  ['km/h', U('speed', 1 / 3.6)],
  ['mph', U('speed', 0.44704)],
  ['kn', U('speed', 1852 / 3600)],
  ['m', U('length', 1)],
  ['cm', U('length', 0.01)],
  ['mm', U('length', 0.001)],
  ['km', U('length', 1000)],
  ['in', U('length', 0.0254)],
  ['ft', U('length', 0.3048)],
  ['V', U('voltage', 1)],
  ['mV', U('voltage', 0.001)],
  ['A', U('current', 1)],
  ['mA', U('current', 0.001)],
  ['%', U('ratio_percent', 1)],
  ['ppm', U('concentration', 1)],
  ['ppb', U('concentration', 0.001)],
  ['rad/s', U('angular_rate', 1)],
  ['deg/s', U('angular_rate', Math.PI / 180)],
  ['rpm', U('angular_rate', (2 * Math.PI) / 60)],
  ['1', U('dimensionless', 1)],
]);

/** A resolved conversion of one unit into the SI unit of its dimension. */
export interface UnitConversion {
  readonly unit: string;
  readonly dimension: Dimension;
  readonly siUnit: string;
  readonly scale: number;
  readonly offset: number;
}

/** Dimension of a unit symbol, or undefined for an unknown symbol. */
export function dimensionOf(unit: string): Dimension | undefined {
  return UNITS.get(unit)?.dimension;
}

/**
 * The conversion of `unit` into SI. Throws UnknownUnitError for an unknown symbol and
 * UnitMismatchError when `expected` is given and the unit measures something else.
 */
export function unitConversion(unit: string, expected?: Dimension): UnitConversion {
  const def = UNITS.get(unit);
  if (def === undefined) throw new UnknownUnitError(unit);
  if (expected !== undefined && def.dimension !== expected) throw new UnitMismatchError(unit, expected, def.dimension);
  return { unit, dimension: def.dimension, siUnit: SI_UNIT[def.dimension], scale: def.scale, offset: def.offset };
}

/** A value in `conversion.unit` → SI. */
export function toSi(conversion: UnitConversion, value: number): number {
  return conversion.scale * value + conversion.offset;
}

/** A difference or spread (resolution, noise std) in `conversion.unit` → SI: scale only, no offset. */
export function spanToSi(conversion: UnitConversion, span: number): number {
  return Math.abs(conversion.scale) * span;
}
