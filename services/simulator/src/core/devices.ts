import type { Rng } from './rng.js';
import type { DevicesConfig, DeviceWindow } from './scenario.js';
import type { World } from './world.js';

/** SensorReading.sensorType symbols the simulator uses. */
export type DeviceSensorType = 'temperature' | 'pressure' | 'battery_voltage' | 'wheel_speed';

export interface DeviceSpec {
  readonly sensorId: string;
  readonly sensorType: DeviceSensorType;
  /** Unit on the wire (SensorReading.unit). */
  readonly unit: string;
  /** SI unit of the truth values. */
  readonly siUnit: string;
  readonly components: number;
  /** White noise per component, in the wire unit (before noiseScale). */
  readonly noiseStd: number;
  readonly minValue: number;
  readonly maxValue: number;
  readonly resolution: number;
}

/** The device sensors, in slot order; ids match DEVICE_SENSOR_IDS in scenario.ts. */
export const DEVICE_SPECS: readonly DeviceSpec[] = [
  { sensorId: 'ambient_temp', sensorType: 'temperature', unit: 'degC', siUnit: 'degC', components: 1, noiseStd: 0.1, minValue: -40, maxValue: 85, resolution: 0.01 },
  // Same air, a second module that reports Fahrenheit: exercises unit normalisation and gives a correlated pair.
  { sensorId: 'ambient_temp_f', sensorType: 'temperature', unit: 'degF', siUnit: 'degC', components: 1, noiseStd: 0.3, minValue: -40, maxValue: 185, resolution: 0.1 },
  { sensorId: 'tyre_pressure', sensorType: 'pressure', unit: 'kPa', siUnit: 'kPa', components: 4, noiseStd: 0.5, minValue: 0, maxValue: 600, resolution: 0.1 },
  { sensorId: 'battery', sensorType: 'battery_voltage', unit: 'V', siUnit: 'V', components: 1, noiseStd: 0.02, minValue: 0, maxValue: 20, resolution: 0.001 },
  { sensorId: 'wheel_speed', sensorType: 'wheel_speed', unit: 'm/s', siUnit: 'm/s', components: 2, noiseStd: 0.03, minValue: 0, maxValue: 90, resolution: 0.01 },
];

/** Rear track width (m): the rear wheels sit ±TRACK/2 beside base_link, which is on the rear axle. */
export const REAR_TRACK_M = 1.6;

export interface DeviceReading {
  readonly spec: DeviceSpec;
  /** What the device sends, in spec.unit; NaN = no sample for that component. */
  readonly values: number[];
  /** The true values in spec.siUnit (°C for both thermometers). */
  readonly trueValues: number[];
  readonly fault: 'none' | 'spike' | 'stuck';
}

function inWindow(windows: readonly DeviceWindow[], sensorId: string, tS: number): boolean {
  return windows.some((w) => w.sensorId === sensorId && tS >= w.fromS && tS < w.fromS + w.durationS);
}

/**
 * True physical values and noisy device readings. Air temperature drifts slowly; tyre pressures
 * follow it (Gay-Lussac on absolute pressure) plus a per-tyre offset and warm-up with distance
 * driven, so the four are strongly correlated; battery voltage sags with acceleration (alternator
 * load); rear wheel speeds are the ego speed ∓ yaw rate · track/2.
 */
export class DeviceModel {
  private readonly cfg: DevicesConfig;
  private readonly tyreOffsetKPa: readonly number[];
  private readonly last = new Map<string, number[]>();

  constructor(cfg: DevicesConfig, rng: Rng) {
    this.cfg = cfg;
    this.tyreOffsetKPa = [0, 1, 2, 3].map(() => rng.normal(0, 4));
  }

  /** Whether the sensor sends anything at tS (false inside a `silent` window). */
  transmits(sensorId: string, tS: number): boolean {
    return !inWindow(this.cfg.silent, sensorId, tS);
  }

  /** True values in SI units at tS. */
  truth(spec: DeviceSpec, world: World, tS: number): number[] {
    const c = this.cfg;
    const airC = c.ambientTemperatureC + 0.8 * Math.sin((2 * Math.PI * tS) / 120);
    switch (spec.sensorId) {
      case 'ambient_temp':
      case 'ambient_temp_f':
        return [airC];
      case 'tyre_pressure': {
        const k = world.egoKinematics(tS);
        const warmC = 6 * (1 - Math.exp(-Math.max(0, k.pose.position[0] + Math.abs(k.pose.position[1])) / 5000)) + 0.02 * k.speedMps;
        const atm = 101.325;
        const ratio = (airC + warmC + 273.15) / (c.ambientTemperatureC + 273.15);
        return this.tyreOffsetKPa.map((o) => (c.tyrePressureKPa + o + atm) * ratio - atm);
      }
      case 'battery': {
        const k = world.egoKinematics(tS);
        const a = k.accelerationWorld;
        return [c.batteryVoltageV - 0.15 * Math.max(0, Math.hypot(a[0], a[1])) - 0.01 * k.speedMps];
      }
      case 'wheel_speed': {
        const k = world.egoKinematics(tS);
        const r = k.angularVelocityBody[2] * (REAR_TRACK_M / 2);
        return [Math.max(0, k.speedMps - r), Math.max(0, k.speedMps + r)];
      }
      default:
        return new Array<number>(spec.components).fill(Number.NaN);
    }
  }

  /** One reading: truth converted to the wire unit, plus noise, a possible spike, dropouts, or a frozen value. */
  read(spec: DeviceSpec, world: World, tS: number, rng: Rng): DeviceReading {
    const c = this.cfg;
    const trueValues = this.truth(spec, world, tS);
    // Draw every random number every time, so a fault window does not shift the noise of later readings.
    const sigma = spec.noiseStd * c.noiseScale;
    const noisy = trueValues.map((v) => quantise(toWireUnit(spec, v) + rng.normal(0, sigma), spec.resolution));
    const spike = rng.chance(c.spikeProbability);
    const spikeAt = rng.int(0, spec.components - 1);
    const spikeSize = (rng.chance(0.5) ? 1 : -1) * rng.uniform(10, 30) * Math.max(sigma, spec.resolution);
    const drops = noisy.map(() => rng.chance(c.componentDropoutProbability));
    const previous = this.last.get(spec.sensorId);
    if (inWindow(c.stuck, spec.sensorId, tS) && previous !== undefined) {
      return { spec, values: [...previous], trueValues, fault: 'stuck' };
    }
    if (spike) noisy[spikeAt] = quantise((noisy[spikeAt] ?? 0) + spikeSize, spec.resolution);
    const values = noisy.map((v, i) => (drops[i] === true ? Number.NaN : v));
    this.last.set(spec.sensorId, values);
    return { spec, values, trueValues, fault: spike ? 'spike' : 'none' };
  }
}

function toWireUnit(spec: DeviceSpec, si: number): number {
  return spec.unit === 'degF' ? (si * 9) / 5 + 32 : si;
}

function quantise(v: number, step: number): number {
  return step > 0 ? Math.round(v / step) * step : v;
}
