/**
 * Per-object diagnostic of the small classes (pedestrian, animal) on the TUNING seeds: for every truth
 * appearance the camera-only pipeline has (a non-lost track of the right class within 2 m) and the fused
 * pipeline does not, which stage lost it:
 * - `association`: no fused object (before tracking) carries a camera vote for the class within 5 m;
 * - `position`: a fused object with the camera's vote for the class is 2–5 m away (origin given);
 * - `class`: a fused object within 2 m carries the camera's vote but is classed otherwise;
 * - `no-camera-vote`: a fused object within 2 m, no camera vote for the class on it;
 * - `tracker-class`: a fused object of the right class within 2 m, the track there has another class;
 * - `tracker-none`: a fused object of the right class within 2 m, no track there (merged, gated away, deleted).
 * Also the false positives of each class (tracks of the class with no truth of that class within 2 m) and the
 * mean score of the true ones, both pipelines: the AP depends on the ranking too.
 *
 * MOTA side (`--mota`): every truth appearance the confirmed road-user tracks miss (the CLEAR-MOT misses, greedy
 * nearest within 2 m here), by what the fused pipeline had there: a tentative / lost / unknown-class / far track,
 * a detection before tracking (and whether it could start a track), or nothing.
 *
 * `node --conditions=source --import tsx services/fusion-worker/src/eval/diagnose-small.ts [presets] [--held-out] [--mota]`
 */
import { defaultFusionParams } from '../config.js';
import { loadScenes } from './evaluate.js';
import { alignScene, runStrategy } from './harness.js';
import { HELD_OUT_SEEDS, TUNING_SEEDS, sceneKeys } from './scenes.js';
import { CAMERA_FOV_50M, regionTest, truthCounts } from './score.js';
import { CAMERA_ONLY, FUSED } from './strategies.js';
import type { FusionOutput } from '../core/types.js';

const args = process.argv.slice(2);
const presets = (args.find((a) => !a.startsWith('--')) ?? 'urban-day,night-rain,crowded').split(',');
const seeds = args.includes('--held-out') ? HELD_OUT_SEEDS : TUNING_SEEDS;
const CLASSES = ['pedestrian', 'animal'] as const;
const keys = sceneKeys(seeds, 'full').filter((k) => presets.includes(k.preset));
const { scenes } = await loadScenes(keys, { jobs: 2, log: (l) => { console.log(l); } });
const params = defaultFusionParams();

const ROAD_USERS: ReadonlySet<string> = new Set(['car', 'truck', 'bus', 'pedestrian', 'cyclist', 'motorcyclist', 'animal']);

