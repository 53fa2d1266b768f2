/**
 * Consumer lag of the benchmark's groups, read from the broker once a second with the kafkajs admin
 * client (the Bus interface exposes no log-end offsets): per group and topic, log-end offset minus
 * the group's committed offset, summed over partitions; plus each topic's log-end offset so input
 * rates can be derived.
 */
import kafkajs from 'kafkajs';

export interface GroupTopic {
  readonly group: string;
  readonly topic: string;
}

export interface LagPoint {
  readonly atMs: number;
  /** `${group} ${topic}` → records not yet committed by the group. */
  readonly lag: Readonly<Record<string, number>>;
  /** topic → sum of log-end offsets. */
  readonly end: Readonly<Record<string, number>>;
}

export const lagKey = (g: GroupTopic): string => `${g.group} ${g.topic}`;

export class LagMonitor {
  private readonly admin: kafkajs.Admin;
  private timer: NodeJS.Timeout | undefined;
  private watched: readonly GroupTopic[] = [];
  readonly points: LagPoint[] = [];
  private busy = false;

  constructor(brokers: readonly string[]) {
    const kafka = new kafkajs.Kafka({ clientId: 'bench-lag', brokers: [...brokers], logLevel: kafkajs.logLevel.NOTHING });
    this.admin = kafka.admin();
  }

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  /** Replaces the watched groups and starts (or keeps) sampling every `periodMs`. */
  watch(watched: readonly GroupTopic[], periodMs = 1000): void {
    this.watched = watched;
    this.timer ??= setInterval(() => {
      void this.sample();
    }, periodMs);
  }

  async sample(): Promise<LagPoint | undefined> {
    if (this.busy || this.watched.length === 0) return undefined;
    this.busy = true;
    try {
      const atMs = Date.now();
      const topics = [...new Set(this.watched.map((w) => w.topic))];
      const ends: Record<string, Map<number, number>> = {};
      const end: Record<string, number> = {};
      for (const topic of topics) {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        const byPartition = new Map<number, number>();
        for (const p of offsets) byPartition.set(p.partition, Number(p.high));
        ends[topic] = byPartition;
        end[topic] = [...byPartition.values()].reduce((a, b) => a + b, 0);
      }
      const lag: Record<string, number> = {};
      const groups = [...new Set(this.watched.map((w) => w.group))];
      for (const group of groups) {
        const groupTopics = this.watched.filter((w) => w.group === group).map((w) => w.topic);
        const committed = await this.admin.fetchOffsets({ groupId: group, topics: groupTopics });
        for (const t of committed) {
          const topicEnds = ends[t.topic];
          if (topicEnds === undefined) continue;
          let sum = 0;
          for (const p of t.partitions) {
            const high = topicEnds.get(p.partition) ?? 0;
            const offset = Number(p.offset);
            // No commit yet: everything in the partition is lag (the benchmark's topics start empty).
            sum += offset < 0 ? high : Math.max(0, high - offset);
          }
          lag[lagKey({ group, topic: t.topic })] = sum;
        }
      }
      const point = { atMs, lag, end };
      this.points.push(point);
      return point;
    } catch {
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  /** Points between two wall-clock times. */
  between(fromMs: number, toMs: number): LagPoint[] {
    return this.points.filter((p) => p.atMs >= fromMs && p.atMs <= toMs);
  }

  /** Waits until every watched lag is at most `maxRecords` (or the timeout passes); true when drained. */
  async drained(maxRecords: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const p = await this.sample();
      if (p !== undefined && Object.values(p.lag).every((l) => l <= maxRecords)) return true;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return false;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.admin.disconnect();
  }
}
