import { processScan, resolveLidarParams, type LidarParams, type ObjectBox, type PointLayout } from '@sensorfuse/pointcloud';
import {
  CoreSimulation,
  LABEL_CLUTTER,
  LABEL_GROUND,
  LABEL_WEATHER,
  invertTransform,
  presetScenario,
  resolveScenario,
  transformPoint,
  type LidarRecord,
  type PresetName,
  type TruthRecord,
} from '@sensorfuse/simulator';

/**
 * The LIDAR chain scored against the simulator's ground truth: per sweep, the truth objects (boxes
 * in the ego frame, points per object) and a label per point (object index, ground, static clutter,
 * weather echo). Each sweep runs through the chain twice, with the weather-noise filter on and off.
 */
export interface SimEvalOptions {
  readonly preset: PresetName;
  readonly seed: number;
  readonly durationS: number;
  /** Chain parameters; default: simRigLidarParams(sensor height of the simulated rig). */
  readonly params?: LidarParams;
  /** A truth object counts when it has at least this many LIDAR points (default 50) … */
  readonly minPoints?: number;
  /** … and its centre is within this horizontal range of the sensor (default 40 m). */
  readonly maxRangeM?: number;
  /** A cluster box centre within this 3D distance of the truth box centre finds it (default 1 m). */
  readonly matchM?: number;
}

/** What an unmatched cluster is made of, by the majority label of the sweep's points inside its box. */
export interface ClusterKinds {
  /** Mostly rain/dust/spray echoes: a false detection the noise filter should prevent. */
  readonly weather: number;
  /** Mostly ground returns (a bump, a kerb read as an object): a false detection. */
  readonly ground: number;
  /** Static structure (poles, trees, facades): real objects the simulator does not list as road users. */
  readonly clutter: number;
  /** Part of a road user but with the box centre more than matchM from its truth centre (split or partial). */
  readonly objectPart: number;
}

export interface SimEvalRow {
  readonly preset: PresetName;
  readonly noiseFilter: 'on' | 'off';
  readonly sweeps: number;
  readonly qualifying: number;
  readonly matched: number;
  readonly recall: number;
  readonly clusters: number;
  /** Clusters within matchM of a road user (any, qualifying or not). */
  readonly matchedClusters: number;
  readonly unmatched: ClusterKinds;
  /** weather + ground clusters: detections of nothing. */
  readonly falsePositives: number;
  readonly falsePositivesPerSweep: number;
  readonly meanNoiseFraction: number;
}

/**
 * Chain parameters for the simulator's rig: the defaults, with the sensor height of the mount, no
 * ego box (the simulator draws no ego body), and the noise filter tuned for its 32-beam sensor
 * (measured by `npm run eval -w @sensorfuse/lidar-worker`): a weak point (intensity ≤ 0.07: spray
 * returns ≤ 0.06) needs 6 neighbours within the DROR radius — spray clouds are volumes, 12 % opaque,
 * so their returns are 3–5× sparser than a surface's at the same range.
 */
export function simRigLidarParams(sensorHeightM: number): LidarParams {
  return resolveLidarParams({
    prefilter: { egoBox: null },
    ground: { sensorHeight: sensorHeightM },
    noise: { lowIntensity: 0.07, minNeighbors: 6 },
  });
}

function scenarioFor(preset: PresetName, durationS: number) {
  const base = presetScenario(preset);
  return resolveScenario({ ...base, durationS });
}

/** Majority label of the raw points inside a cluster's box (enlarged by `margin`). */
function majorityLabel(box: ObjectBox, x: Float32Array, y: Float32Array, z: Float32Array, labels: Int16Array, margin: number): number {
  const cos = Math.cos(box.yaw);
  const sin = Math.sin(box.yaw);
  const hl = box.length / 2 + margin;
  const hw = box.width / 2 + margin;
  const hh = box.height / 2 + margin;
  const reach = Math.hypot(hl, hw);
  const votes = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const dx = (x[i] as number) - box.centerX;
    const dy = (y[i] as number) - box.centerY;
    if (Math.abs(dx) > reach || Math.abs(dy) > reach || Math.abs((z[i] as number) - box.centerZ) > hh) continue;
    if (Math.abs(dx * cos + dy * sin) > hl || Math.abs(-dx * sin + dy * cos) > hw) continue;
    // Any object index is one vote for "a road user".
    const l = labels[i] as number;
    const key = l >= 0 ? 0 : l;
    votes.set(key, (votes.get(key) ?? 0) + 1);
  }
  let best = LABEL_GROUND;
  let bestVotes = -1;
  for (const [k, v] of votes) {
    if (v > bestVotes) {
      best = k;
      bestVotes = v;
    }
  }
  return best;
}

