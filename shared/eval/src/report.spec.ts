import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateDetections, type EvalBox, type PredictedBox } from './detection.js';
import { evaluateEgoState } from './ego.js';
import { summarizeLatency } from './latency.js';
import { evaluateTracking } from './mot.js';
import { renderReportMarkdown, reportToJson, writeReport, type EvalReport } from './report.js';
import { evaluateSoundEvents } from './soundEvents.js';

function sampleReport(): EvalReport {
  const truth: EvalBox[] = [{ sampleId: 's', className: 'car', center: [0, 0, 0], size: [2, 4, 2], yawRad: 0 }];
  const lidar: PredictedBox[] = [{ ...(truth[0] as EvalBox), center: [0.3, 0, 0], score: 0.9 }];
  return {
    title: 'urban-day check',
    scenarios: [
      {
        scenario: 'urban-day',
        seed: 7,
        detection: { lidar: evaluateDetections(truth, lidar), camera: evaluateDetections(truth, []) },
        tracking: {
          fused: evaluateTracking([{ truth: [{ id: 'a', x: 0, y: 0 }], tracks: [{ id: 1, x: 0.5, y: 0 }] }], { maxDistanceM: 2 }),
        },
        soundEvents: evaluateSoundEvents(
          [{ className: 'siren', onsetUs: 0, offsetUs: 1_000_000, bearingRad: 0.1 }],
          [{ className: 'siren', onsetUs: 100_000, offsetUs: 900_000, bearingRad: 0.2 }],
        ),
        egoState: evaluateEgoState(
          [{ timeUs: 0, position: [0, 0, 0], velocity: [0, 0, 0], orientation: [1, 0, 0, 0] }],
          [{ timeUs: 0, position: [0, 0.5, 0], velocity: [0, 0, 0], orientation: [1, 0, 0, 0] }],
        ),
        latency: { 'capture→fused': summarizeLatency([20_000, 30_000, 40_000]) },
      },
    ],
  };
}

describe('report writer', () => {
  it('renders the tables a reader looks for, per scenario and per modality', () => {
    const md = renderReportMarkdown(sampleReport());
    expect(md).toContain('# urban-day check');
    expect(md).toContain('## urban-day (seed 7)');
    // Summary rows: lidar found the car (mAP 1), the camera did not (mAP 0); fused tracking MOTA 100 %.
    expect(md).toMatch(/\| urban-day \| lidar \| 1\.000 \| 1\.000 \| – \| – \|/);
    expect(md).toMatch(/\| urban-day \| camera \| 0\.000 \| 0\.000 \| – \| – \|/);
    expect(md).toMatch(/\| urban-day \| fused \| – \| – \| 100\.0 % \| 100\.0 % \|/);
    // Per-class detection row for lidar: ATE 0.3 m.
    expect(md).toMatch(/\| lidar \| car \| 1 \| 1 \| 1\.000 \| 100\.0 % \| 100\.0 % \| 1\.000 \| 0\.300 \|/);
    // Tracking MOTP 0.5 m; audio bearing error 0.1 rad = 5.73°; ego position RMSE 0.5 m; latency p50 30 ms.
    expect(md).toMatch(/\| fused \| 100\.0 % \| 0\.500 \|/);
    expect(md).toContain('5.73°');
    expect(md).toMatch(/\| 1 \| 0 \| 0\.500 \| 0\.500 \| 0\.000 \|/);
    expect(md).toMatch(/\| capture→fused \| 3 \| nearest-rank \| 30\.00 \| 40\.00 \| 40\.00 \| 40\.00 \| 30\.00 \|/);
  });

  it('writes JSON (undefined metrics as null) and markdown files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sensorfuse-eval-'));
    try {
      const report = sampleReport();
      const { jsonPath, markdownPath } = await writeReport(report, path.join(dir, 'out'), 'run1');
      const parsed = JSON.parse(await readFile(jsonPath, 'utf8')) as {
        scenarios: { detection: { camera: { classes: { atTpThreshold: { precision: number | null } }[] } } }[];
      };
      // The camera made no prediction: precision 0/0 is undefined → null, not NaN (invalid JSON).
      expect(parsed.scenarios[0]?.detection.camera.classes[0]?.atTpThreshold.precision).toBeNull();
      expect(await readFile(markdownPath, 'utf8')).toBe(renderReportMarkdown(report));
      expect(reportToJson(report)).not.toContain('NaN');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
