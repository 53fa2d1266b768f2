import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DetectionMetrics } from './detection.js';
import type { EgoStateMetrics } from './ego.js';
import type { LatencySummary } from './latency.js';
import type { MotMetrics } from './mot.js';
import type { SoundEventMetrics } from './soundEvents.js';

/** Everything measured on one scenario run; detection and tracking are keyed by modality (lidar, camera, fused…). */
export interface ScenarioReport {
  readonly scenario: string;
  readonly seed?: number;
  readonly detection?: Readonly<Record<string, DetectionMetrics>>;
  readonly tracking?: Readonly<Record<string, MotMetrics>>;
  readonly soundEvents?: SoundEventMetrics;
  readonly egoState?: EgoStateMetrics;
  /** Keyed by stage, e.g. "capture→fused". */
  readonly latency?: Readonly<Record<string, LatencySummary>>;
}

export interface EvalReport {
  readonly title?: string;
  readonly scenarios: readonly ScenarioReport[];
}

/** JSON of the report; NaN and ±Infinity (undefined metrics) become null. */
export function reportToJson(report: EvalReport): string {
  return JSON.stringify(report, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value, 2);
}

function num(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}
function pct(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)} %`;
}
function deg(rad: number | undefined): string {
  return rad === undefined || !Number.isFinite(rad) ? '–' : `${((rad * 180) / Math.PI).toFixed(2)}°`;
}
function ms(us: number | undefined): string {
  return us === undefined || !Number.isFinite(us) ? '–' : (us / 1000).toFixed(2);
}
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function detectionSection(byModality: Readonly<Record<string, DetectionMetrics>>): string {
  const entries = Object.entries(byModality);
  const thresholds = entries[0]?.[1].config.distanceThresholdsM ?? [];
  const tpT = entries[0]?.[1].config.tpThresholdM ?? 2;
  const summary = table(
    ['modality', 'mAP', ...thresholds.map((t) => `AP@${t} m`), `P@${tpT} m`, `R@${tpT} m`, `F1@${tpT} m`, 'mATE m', 'mASE', 'mAOE', 'mAVE m/s'],
    entries.map(([modality, d]) => [
      modality,
      num(d.mAP),
      ...thresholds.map((t) => {
        const aps = d.classes.map((c) => c.apByThreshold[String(t)] ?? Number.NaN);
        return num(aps.reduce((a, b) => a + b, 0) / aps.length);
      }),
      pct(d.atTpThreshold.precision),
      pct(d.atTpThreshold.recall),
      num(d.atTpThreshold.f1),
      num(d.meanTpErrors.transErr),
      num(d.meanTpErrors.scaleErr),
      deg(d.meanTpErrors.orientErr),
      num(d.meanTpErrors.velErr),
    ]),
  );
  const perClass = table(
    ['modality', 'class', 'truth', 'predictions', 'AP', `P@${tpT} m`, `R@${tpT} m`, `F1@${tpT} m`, 'ATE m', 'ASE', 'AOE', 'AVE m/s'],
    entries.flatMap(([modality, d]) =>
      d.classes.map((c) => [
        modality,
        c.className,
        String(c.numTruth),
        String(c.numPredictions),
        num(c.ap),
        pct(c.atTpThreshold.precision),
        pct(c.atTpThreshold.recall),
        num(c.atTpThreshold.f1),
        num(c.tpErrors.transErr),
        num(c.tpErrors.scaleErr),
        deg(c.tpErrors.orientErr),
        num(c.tpErrors.velErr),
      ]),
    ),
  );
  return `### Detection\n\n${summary}\n\nPer class:\n\n${perClass}\n`;
}

function trackingSection(byModality: Readonly<Record<string, MotMetrics>>): string {
  return `### Tracking\n\n${table(
    ['modality', 'MOTA', 'MOTP m', 'IDF1', 'IDP', 'IDR', 'recall', 'precision', 'GT', 'MT', 'PT', 'ML', 'FP', 'FN', 'IDs', 'FM'],
    Object.entries(byModality).map(([modality, m]) => [
      modality,
      pct(m.mota),
      num(m.motp),
      pct(m.idf1),
      pct(m.idp),
      pct(m.idr),
      pct(m.recall),
      pct(m.precision),
      String(m.numUniqueObjects),
      String(m.mostlyTracked),
      String(m.partiallyTracked),
      String(m.mostlyLost),
      String(m.numFalsePositives),
      String(m.numMisses),
      String(m.numSwitches),
      String(m.numFragmentations),
    ]),
  )}\n`;
}

