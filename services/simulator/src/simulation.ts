import sharp from 'sharp';
import type { CoreOptions } from './core/simulation-core.js';
import { CoreSimulation } from './core/simulation-core.js';
import type { CameraRecord, SimRecord } from './core/records.js';
import type { Scenario } from './core/scenario.js';

/** Time source for real-time pacing; inject a fake one in tests. */
export interface PacingClock {
  /** Wall-clock now in integer microseconds. */
  nowUs(): number;
  /** Resolve at (or soon after) the given wall-clock time. */
  sleepUntilUs(us: number): Promise<void>;
}

export const systemClock: PacingClock = {
  nowUs: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  sleepUntilUs: (us) =>
    new Promise((resolve) => {
      const ms = (us - Math.round((performance.timeOrigin + performance.now()) * 1000)) / 1000;
      if (ms <= 0) resolve();
      else setTimeout(resolve, ms);
    }),
};

export interface SimulationOptions extends CoreOptions {
  /** 'as-fast-as-possible' (default) or 'real-time': each record is released at its publish time relative to the first. */
  readonly pacing?: 'as-fast-as-possible' | 'real-time';
  readonly clock?: PacingClock;
  /** Override the scenario's camera encoding. */
  readonly cameraEncoding?: 'jpeg' | 'rgb8';
  /** Milliseconds clock to measure JPEG encoding cost (goes to costMs.camera and costMs.jpeg). */
  readonly costClockMs?: () => number;
}

export interface Simulation extends AsyncIterable<SimRecord> {
  readonly core: CoreSimulation;
  readonly scenario: Scenario;
  /** Milliseconds spent in JPEG encoding (only with a costClockMs). */
  readonly jpegCostMs: () => number;
}

/**
 * Create a simulation of `scenario` with a seed. Iterate it (`for await`) to receive every sensor
 * record and ground-truth record in delivery order; the same seed and scenario always give the
 * same records, byte for byte.
 */
export function createSimulation(scenario: Scenario, options: SimulationOptions): Simulation {
  const core = new CoreSimulation(scenario, options);
  const encoding = options.cameraEncoding ?? scenario.sensors.camera.encoding;
  const quality = scenario.sensors.camera.jpegQuality;
  let jpegMs = 0;
  const encode = async (r: CameraRecord): Promise<CameraRecord> => {
    if (encoding === 'rgb8' || r.encoding === 'jpeg') return r;
    const t0 = options.costClockMs?.() ?? 0;
    const jpeg = await sharp(r.data, { raw: { width: r.width, height: r.height, channels: 3 } }).jpeg({ quality, optimiseCoding: false }).toBuffer();
    if (options.costClockMs) jpegMs += options.costClockMs() - t0;
    return { ...r, encoding: 'jpeg', data: new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength) };
  };
  return {
    core,
    scenario,
    jpegCostMs: () => jpegMs,
    async *[Symbol.asyncIterator]() {
      const clock = options.clock ?? systemClock;
      let wallStartUs: number | undefined;
      for (const r of core.records()) {
        if (options.pacing === 'real-time') {
          wallStartUs ??= clock.nowUs();
          await clock.sleepUntilUs(wallStartUs + (r.publishTimeUs - core.startTimeUs));
        }
        yield r.kind === 'camera' ? await encode(r) : r;
      }
    },
  };
}
