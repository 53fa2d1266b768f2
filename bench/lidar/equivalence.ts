// Output fingerprint of the LIDAR chain, to check that a speed-up changes nothing: every output bit
// of processScan (objects, counts, cloud, ground flags, cluster labels, plane, reliability) and of the
// stand-alone prefilter / voxel grid (with voxelOfPoint) on both KITTI frames and the nuScenes sweep,
// for several parameter sets and both input kinds (LidarScan bytes, SoA cloud), each run 3 times
// (so buffers reused from a previous sweep of another size are exercised).
//   node --conditions=source --import tsx bench/lidar/equivalence.ts --write /tmp/lidar-ref.json
//   node --conditions=source --import tsx bench/lidar/equivalence.ts --check /tmp/lidar-ref.json
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  euclideanClusters,
  fitBox,
  kittiLayout,
  makeRng,
  nuscenesLayout,
  segmentGround,
  prefilter,
  processScan,
  readKittiBin,
  readNuscenesBin,
  resolveLidarParams,
  voxelGrid,
  type LidarParams,
  type PointCloud,
  type ScanResult,
} from '@sensorfuse/pointcloud';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const data = path.resolve(repoRoot, '../shared/data');

function hashArrays(...arrays: ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 16);
}

function cloudHash(c: PointCloud): string {
  const n = c.length;
  return `${n}:${hashArrays(c.x.subarray(0, n), c.y.subarray(0, n), c.z.subarray(0, n), c.intensity.subarray(0, n))}`;
}

function fingerprint(r: ScanResult): unknown {
  return {
    status: r.status,
    objects: r.objects,
    reliability: r.reliability,
    noiseFraction: r.noiseFraction,
    groundPlane: r.groundPlane,
    cloud: cloudHash(r.cloud),
    groundMask: hashArrays(r.groundMask),
    clusterOfPoint: hashArrays(r.clusterOfPoint),
    counts: r.counts,
    voxelIndexOverflow: r.voxelIndexOverflow,
  };
}

const PARAMS: Record<string, LidarParams> = {
  defaults: resolveLidarParams(),
  statistical: resolveLidarParams({ outlierMethod: 'statistical' }),
  noiseOff: resolveLidarParams({ noiseFilter: 'off' }),
  noOutlier: resolveLidarParams({ outlierMethod: 'none', noiseFilter: 'off' }),
  simRig: resolveLidarParams({ prefilter: { egoBox: null }, ground: { sensorHeight: 1.9 }, noise: { lowIntensity: 0.07, minNeighbors: 6 } }),
  nuscenesRig: resolveLidarParams({
    prefilter: { egoBox: { minX: -1.0, maxX: 1.0, minY: -1.8, maxY: 2.7, minZ: -2.0, maxZ: 0.3 } },
    ground: { sensorHeight: 1.84 },
    noise: { lowIntensity: 2 },
    cluster: { tolerance: 1.0 },
  }),
  fineVoxelMinPts: resolveLidarParams({ voxel: { leafX: 0.2, leafY: 0.2, leafZ: 0.2, minPointsPerVoxel: 2 }, prefilter: { cropBox: null } }),
  noCropRangeOnly: resolveLidarParams({ prefilter: { cropBox: null, minRange: 2, maxRange: 40 } }),
  tinyLeafOverflow: resolveLidarParams({ voxel: { leafX: 0.001, leafY: 0.001, leafZ: 0.001 }, outlierMethod: 'none', noiseFilter: 'off' }),
};