function soundSection(s: SoundEventMetrics): string {
  const o = s.overall;
  const overall = table(
    ['reference', 'estimated', 'TP', 'F1', 'precision', 'recall', 'ER', 'S', 'D', 'I', 'class-wise F1', 'bearing MAE', 'bearing RMS'],
    [[
      String(o.numReference),
      String(o.numEstimated),
      String(o.tp),
      pct(o.f1),
      pct(o.precision),
      pct(o.recall),
      num(o.errorRate),
      String(o.substitutions),
      String(o.deletions),
      String(o.insertions),
      pct(s.classWiseMacroF1),
      deg(s.bearing.meanAbsErrorRad),
      deg(s.bearing.rmsErrorRad),
    ]],
  );
  const classes = table(
    ['class', 'reference', 'estimated', 'TP', 'F1', 'precision', 'recall'],
    Object.entries(s.classWise).map(([c, m]) => [
      c,
      String(m.numReference),
      String(m.numEstimated),
      String(m.tp),
      pct(m.f1),
      pct(m.precision),
      pct(m.recall),
    ]),
  );
  return `### Audio events\n\n${overall}\n\nPer class:\n\n${classes}\n`;
}

function egoSection(e: EgoStateMetrics): string {
  return `### Ego state\n\n${table(
    ['samples', 'unpaired', 'position RMSE m', 'horizontal RMSE m', 'velocity RMSE m/s', 'attitude RMSE', 'max position error m', 'max attitude error'],
    [[
      String(e.count),
      String(e.unpaired),
      num(e.positionRmseM),
      num(e.horizontalPositionRmseM),
      num(e.velocityRmseMps),
      deg(e.attitudeRmseRad),
      num(e.maxPositionErrorM),
      deg(e.maxAttitudeErrorRad),
    ]],
  )}\n`;
}

function latencySection(byStage: Readonly<Record<string, LatencySummary>>): string {
  return `### Latency (ms)\n\n${table(
    ['stage', 'count', 'method', 'p50', 'p90', 'p99', 'max', 'mean'],
    Object.entries(byStage).map(([stage, l]) => [
      stage,
      String(l.count),
      l.method,
      ms(l.p50Us),
      ms(l.p90Us),
      ms(l.p99Us),
      ms(l.maxUs),
      ms(l.meanUs),
    ]),
  )}\n`;
}

/** Markdown: a summary table over scenarios and modalities, then one section per scenario. */
export function renderReportMarkdown(report: EvalReport): string {
  const parts: string[] = [`# ${report.title ?? 'Sensorfuse evaluation'}\n`];
  const summaryRows: string[][] = [];
  for (const s of report.scenarios) {
    const modalities = [...new Set([...Object.keys(s.detection ?? {}), ...Object.keys(s.tracking ?? {})])];
    for (const m of modalities) {
      const d = s.detection?.[m];
      const t = s.tracking?.[m];
      summaryRows.push([s.scenario, m, num(d?.mAP), num(d?.atTpThreshold.f1), pct(t?.mota), pct(t?.idf1)]);
    }
  }
  if (summaryRows.length > 0) {
    parts.push(`## Summary\n\n${table(['scenario', 'modality', 'mAP', 'F1@2 m', 'MOTA', 'IDF1'], summaryRows)}\n`);
  }
  for (const s of report.scenarios) {
    parts.push(`## ${s.scenario}${s.seed === undefined ? '' : ` (seed ${s.seed})`}\n`);
    if (s.detection !== undefined) parts.push(detectionSection(s.detection));
    if (s.tracking !== undefined) parts.push(trackingSection(s.tracking));
    if (s.soundEvents !== undefined) parts.push(soundSection(s.soundEvents));
    if (s.egoState !== undefined) parts.push(egoSection(s.egoState));
    if (s.latency !== undefined) parts.push(latencySection(s.latency));
  }
  return parts.join('\n');
}

/** Writes `<baseName>.json` and `<baseName>.md` into `directory` (created if missing). */
export async function writeReport(
  report: EvalReport,
  directory: string,
  baseName = 'eval-report',
): Promise<{ jsonPath: string; markdownPath: string }> {
  await mkdir(directory, { recursive: true });
  const jsonPath = path.join(directory, `${baseName}.json`);
  const markdownPath = path.join(directory, `${baseName}.md`);
  await writeFile(jsonPath, `${reportToJson(report)}\n`);
  await writeFile(markdownPath, renderReportMarkdown(report));
  return { jsonPath, markdownPath };
}
