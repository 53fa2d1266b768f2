/**
 * Simulator throughput: one urban-day rig simulated as fast as possible, including JPEG encoding
 * and LIDAR ray casting, as a multiple of real time, with the cost per sensor. Baselines measured
 * in the same run: real time itself (the scenario's duration), and brute-force ray casting (every
 * box on every ray) against the azimuth-column culling the simulator uses.
 * Run: npm run bench -w @sensorfuse/simulator   (or node --conditions=source --import tsx bench/simulator/index.ts)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { LidarModel, Rng, World, createSimulation, presetScenario, rotationFromYawPitchRoll } from '@sensorfuse/simulator';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seconds = Number(process.env.SIM_BENCH_SECONDS ?? 10);
sharp.concurrency(1); // libvips on one thread: the target is "on one core"

/** Process CPU time (all threads, ms): other processes on a shared machine do not inflate it. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const scenario = { ...presetScenario('urban-day'), durationS: seconds };

// Warm-up (JIT, sharp initialisation) on a short run.
let warmRecords = 0;
for await (const r of createSimulation({ ...scenario, durationS: 0.5 }, { seed: 99 })) warmRecords += r.seq >= 0 ? 1 : 0;
if (warmRecords === 0) throw new Error('warm-up produced no records');

const wall0 = performance.now();
const cpu0 = cpuMs();
const sim = createSimulation(scenario, { seed: 1, costClockMs: cpuMs });
const counts: Record<string, number> = {};
const bytes: Record<string, number> = {};
for await (const r of sim) {
  counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  if (r.kind === 'camera' || r.kind === 'lidar' || r.kind === 'audio') bytes[r.kind] = (bytes[r.kind] ?? 0) + r.data.byteLength;
}
const wallMs = performance.now() - wall0;
const totalCpuMs = cpuMs() - cpu0;
const cost = { ...sim.core.costMs };
const jpegMs = sim.jpegCostMs();

// Ray-casting baseline: the same sweeps with and without azimuth-column culling.
const world = new World(scenario, 1);
const cfg = scenario.sensors.lidar;
const sweepsToCompare = 5;
const timeSweeps = (model: LidarModel): { ms: number; points: number } => {
  const t0 = cpuMs();
  let points = 0;
  for (let i = 0; i < sweepsToCompare; i++) {
    const tS = 2 + i * 0.5;
    const pose = world.egoPose(tS);
    const states = world.objectStates(tS);
    const rot = rotationFromYawPitchRoll(pose.yaw, pose.pitch, pose.roll);
    const m = cfg.mountPositionM;
    const worldFromLidar = {
      rotation: rot,
      translation: [
        pose.position[0] + rot[0] * m[0] + rot[1] * m[1] + rot[2] * m[2],
        pose.position[1] + rot[3] * m[0] + rot[4] * m[1] + rot[5] * m[2],
        pose.position[2] + rot[6] * m[0] + rot[7] * m[1] + rot[8] * m[2],
      ] as const,
    };
    points += model.sweep(world, worldFromLidar, states, new Rng(5)).pointCount;
  }
  return { ms: (cpuMs() - t0) / sweepsToCompare, points };
};
const culled = timeSweeps(new LidarModel(cfg));
const brute = timeSweeps(new LidarModel(cfg, 'none'));

const simSeconds = scenario.durationS;
const result = {
  scenario: scenario.name,
  simulatedSeconds: simSeconds,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage1m: os.loadavg()[0] },
  records: counts,
  payloadMiB: Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, Math.round((v / 2 ** 20) * 10) / 10])),
  wallMs: Math.round(wallMs),
  cpuMs: Math.round(totalCpuMs),
  realTimeFactorCpu: Math.round((simSeconds * 1000 * 100) / totalCpuMs) / 100,
  realTimeFactorWall: Math.round((simSeconds * 1000 * 100) / wallMs) / 100,
  costCpuMsPerSimSecond: {
    camera_render: Math.round(cost.camera / simSeconds),
    camera_jpeg: Math.round(jpegMs / simSeconds),
    lidar: Math.round(cost.lidar / simSeconds),
    audio: Math.round(cost.audio / simSeconds),
    imu: Math.round(cost.imu / simSeconds),
    gnss: Math.round(cost.gnss / simSeconds),
    truth: Math.round(cost.truth / simSeconds),
    world_setup: Math.round(cost.world / simSeconds),
  },
  perCapture: {
    cameraRenderMs: Math.round((cost.camera / (counts.camera ?? 1)) * 10) / 10,
    cameraJpegMs: Math.round((jpegMs / (counts.camera ?? 1)) * 10) / 10,
    lidarSweepMs: Math.round((cost.lidar / (counts.lidar ?? 1)) * 10) / 10,
    audioChunkMs: Math.round((cost.audio / (counts.audio ?? 1)) * 100) / 100,
  },
  rayCasting: {
    sweeps: sweepsToCompare,
    culledMsPerSweep: Math.round(culled.ms * 10) / 10,
    bruteForceMsPerSweep: Math.round(brute.ms * 10) / 10,
    speedup: Math.round((brute.ms / culled.ms) * 10) / 10,
    samePoints: culled.points === brute.points,
  },
};
console.log(JSON.stringify(result, null, 2));

const c = result.costCpuMsPerSimSecond;
const md = `# Simulator benchmark

\`${scenario.name}\`, ${simSeconds} s simulated, seed 1, all sensors (camera 640x384 @ ${scenario.sensors.camera.rateHz} Hz with JPEG,
LIDAR ${cfg.beams}x${cfg.azimuthSteps} @ ${cfg.rateHz} Hz, 4-mic audio 16 kHz, IMU ${scenario.sensors.imu.rateHz} Hz, GNSS ${scenario.sensors.gnss.rateHz} Hz) plus ground truth.
Machine: ${result.machine.cpus} CPUs (${result.machine.model}), Node ${result.machine.node}, 1-min load average ${result.machine.loadAverage1m?.toFixed(1)} (shared machine).
Command: \`node --conditions=source --import tsx bench/simulator/index.ts\` (SIM_BENCH_SECONDS=${seconds}).

| measure | value |
|---|---|
| real-time factor (process CPU time, one core; target >= 2x) | **${result.realTimeFactorCpu}x** |
| real-time factor (wall clock, includes other processes' load) | ${result.realTimeFactorWall}x |
| CPU / wall time | ${result.cpuMs} ms / ${result.wallMs} ms |

Cost per simulated second (CPU ms):

| camera render | camera JPEG | LIDAR | audio | IMU | GNSS | truth | world setup |
|---|---|---|---|---|---|---|---|
| ${c.camera_render} | ${c.camera_jpeg} | ${c.lidar} | ${c.audio} | ${c.imu} | ${c.gnss} | ${c.truth} | ${c.world_setup} |

Per capture: camera render ${result.perCapture.cameraRenderMs} ms, JPEG ${result.perCapture.cameraJpegMs} ms, LIDAR sweep ${result.perCapture.lidarSweepMs} ms, audio chunk ${result.perCapture.audioChunkMs} ms.

Ray-casting baseline (same ${sweepsToCompare} sweeps): azimuth-column culling ${result.rayCasting.culledMsPerSweep} ms/sweep vs brute force
${result.rayCasting.bruteForceMsPerSweep} ms/sweep = **${result.rayCasting.speedup}x**; identical points: ${result.rayCasting.samePoints}.
`;
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/simulator.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(path.join(root, 'bench/results/simulator.md'), md);