/** Run the simulation once and score the chain with the noise filter on and off. */
export function evaluateLidarOnSimulation(options: SimEvalOptions): [SimEvalRow, SimEvalRow] {
  const minPoints = options.minPoints ?? 50;
  const maxRangeM = options.maxRangeM ?? 40;
  const matchM = options.matchM ?? 1;
  const scenario = scenarioFor(options.preset, options.durationS);
  const sim = new CoreSimulation(scenario, { seed: options.seed, sensors: ['lidar'] });
  const lidarCal = sim.calibration.lidars[0];
  if (!lidarCal) throw new Error('the simulated rig has no LIDAR');
  const sensorFromEgo = invertTransform(lidarCal.egoFromSensor);
  const base = options.params ?? simRigLidarParams(lidarCal.egoFromSensor.translation[2]);
  const modes = [
    { mode: 'on' as const, params: { ...base, noiseFilter: 'on' as const } },
    { mode: 'off' as const, params: { ...base, noiseFilter: 'off' as const } },
  ];
  const acc = modes.map(() => ({ sweeps: 0, qualifying: 0, matched: 0, clusters: 0, matchedClusters: 0, weather: 0, ground: 0, clutter: 0, objectPart: 0, noise: 0 }));
  const sweeps = new Map<number, LidarRecord>();
  const truths = new Map<number, TruthRecord>();
  const score = (sweep: LidarRecord, truth: TruthRecord): void => {
    const layout: PointLayout = { stride: sweep.pointStrideBytes, count: sweep.pointCount, fields: sweep.fields };
    const f32 = new Float32Array(sweep.data.buffer, sweep.data.byteOffset, sweep.data.byteLength / 4);
    const stride = sweep.pointStrideBytes / 4;
    const n = sweep.pointCount;
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    const z = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = f32[i * stride] as number;
      y[i] = f32[i * stride + 1] as number;
      z[i] = f32[i * stride + 2] as number;
    }
    // Truth centres in the sensor frame; which are road users the sweep saw well enough.
    const objects = truth.objects
      .filter((o) => (o.lidar?.points ?? 0) > 0)
      .map((o) => {
        const c = transformPoint(sensorFromEgo, o.boxEgo.centerM);
        return { c, qualifies: (o.lidar?.points ?? 0) >= minPoints && Math.hypot(c[0], c[1]) <= maxRangeM };
      });
    for (const [k, { params }] of modes.entries()) {
      const a = acc[k];
      if (!a) continue;
      const result = processScan({ bytes: sweep.data, layout }, params);
      a.sweeps++;
      a.noise += result.noiseFraction;
      a.clusters += result.objects.length;
      const near = (o: ObjectBox, c: readonly number[]): boolean =>
        Math.hypot(o.centerX - (c[0] ?? 0), o.centerY - (c[1] ?? 0), o.centerZ - (c[2] ?? 0)) <= matchM;
      for (const t of objects) {
        if (!t.qualifies) continue;
        a.qualifying++;
        if (result.objects.some((o) => near(o, t.c))) a.matched++;
      }
      for (const o of result.objects) {
        if (objects.some((t) => near(o, t.c))) {
          a.matchedClusters++;
          continue;
        }
        const label = majorityLabel(o, x, y, z, sweep.labels, 0.15);
        if (label === LABEL_WEATHER) a.weather++;
        else if (label === LABEL_GROUND) a.ground++;
        else if (label === LABEL_CLUTTER) a.clutter++;
        else a.objectPart++;
      }
    }
  };
  for (const r of sim.records()) {
    // Truth comes right after its sweep; pair them by the sweep's seq.
    if (r.kind === 'lidar') {
      const t = truths.get(r.seq);
      if (t) {
        truths.delete(r.seq);
        score(r, t);
      } else sweeps.set(r.seq, r);
    } else if (r.kind === 'truth' && r.forSensorId === lidarCal.sensorId) {
      const s = sweeps.get(r.forSeq);
      if (s) {
        sweeps.delete(r.forSeq);
        score(s, r);
      } else truths.set(r.forSeq, r);
    }
  }
  const rows = modes.map(({ mode }, k): SimEvalRow => {
    const a = acc[k] ?? { sweeps: 0, qualifying: 0, matched: 0, clusters: 0, matchedClusters: 0, weather: 0, ground: 0, clutter: 0, objectPart: 0, noise: 0 };
    const falsePositives = a.weather + a.ground;
    return {
      preset: options.preset,
      noiseFilter: mode,
      sweeps: a.sweeps,
      qualifying: a.qualifying,
      matched: a.matched,
      recall: a.qualifying > 0 ? a.matched / a.qualifying : Number.NaN,
      clusters: a.clusters,
      matchedClusters: a.matchedClusters,
      unmatched: { weather: a.weather, ground: a.ground, clutter: a.clutter, objectPart: a.objectPart },
      falsePositives,
      falsePositivesPerSweep: a.sweeps > 0 ? falsePositives / a.sweeps : 0,
      meanNoiseFraction: a.sweeps > 0 ? a.noise / a.sweeps : 0,
    };
  });
  const [on, off] = rows;
  if (!on || !off) throw new Error('unreachable: two modes');
  return [on, off];
}