if (args.includes('--mota')) {
  for (const preset of presets) {
    const why: Record<string, number> = {};
    const bumpWhy = (k: string) => { why[k] = (why[k] ?? 0) + 1; };
    for (const scene of scenes.filter((s) => s.preset === preset)) {
      const aligned = alignScene(scene);
      const inRegion = regionTest(aligned.calibration, CAMERA_FOV_50M);
      const fused = await runStrategy(aligned, FUSED, params);
      const byTime = new Map(fused.outputs.map((o) => [o.captureTimeUs, o]));
      for (const sweep of scene.truth) {
        const out = byTime.get(sweep.captureTimeUs);
        const truth = sweep.objects.filter((o) => truthCounts(o) && inRegion(o.x, o.y, o.z));
        const confirmed = (out?.tracks ?? []).filter((t) => t.state === 'confirmed' && ROAD_USERS.has(t.objectClass) && inRegion(t.position.x, t.position.y, t.position.z));
        const used = new Set<number>();
        // Greedy nearest pairing within 2 m (an approximation of the Hungarian CLEAR-MOT matching).
        const pairs: { ti: number; ci: number; d: number }[] = [];
        truth.forEach((o, ti) => { confirmed.forEach((t, ci) => { const d = Math.hypot(o.x - t.position.x, o.y - t.position.y); if (d <= 2) pairs.push({ ti, ci, d }); }); });
        pairs.sort((a, b) => a.d - b.d);
        const matchedTruth = new Set<number>();
        for (const p of pairs) if (!matchedTruth.has(p.ti) && !used.has(p.ci)) { matchedTruth.add(p.ti); used.add(p.ci); }
        why.truth = (why.truth ?? 0) + truth.length;
        confirmed.forEach((t, ci) => {
          if (used.has(ci)) return;
          const d = Math.min(Number.POSITIVE_INFINITY, ...truth.map((o) => Math.hypot(o.x - t.position.x, o.y - t.position.y)));
          const where = d <= 2 ? 'truth taken by another track' : d <= 5 ? 'truth 2-5 m' : 'no truth within 5 m';
          bumpWhy(`FP: confirmed ${t.objectClass} [${[...t.contributingModalities].sort().join('+')}], ${where}`);
        });
        truth.forEach((o, ti) => {
          if (matchedTruth.has(ti)) return;
          const near = (x: number, y: number, r: number) => Math.hypot(x - o.x, y - o.y) <= r;
          const tracks = (out?.tracks ?? []).filter((t) => near(t.position.x, t.position.y, 2));
          const tag = o.objectClass;
          if (tracks.some((t) => t.state === 'confirmed' && !ROAD_USERS.has(t.objectClass))) bumpWhy(`miss: confirmed track classed unknown/other (${tag})`);
          else if (tracks.some((t) => t.state === 'confirmed')) bumpWhy(`miss: confirmed track taken by another truth (${tag})`);
          else if (tracks.some((t) => t.state === 'tentative')) bumpWhy(`miss: tentative track (${tag})`);
          else if (tracks.some((t) => t.state === 'lost')) bumpWhy(`miss: lost track (${tag})`);
          else if ((out?.detections ?? []).some((d) => near(d.x, d.y, 2) && d.score >= params.minStartScore)) bumpWhy(`miss: detection, no track (${tag})`);
          else if ((out?.detections ?? []).some((d) => near(d.x, d.y, 2))) bumpWhy(`miss: detection below minStartScore (${tag})`);
          else if ((out?.tracks ?? []).some((t) => t.state === 'confirmed' && near(t.position.x, t.position.y, 5))) bumpWhy(`miss: confirmed track 2-5 m off (${tag})`);
          else {
            const d5 = (out?.detections ?? []).filter((d) => near(d.x, d.y, 5)).sort((a, b) => Math.hypot(a.x - o.x, a.y - o.y) - Math.hypot(b.x - o.x, b.y - o.y))[0];
            const what = d5 === undefined ? 'none within 5 m' : `nearest detection 2-5 m: ${d5.origin === 'camera-only' && d5.evidence.some((e) => e.modality === 'lidar') ? 'split' : d5.origin}`;
            bumpWhy(`miss: nothing within 2 m (${tag}; lidar ${o.lidarPoints >= 5 ? 'yes' : 'no'}, camera ${o.cameraVisible >= 0.25 ? 'yes' : 'no'}; ${what})`);
          }
        });
      }
    }
    console.log(`\n== ${preset} MOTA breakdown (seeds ${seeds.join(', ')})`);
    for (const [k, v] of Object.entries(why).sort((a, b) => b[1] - a[1])) console.log(`   ${k}: ${String(v)}`);
  }
  process.exit(0);
}

