import { summarizeLatency } from '@sensorfuse/eval';

interface TopicCounters {
  records: number;
  bytes: number;
  windowRecords: number;
}

/** A ground-plane position (base_link, metres). */
export interface PlanePoint {
  readonly x: number;
  readonly y: number;
}

/** Truth and fused frame describe the same sweep when their capture times differ by less than this. */
const SAME_SWEEP_US = 5_000;
/** A confirmed track within this distance of a truth object (greedy, nearest first) detects it. */
export const MATCH_DISTANCE_M = 2;

/**
 * Greedy nearest-first one-to-one matching within `maxDistanceM`: the number of truth objects a
 * track is close enough to. Cheap enough for a live status line (tens of objects per frame).
 */
export function countMatches(truth: readonly PlanePoint[], tracks: readonly PlanePoint[], maxDistanceM: number): number {
  const pairs: [number, number, number][] = [];
  truth.forEach((t, i) => {
    tracks.forEach((k, j) => {
      const d = Math.hypot(t.x - k.x, t.y - k.y);
      if (d <= maxDistanceM) pairs.push([d, i, j]);
    });
  });
  pairs.sort((a, b) => a[0] - b[0]);
  const usedTruth = new Set<number>();
  const usedTrack = new Set<number>();
  for (const [, i, j] of pairs) {
    if (usedTruth.has(i) || usedTrack.has(j)) continue;
    usedTruth.add(i);
    usedTrack.add(j);
  }
  return usedTruth.size;
}

/** Running counters of one run, rendered as the live status line and the final summary. */
export class RunStatus {
  private readonly startedMs = Date.now();
  private readonly perTopic = new Map<string, TopicCounters>();
  private readonly latencyUs: number[] = [];
  private windowStartMs = Date.now();
  private lidarObjects = 0;
  private lidarSweeps = 0;
  private egoStates = 0;
  private lastEgo: { readonly x: number; readonly y: number; readonly speed: number } | undefined;
  private deadLetters = 0;
  private fusedFrames = 0;
  private confirmedTracks = 0;
  private readonly missing = new Map<string, number>();
  private readonly fusedLatencyUs: number[] = [];
  /** Simulator truth of recent LIDAR sweeps by capture time (bounded: the last 100). */
  private readonly truthBySweep = new Map<number, readonly PlanePoint[]>();
  private matched = 0;
  private truthObjects = 0;
  private trackObjects = 0;

  count(topic: string, bytes: number): void {
    const entry = this.perTopic.get(topic) ?? { records: 0, bytes: 0, windowRecords: 0 };
    entry.records++;
    entry.bytes += bytes;
    entry.windowRecords++;
    this.perTopic.set(topic, entry);
    if (topic.endsWith('.dlq')) this.deadLetters++;
  }

  /** Capture → observation published, microseconds: the latency of a worker hop. */
  latency(us: number): void {
    if (!Number.isFinite(us) || us < 0) return;
    this.latencyUs.push(us);
    // Keep a bounded window of recent samples.
    if (this.latencyUs.length > 20_000) this.latencyUs.splice(0, 10_000);
  }

  lidar(objects: number): void {
    this.lidarSweeps++;
    this.lidarObjects += objects;
  }

  ego(x: number, y: number, speed: number): void {
    this.egoStates++;
    this.lastEgo = { x, y, speed };
  }

  /** The simulator's truth of one LIDAR sweep: the objects the LIDAR saw, in base_link. */
  truth(captureTimeUs: number, objects: readonly PlanePoint[]): void {
    this.truthBySweep.set(captureTimeUs, objects);
    if (this.truthBySweep.size > 100) {
      const oldest = this.truthBySweep.keys().next().value;
      if (oldest !== undefined) this.truthBySweep.delete(oldest);
    }
  }

  /**
   * One fused frame: confirmed tracks (their base_link positions), the modalities it lacked,
   * capture → fused output latency. Frames with the truth of their sweep count toward precision/recall.
   */
  fused(confirmedTracks: readonly PlanePoint[], missing: readonly string[], latencyUs: number, captureTimeUs?: number): void {
    this.fusedFrames++;
    this.confirmedTracks = confirmedTracks.length;
    if (captureTimeUs !== undefined) {
      for (const [timeUs, objects] of this.truthBySweep) {
        if (Math.abs(timeUs - captureTimeUs) >= SAME_SWEEP_US) continue;
        this.matched += countMatches(objects, confirmedTracks, MATCH_DISTANCE_M);
        this.truthObjects += objects.length;
        this.trackObjects += confirmedTracks.length;
        break;
      }
    }
    for (const modality of missing) this.missing.set(modality, (this.missing.get(modality) ?? 0) + 1);
    if (Number.isFinite(latencyUs) && latencyUs >= 0) {
      this.fusedLatencyUs.push(latencyUs);
      if (this.fusedLatencyUs.length > 20_000) this.fusedLatencyUs.splice(0, 10_000);
    }
  }

