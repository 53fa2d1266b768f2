import { summarizeLatency } from '@sensorfuse/eval';

interface TopicCounters {
  records: number;
  bytes: number;
  windowRecords: number;
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

  /** One fused frame: confirmed tracks, the modalities it lacked, capture → fused output latency. */
  fused(confirmedTracks: number, missing: readonly string[], latencyUs: number): void {
    this.fusedFrames++;
    this.confirmedTracks = confirmedTracks;
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
    return `tracks ${this.confirmedTracks}${latency}${missing === '' ? '' : ` (${missing})`}`;
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