for (const preset of presets) {
  const counts: Record<string, Record<string, number>> = {};
  const stats: Record<string, Record<string, { tp: number; fp: number; scoreSum: number; fpScoreSum: number }>> = {};
  const bump = (c: string, k: string) => {
    const m = (counts[c] ??= {});
    m[k] = (m[k] ?? 0) + 1;
  };
  const posErr: Record<string, number[]> = {};
  const fpKinds: Record<string, Record<string, { n: number; score: number }>> = {};
  for (const scene of scenes.filter((s) => s.preset === preset)) {
    const aligned = alignScene(scene);
    const inRegion = regionTest(aligned.calibration, CAMERA_FOV_50M);
    const fused = await runStrategy(aligned, FUSED, params);
    const cam = await runStrategy(aligned, CAMERA_ONLY, params);
    const byTime = (outs: readonly FusionOutput[]) => new Map(outs.map((o) => [o.captureTimeUs, o]));
    const fBy = byTime(fused.outputs);
    const cBy = byTime(cam.outputs);
    for (const sweep of scene.truth) {
      const f = fBy.get(sweep.captureTimeUs);
      const c = cBy.get(sweep.captureTimeUs);
      if (f === undefined || c === undefined) continue;
      const truth = sweep.objects.filter((o) => truthCounts(o) && inRegion(o.x, o.y, o.z));
      for (const [name, out] of [['fused', f], ['camera-only', c]] as const) {
        for (const cls of CLASSES) {
          const s = ((stats[cls] ??= {})[name] ??= { tp: 0, fp: 0, scoreSum: 0, fpScoreSum: 0 });
          for (const t of out.tracks) {
            if (t.state === 'lost' || t.objectClass !== cls || !inRegion(t.position.x, t.position.y, t.position.z)) continue;
            const dist = (o: { x: number; y: number }) => Math.hypot(o.x - t.position.x, o.y - t.position.y);
            const hit = truth.some((o) => o.objectClass === cls && dist(o) <= 2);
            if (hit) { s.tp++; s.scoreSum += t.score; continue; }
            s.fp++; s.fpScoreSum += t.score;
            const other = truth.find((o) => dist(o) <= 2);
            const why = other !== undefined ? `near a ${other.objectClass}` : truth.some((o) => o.objectClass === cls && dist(o) <= 5) ? `2-5 m from a ${cls}` : truth.some((o) => dist(o) <= 5) ? '2-5 m from another' : 'clutter';
            const key = `${name} FP ${why} [${[...t.contributingModalities].sort().join('+')}${t.state === 'tentative' ? ', tentative' : ''}]`;
            const fp = ((fpKinds[cls] ??= {})[key] ??= { n: 0, score: 0 });
            fp.n++; fp.score += t.score;
          }
        }
      }
      for (const o of truth) {
        const cls = o.objectClass;
        if (cls !== 'pedestrian' && cls !== 'animal') continue;
        const near = (x: number, y: number, r: number) => Math.hypot(x - o.x, y - o.y) <= r;
        const camOk = c.tracks.some((t) => t.state !== 'lost' && t.objectClass === cls && near(t.position.x, t.position.y, 2));
        const fusedOk = f.tracks.some((t) => t.state !== 'lost' && t.objectClass === cls && near(t.position.x, t.position.y, 2));
        bump(cls, 'truth');
        if (camOk) bump(cls, 'camera-only has it');
        if (fusedOk) bump(cls, 'fused has it');
        if (fusedOk && !camOk) bump(cls, 'fused only');
        if (!camOk || fusedOk) continue;
        bump(cls, 'LOST by fusion');
        const votes = (d: FusionOutput['detections'][number]) => d.evidence.some((e) => e.modality === 'camera' && e.objectClass === cls);
        const dets2 = f.detections.filter((d) => near(d.x, d.y, 2));
        if (dets2.some((d) => d.objectClass === cls)) {
          const trackHere = f.tracks.filter((t) => t.state !== 'lost' && near(t.position.x, t.position.y, 2));
          bump(cls, trackHere.length > 0 ? `  tracker-class (track is ${trackHere.map((t) => t.objectClass).join('/')})` : '  tracker-none');
          continue;
        }
        const withVote = dets2.filter(votes);
        if (withVote.length > 0) {
          bump(cls, `  class (voted ${withVote.map((d) => `${d.objectClass}/${d.origin}`).join(',')})`);
          continue;
        }
        if (dets2.length > 0) {
          bump(cls, `  no-camera-vote within 2 m (${dets2.map((d) => `${d.objectClass}/${d.origin}`).join(',')})`);
          continue;
        }
        const d = f.detections.find((x) => votes(x) && near(x.x, x.y, 5));
        if (d !== undefined) {
          const host = d.origin === 'camera-only' && d.evidence.some((e) => e.modality === 'lidar') ? 'split' : d.origin;
          bump(cls, `  position 2–5 m (${host})`);
          (posErr[`${cls}/${host}`] ??= []).push(Math.hypot(d.x - o.x, d.y - o.y));
          continue;
        }
        // Where the camera box of the camera-only pipeline went: the fused object carrying the same camera score.
        const camDet = c.detections.find((d) => d.objectClass === cls && near(d.x, d.y, 2));
        const camScore = camDet?.evidence.find((e) => e.modality === 'camera')?.score;
        const same = camScore === undefined ? undefined : f.detections.find((d) => d.evidence.some((e) => e.modality === 'camera' && (e.score === camScore || (d.origin === 'camera-only' && e.score < camScore && e.score >= 0.3 * camScore && e.objectClass === cls))));
        if (same === undefined) bump(cls, '  association: camera box not found in fused (camera-only track coasting)');
        else {
          const e = same.evidence.find((x) => x.modality === 'camera');
          bump(cls, `  association: camera box (${e?.objectClass ?? '?'}) on ${same.objectClass}/${same.origin} ${Math.hypot(same.x - o.x, same.y - o.y) > 10 ? '>10' : '5-10'} m`);
        }
      }
    }
  }
  console.log(`\n== ${preset} (seeds ${seeds.join(', ')})`);
  for (const cls of CLASSES) {
    const m = counts[cls];
    if (m === undefined) continue;
    console.log(` ${cls}:`);
    for (const [k, v] of Object.entries(m).sort((a, b) => (a[0].startsWith('  ') === b[0].startsWith('  ') ? b[1] - a[1] : a[0].startsWith('  ') ? 1 : -1))) console.log(`   ${k}: ${String(v)}`);
    for (const [name, s] of Object.entries(stats[cls] ?? {})) {
      console.log(`   ${name} tracks of class: ${String(s.tp)} true (mean score ${(s.scoreSum / Math.max(1, s.tp)).toFixed(2)}), ${String(s.fp)} false (mean score ${(s.fpScoreSum / Math.max(1, s.fp)).toFixed(2)})`);
    }
  }
  for (const [cls, m] of Object.entries(fpKinds)) for (const [k, v] of Object.entries(m).sort((a, b) => b[1].n - a[1].n).slice(0, 12)) console.log(`   ${cls} ${k}: ${String(v.n)} (mean score ${(v.score / v.n).toFixed(2)})`);
  for (const [k, v] of Object.entries(posErr)) console.log(`   position error ${k}: n=${String(v.length)} mean ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)} m`);
}