  private presence(): string {
    if (this.fusedFrames === 0) return 'fused –';
    const missing = [...this.missing.entries()].map(([m, n]) => `${m} missing ${((100 * n) / this.fusedFrames).toFixed(0)}%`).join(', ');
    const lat = this.fusedLatencyUs.length > 0 ? summarizeLatency(this.fusedLatencyUs) : undefined;
    const latency = lat === undefined ? '' : ` e2e p50 ${(lat.p50Us / 1000).toFixed(0)} ms p99 ${(lat.p99Us / 1000).toFixed(0)} ms`;
    return `tracks ${this.confirmedTracks}${latency}${this.accuracy()}${missing === '' ? '' : ` (${missing})`}`;
  }

  /** Running precision and recall of the confirmed tracks against the simulator truth. */
  private accuracy(): string {
    if (this.truthObjects === 0 && this.trackObjects === 0) return '';
    const p = this.trackObjects === 0 ? '–' : `${((100 * this.matched) / this.trackObjects).toFixed(0)}%`;
    const r = this.truthObjects === 0 ? '–' : `${((100 * this.matched) / this.truthObjects).toFixed(0)}%`;
    return ` precision ${p} recall ${r}`;
  }

  get records(): number {
    let n = 0;
    for (const e of this.perTopic.values()) n += e.records;
    return n;
  }

  /** One compact line: per-topic rates since the previous line, latency, objects, ego, dead letters. */
  line(): string {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.windowStartMs) / 1000);
    this.windowStartMs = now;
    const rates = [...this.perTopic.entries()]
      .filter(([topic]) => !topic.endsWith('.dlq'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([topic, e]) => {
        const rate = e.windowRecords / seconds;
        e.windowRecords = 0;
        return `${topic} ${rate.toFixed(0)}/s`;
      })
      .join(' · ');
    const lat = this.latencyUs.length > 0 ? summarizeLatency(this.latencyUs) : undefined;
    const latency = lat === undefined ? 'latency –' : `latency p50 ${(lat.p50Us / 1000).toFixed(1)} ms p99 ${(lat.p99Us / 1000).toFixed(1)} ms`;
    const objects = this.lidarSweeps > 0 ? (this.lidarObjects / this.lidarSweeps).toFixed(1) : '–';
    const ego = this.lastEgo === undefined ? 'ego –' : `ego (${this.lastEgo.x.toFixed(1)}, ${this.lastEgo.y.toFixed(1)}) m ${this.lastEgo.speed.toFixed(1)} m/s`;
    return `status: ${rates} | ${latency} | lidar objects/sweep ${objects} | ${this.presence()} | ${ego} | dlq ${this.deadLetters}`;
  }

  summary(): string {
    const seconds = (Date.now() - this.startedMs) / 1000;
    const lines = [`sensorfuse summary: ran ${seconds.toFixed(1)} s`];
    for (const [topic, e] of [...this.perTopic.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${topic.padEnd(22)} ${String(e.records).padStart(8)} records ${(e.bytes / 1e6).toFixed(1).padStart(8)} MB`);
    }
    if (this.latencyUs.length > 0) {
      const lat = summarizeLatency(this.latencyUs);
      lines.push(
        `  capture→observation latency p50 ${(lat.p50Us / 1000).toFixed(1)} ms, p99 ${(lat.p99Us / 1000).toFixed(1)} ms, max ${(lat.maxUs / 1000).toFixed(1)} ms (${lat.count} records)`,
      );
    }
    lines.push(`  lidar sweeps ${this.lidarSweeps}, objects ${this.lidarObjects}; ego states ${this.egoStates}; dead letters ${this.deadLetters}`);
    lines.push(`  fused frames ${this.fusedFrames}; ${this.presence()}`);
    return lines.join('\n');
  }
}