function main(): void {
  const mode = process.argv[2];
  const file = process.argv[3];
  if ((mode !== '--write' && mode !== '--check') || !file) throw new Error('usage: equivalence.ts --write|--check <file>');
  const scans: { name: string; bytes: Uint8Array; cloud: PointCloud; layout: ReturnType<typeof kittiLayout> }[] = [];
  for (const f of ['000000', '000001']) {
    const p = path.join(data, `kitti/velodyne/${f}.bin`);
    if (!existsSync(p)) continue;
    const bytes = new Uint8Array(readFileSync(p));
    const cloud = readKittiBin(bytes);
    scans.push({ name: `kitti-${f}`, bytes, cloud, layout: kittiLayout(cloud.length) });
  }
  const nu = path.join(data, 'nuscenes-sample/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin');
  if (existsSync(nu)) {
    const bytes = new Uint8Array(readFileSync(nu));
    const cloud = readNuscenesBin(bytes);
    scans.push({ name: 'nuscenes', bytes, cloud, layout: nuscenesLayout(cloud.length) });
  }
  // A sweep with invalid points: NaN, Inf, zero returns sprinkled in (KITTI 000000 copy).
  const first = scans[0];
  if (first) {
    const bytes = new Uint8Array(first.bytes);
    const f = new Float32Array(bytes.buffer);
    for (let i = 0; i < first.cloud.length; i += 97) {
      const k = i % 5;
      if (k === 0) f[i * 4] = Number.NaN;
      else if (k === 1) f[i * 4 + 1] = Number.POSITIVE_INFINITY;
      else if (k === 2) f[i * 4] = f[i * 4 + 1] = f[i * 4 + 2] = 0;
      else if (k === 3) f[i * 4 + 3] = Number.NaN;
      else f[i * 4 + 2] = Number.NEGATIVE_INFINITY;
    }
    scans.push({ name: 'kitti-000000-invalid', bytes, cloud: readKittiBin(bytes), layout: kittiLayout(first.cloud.length) });
  }
  const out: Record<string, unknown> = {};
  for (let round = 0; round < 3; round++) {
    for (const s of scans) {
      for (const [pname, params] of Object.entries(PARAMS)) {
        const a = fingerprint(processScan({ bytes: s.bytes, layout: s.layout }, params));
        const b = fingerprint(processScan(s.cloud, params));
        const key = `${s.name}/${pname}`;
        const v = JSON.stringify({ bytes: a, cloud: b });
        if (round === 0) out[key] = v;
        else if (out[key] !== v) throw new Error(`${key}: round ${round} differs from round 0 (state leaks between sweeps)`);
      }
      const pre = prefilter(s.cloud, PARAMS.defaults?.prefilter ?? resolveLidarParams().prefilter);
      const vox = voxelGrid(s.cloud, { leafX: 0.3, leafY: 0.3, leafZ: 0.1 });
      const vox2 = voxelGrid(pre.cloud, { leafX: 0.25, leafY: 0.35, leafZ: 0.15, minPointsPerVoxel: 3 }, { bounds: pre.bounds });
      const v = JSON.stringify({
        pre: { cloud: cloudHash(pre.cloud), stats: pre.stats, bounds: pre.bounds },
        vox: { cloud: cloudHash(vox.cloud), ppv: hashArrays(vox.pointsPerVoxel), vop: hashArrays(vox.voxelOfPoint), overflow: vox.indexOverflow },
        vox2: { cloud: cloudHash(vox2.cloud), ppv: hashArrays(vox2.pointsPerVoxel), vop: hashArrays(vox2.voxelOfPoint) },
      });
      const key = `${s.name}/steps`;
      if (round === 0) out[key] = v;
      else if (out[key] !== v) throw new Error(`${key}: round ${round} differs from round 0`);
    }
  }
  // Synthetic clouds for the clustering and ground steps on their own: uniform boxes at several
  // densities, clumps with gaps near the tolerance, duplicates, and a flat line of points.
  const rng = makeRng(7);
  const synth: { name: string; cloud: PointCloud }[] = [];
  const make = (n: number, f: (k: number) => [number, number, number]): PointCloud => {
    const c = { length: n, x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), intensity: new Float32Array(n) };
    for (let k = 0; k < n; k++) {
      const [x, y, z] = f(k);
      c.x[k] = x;
      c.y[k] = y;
      c.z[k] = z;
      c.intensity[k] = rng();
    }
    return c;
  };
  synth.push({ name: 'sparse', cloud: make(3000, () => [rng() * 60 - 30, rng() * 60 - 30, rng() * 3 - 1.5]) });
  synth.push({ name: 'dense', cloud: make(20000, () => [rng() * 20 - 10, rng() * 20 - 10, rng() * 2]) });
  synth.push({ name: 'clumps', cloud: make(8000, (k) => [(k % 40) * 1.2 + rng() * 0.6, Math.floor(k / 400) * 1.5 + rng() * 0.7, rng() * 1.8]) });
  synth.push({ name: 'duplicates', cloud: make(5000, (k) => (k % 2 === 0 ? [1, 2, 0.5] : [1 + (k % 50) * 0.65, 2, 0.5])) });
  synth.push({ name: 'line', cloud: make(2000, (k) => [k * 0.69, -k * 0.01, 0]) });
  for (const { name, cloud } of synth) {
    const v: unknown[] = [];
    for (const [tolerance, minSize, maxSize] of [[0.7, 10, 1000], [0.5, 1, 100000], [1.0, 3, 50], [0.3, 2, 20]] as const) {
      const c = euclideanClusters(cloud, { tolerance, minSize, maxSize });
      v.push({ count: c.count, labels: hashArrays(c.labelOfPoint), start: hashArrays(c.start), idx: hashArrays(c.pointIndex) });
      const boxes = [];
      for (let k = 0; k < c.count; k++) boxes.push(fitBox(cloud, c.pointIndex, c.start[k] ?? 0, c.start[k + 1] ?? 0, { angleStepDeg: 1 }));
      v.push(hashArrays(new Float64Array(boxes.flatMap((b) => [b.centerX, b.centerY, b.centerZ, b.length, b.width, b.height, b.yaw, b.meanIntensity]))));
    }
    const g = segmentGround(cloud, resolveLidarParams().ground);
    v.push({ ground: hashArrays(g.ground), n: g.groundCount });
    out[`synthetic/${name}`] = JSON.stringify(v);
  }
  if (mode === '--write') {
    writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
    console.info(`wrote ${Object.keys(out).length} fingerprints to ${file}`);
    return;
  }
  const ref = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  let bad = 0;
  for (const [k, v] of Object.entries(out)) {
    if (ref[k] !== v) {
      bad++;
      console.error(`DIFFERS: ${k}\n  ref ${ref[k]?.slice(0, 400)}\n  now ${String(v).slice(0, 400)}`);
    }
  }
  for (const k of Object.keys(ref)) if (!(k in out)) { bad++; console.error(`MISSING: ${k}`); }
  console.info(bad === 0 ? `identical: ${Object.keys(out).length} fingerprints` : `${bad} fingerprints differ`);
  process.exitCode = bad === 0 ? 0 : 1;
}

main();
