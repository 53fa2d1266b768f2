import { Observable, type Subscriber } from 'rxjs';
import { assignCoPartitioned } from './assignment.js';
import { CommitRejectedError, RecordTooLargeError, TopicMismatchError, TransportStateError, UnknownTopicError } from './errors.js';
import { InFlightWindow, recordBytes } from './in-flight.js';
import { stderrLogger, type TransportLogger } from './logger.js';
import { PartitionLog, type LogEntry } from './partition-log.js';
import { partitionForKey } from './partitioner.js';
import {
  DEAD_LETTER_SUFFIX,
  DEFAULT_MAX_MESSAGE_BYTES,
  deadLetterTopic,
  type Bus,
  type BusAdmin,
  type ConsumedRecord,
  type IncomingHeaders,
  type Isolation,
  type OutgoingHeaders,
  type OutgoingRecord,
  type RecordPosition,
  type SubscribeOptions,
  type TopicSpec,
  type Transaction,
} from './types.js';

export interface MemoryBusOptions {
  /** Clock for record timestamps and retention, integer microseconds since the epoch. */
  readonly nowUs?: () => number;
  /**
   * Retention by size, per partition (Kafka's retention.bytes): beyond it the oldest records are
   * deleted whether or not every group has read them; a group that had not is moved to the log
   * start and the records it skipped are logged and counted (`stats().unreadDeleted`). Default 512 MiB.
   */
  readonly retentionBytes?: number;
  /**
   * Retention by age: a record older than this that every group interested in its topic has
   * committed past is deleted. Records of a topic no group has subscribed to or committed on are
   * kept (up to `retentionBytes`). Default 60 000 ms; `Infinity` keeps consumed records.
   */
  readonly retentionMs?: number;
  /** Where retention warnings go (a pino logger fits); default JSON lines on stderr. */
  readonly logger?: TransportLogger;
}

/** What MemoryBus retention has deleted since the bus was created. */
export interface MemoryBusStats {
  readonly deletedRecords: number;
  readonly deletedBytes: number;
  /** Records deleted before some group interested in them had read them (by `retentionBytes`). */
  readonly unreadDeleted: number;
}

const DEFAULT_RETENTION_BYTES = 512 * 1024 * 1024;
const DEFAULT_RETENTION_MS = 60_000;

interface TxnMarker {
  status: 'open' | 'committed' | 'aborted';
}

interface Entry {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: IncomingHeaders;
  readonly txn: TxnMarker | undefined;
  /** A transaction commit/abort marker: takes an offset like in Kafka, never delivered. */
  readonly control: boolean;
}

interface TopicState {
  readonly name: string;
  readonly maxMessageBytes: number;
  readonly logs: PartitionLog<Entry>[];
  roundRobin: number;
}

interface Assignment {
  readonly topic: string;
  readonly partition: number;
  position: number;
}

interface GroupState {
  readonly id: string;
  readonly committed: Map<string, number>;
  readonly members: Member[];
}

interface Member {
  /** Zero-padded join counter, so member-id order is join order. */
  readonly memberId: string;
  readonly group: GroupState;
  readonly topics: readonly string[];
  readonly isolation: Isolation;
  readonly fromBeginning: boolean;
  readonly window: InFlightWindow;
  readonly subscriber: Subscriber<ConsumedRecord>;
  readonly assigned: Map<string, Assignment>;
  readonly onAssignment: SubscribeOptions['onAssignment'];
  closed: boolean;
  scheduled: boolean;
  draining: boolean;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${String(partition)}`;
const BATCH_PER_PARTITION = 64;

const NO_HEADERS: IncomingHeaders = Object.freeze({});

function toIncomingHeaders(headers: OutgoingHeaders | undefined): IncomingHeaders {
  if (headers === undefined) return NO_HEADERS;
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  }
  return out;
}

/**
 * An in-process bus with Kafka's semantics: partitioned logs, per-key order, consumer groups with
 * committed offsets and redelivery of uncommitted records, transactions with read_committed
 * visibility, and max.message.bytes. Used by embedded mode and unit tests; passes the same
 * conformance suite as KafkaBus.
 */
export class MemoryBus implements Bus {
  readonly admin: BusAdmin;
  private readonly topics = new Map<string, TopicState>();
  private readonly groups = new Map<string, GroupState>();
  private readonly nowUs: () => number;
  private txnLock: Promise<void> = Promise.resolve();
  private closed = false;
  private memberCounter = 0;
  private readonly retentionBytes: number;
  private readonly retentionUs: number;
  private readonly logger: TransportLogger;
  private deletedRecords = 0;
  private deletedBytes = 0;
  private unreadDeleted = 0;

  constructor(options: MemoryBusOptions = {}) {
    this.nowUs = options.nowUs ?? (() => Date.now() * 1000);
    this.retentionBytes = options.retentionBytes ?? DEFAULT_RETENTION_BYTES;
    this.retentionUs = (options.retentionMs ?? DEFAULT_RETENTION_MS) * 1000;
    this.logger = options.logger ?? stderrLogger;
    if (!(this.retentionBytes >= 0) || !(this.retentionUs >= 0)) {
      throw new TransportStateError(
        `expected MemoryBus retentionBytes and retentionMs ≥ 0, found ${String(options.retentionBytes)} and ${String(options.retentionMs)}`,
      );
    }
    this.admin = {
      createTopics: (specs) => {
        try {
          this.createTopics(specs);
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
      partitionCount: (topic) => Promise.resolve(this.topics.get(topic)?.logs.length),
      committedOffsets: (groupId, topic) => {
        const out = new Map<number, string>();
        for (const [key, next] of this.groups.get(groupId)?.committed ?? []) {
          const [topicName, p = '0'] = key.split('\u0000');
          if (topicName === topic) out.set(Number(p), String(next));
        }
        return Promise.resolve(out);
      },
    };
  }

  /** What retention has deleted so far. */
  stats(): MemoryBusStats {
    return { deletedRecords: this.deletedRecords, deletedBytes: this.deletedBytes, unreadDeleted: this.unreadDeleted };
  }

  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    try {
      this.append(topic, records, undefined);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  subscribe(options: SubscribeOptions): Observable<ConsumedRecord> {
    return new Observable<ConsumedRecord>((subscriber) => {
      if (this.closed) {
        subscriber.error(new TransportStateError('subscribe on a closed MemoryBus'));
        return undefined;
      }
      const missing = options.topics.find((t) => !this.topics.has(t));
      if (missing !== undefined) {
        subscriber.error(
          new UnknownTopicError(`expected topic "${missing}" to exist (create it with admin.createTopics)`, {
            context: { topic: missing, groupId: options.groupId },
          }),
        );
        return undefined;
      }
      let group = this.groups.get(options.groupId);
      if (group === undefined) {
        group = { id: options.groupId, committed: new Map(), members: [] };
        this.groups.set(options.groupId, group);
      }
      const member: Member = {
        memberId: `member-${String(++this.memberCounter).padStart(10, '0')}`,
        group,
        topics: [...options.topics],
        isolation: options.isolation ?? 'read_committed',
        fromBeginning: options.fromBeginning ?? false,
        window: new InFlightWindow(options),
        subscriber,
        assigned: new Map(),
        onAssignment: options.onAssignment,
        closed: false,
        scheduled: false,
        draining: false,
      };
      group.members.push(member);
      this.rebalance(group);
      return () => {
        member.closed = true;
        const index = member.group.members.indexOf(member);
        if (index >= 0) member.group.members.splice(index, 1);
        this.rebalance(member.group);
      };
    });
  }

  transaction(): Promise<Transaction> {
    if (this.closed) return Promise.reject(new TransportStateError('transaction on a closed MemoryBus'));
    const previous = this.txnLock;
    let release: () => void = () => undefined;
    this.txnLock = new Promise<void>((resolve) => {
      release = resolve;
    });
    return previous.then(() => new MemoryTransaction(this, release));
  }

  close(): Promise<void> {
    this.closed = true;
    for (const group of this.groups.values()) {
      for (const member of [...group.members]) {
        member.closed = true;
        member.subscriber.complete();
      }
      group.members.length = 0;
    }
    return Promise.resolve();
  }

  // ---- internals shared with MemoryTransaction -------------------------------------------------

  /** Validate every record first, then append all: a publish call is all or nothing. */
  append(topicName: string, records: readonly OutgoingRecord[], txn: TxnMarker | undefined): Set<PartitionLog<Entry>> {
    if (this.closed) throw new TransportStateError('publish on a closed MemoryBus');
    const topic = this.topics.get(topicName);
    if (topic === undefined) {
      throw new UnknownTopicError(`expected topic "${topicName}" to exist (create it with admin.createTopics)`, {
        context: { topic: topicName },
      });
    }
    const sizes: number[] = [];
    for (const record of records) {
      const size = recordBytes(record.key, record.value, record.headers);
      sizes.push(size);
      if (size > topic.maxMessageBytes) {
        throw new RecordTooLargeError(
          `expected a record of at most ${String(topic.maxMessageBytes)} bytes (max.message.bytes of "${topicName}"), found ${String(size)} bytes`,
          { context: { topic: topicName, bytes: size, maxMessageBytes: topic.maxMessageBytes } },
        );
      }
    }
    const touched = new Set<PartitionLog<Entry>>();
    const timestampUs = this.nowUs();
    records.forEach((record, i) => {
      const key = record.key === null ? null : Buffer.from(record.key);
      const partition =
        key === null ? (topic.roundRobin++ & 0x7fffffff) % topic.logs.length : partitionForKey(key, topic.logs.length);
      const log = topic.logs[partition];
      if (log === undefined) return;
      log.append({ key, value: record.value, headers: toIncomingHeaders(record.headers), txn, control: false }, sizes[i] ?? 0, timestampUs);
      touched.add(log);
    });
    for (const log of touched) this.retain(topic, log, timestampUs);
    this.notify(topicName);
    return touched;
  }

  appendControl(logs: Iterable<PartitionLog<Entry>>): void {
    for (const log of logs) {
      log.append({ key: null, value: Buffer.alloc(0), headers: {}, txn: undefined, control: true }, 0, this.nowUs());
    }
  }

  /**
   * Delete the oldest records of one partition: beyond `retentionBytes` always, older than
   * `retentionMs` when every interested group has committed past them. Records of an open
   * transaction stay (a read_committed reader waits on them).
   */
  private retain(topic: TopicState, log: PartitionLog<Entry>, nowUs: number): void {
    const oldest = log.first();
    if (oldest === undefined) return;
    const horizonUs = nowUs - this.retentionUs;
    if (log.bytes <= this.retentionBytes && !(oldest.timestampUs < horizonUs)) return;
    const floor = this.consumedFloor(topic.name, topic.logs.indexOf(log), log.startOffset);
    for (let entry = log.first(); entry !== undefined; entry = log.first()) {
      if (entry.record.txn?.status === 'open') break;
      const overSize = log.bytes > this.retentionBytes;
      if (!overSize && !(entry.timestampUs < horizonUs && entry.offset < floor)) break;
      log.shift();
      this.deletedRecords += 1;
      this.deletedBytes += entry.bytes;
    }
  }

  /**
   * The lowest next offset any group interested in the partition still needs: its committed offset,
   * else the position of its members that own the partition, else (subscribed, not yet assigned)
   * the log start. No interested group: nothing may be deleted by age.
   */
  private consumedFloor(topicName: string, partition: number, logStart: number): number {
    const key = tpKey(topicName, partition);
    let floor = Number.POSITIVE_INFINITY;
    let interested = false;
    for (const group of this.groups.values()) {
      const committed = group.committed.get(key);
      let need: number | undefined = committed;
      if (need === undefined) {
        for (const member of group.members) {
          const assignment = member.assigned.get(key);
          if (assignment !== undefined) need = Math.min(need ?? Number.POSITIVE_INFINITY, assignment.position);
          else if (member.topics.includes(topicName)) need = Math.min(need ?? Number.POSITIVE_INFINITY, logStart);
        }
      }
      if (need === undefined) continue;
      interested = true;
      floor = Math.min(floor, need);
    }
    return interested ? floor : logStart;
  }

  /** Commit `nextOffset` for a group (from a member or a transaction); never moves backwards. */
  commitGroupOffset(groupId: string, topic: string, partition: number, nextOffset: number): void {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { id: groupId, committed: new Map(), members: [] };
      this.groups.set(groupId, group);
    }
    const key = tpKey(topic, partition);
    const current = group.committed.get(key) ?? -1;
    if (nextOffset > current) group.committed.set(key, nextOffset);
    for (const member of group.members) {
      if (member.assigned.has(key)) {
        member.window.release(topic, partition, nextOffset - 1);
        if (member.window.isDrained()) this.schedule(member);
      }
    }
  }

  notifyAll(): void {
    for (const group of this.groups.values()) for (const member of group.members) this.schedule(member);
  }

  private notify(topic: string): void {
    for (const group of this.groups.values()) {
      for (const member of group.members) if (member.topics.includes(topic)) this.schedule(member);
    }
  }

  private createTopics(specs: readonly TopicSpec[]): void {
    const all: TopicSpec[] = [];
    for (const spec of specs) {
      all.push(spec);
      if ((spec.deadLetterTopic ?? 'create') === 'create' && !spec.topic.endsWith(DEAD_LETTER_SUFFIX)) {
        all.push({ ...spec, topic: deadLetterTopic(spec.topic), deadLetterTopic: 'none' });
      }
    }
    for (const spec of all) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new TopicMismatchError(`expected a positive integer partition count for "${spec.topic}", found ${String(spec.partitions)}`, {
          context: { topic: spec.topic },
        });
      }
      const existing = this.topics.get(spec.topic);
      if (existing !== undefined) {
        if (existing.logs.length !== spec.partitions) {
          throw new TopicMismatchError(
            `expected topic "${spec.topic}" to have ${String(spec.partitions)} partitions, found ${String(existing.logs.length)}`,
            { context: { topic: spec.topic } },
          );
        }
        continue;
      }
      this.topics.set(spec.topic, {
        name: spec.topic,
        maxMessageBytes: spec.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
        logs: Array.from({ length: spec.partitions }, () => new PartitionLog<Entry>()),
        roundRobin: 0,
      });
    }
  }

  /** Co-partitioned assignment (see assignment.ts) over the members in join order. */
  private rebalance(group: GroupState): void {
    const counts = new Map<string, number>();
    for (const topicName of new Set(group.members.flatMap((m) => m.topics))) {
      const topic = this.topics.get(topicName);
      if (topic !== undefined) counts.set(topicName, topic.logs.length);
    }
    const assignment = assignCoPartitioned(group.members, counts);
    const wanted = new Map<Member, Set<string>>();
    for (const member of group.members) {
      const keys = new Set<string>();
      for (const [topicName, partitions] of assignment.get(member.memberId) ?? []) {
        for (const partition of partitions) keys.add(tpKey(topicName, partition));
      }
      wanted.set(member, keys);
    }
    for (const member of group.members) {
      const keep = wanted.get(member) ?? new Set<string>();
      for (const [key, assignment] of member.assigned) {
        if (!keep.has(key)) {
          member.assigned.delete(key);
          member.window.dropPartition(assignment.topic, assignment.partition);
        }
      }
      for (const key of keep) {
        if (member.assigned.has(key)) continue;
        const [topicName = '', p = '0'] = key.split('\u0000');
        const partition = Number(p);
        const log = this.topics.get(topicName)?.logs[partition];
        const committed = group.committed.get(key);
        member.assigned.set(key, {
          topic: topicName,
          partition,
          position: committed ?? (member.fromBeginning ? (log?.startOffset ?? 0) : (log?.endOffset ?? 0)),
        });
      }
      member.onAssignment?.([...member.assigned.values()].map(({ topic, partition }) => ({ topic, partition })));
      this.schedule(member);
    }
  }

  private schedule(member: Member): void {
    if (member.scheduled || member.closed) return;
    member.scheduled = true;
    setImmediate(() => {
      member.scheduled = false;
      this.drain(member);
    });
  }

  /** Deliver what is visible to the member, fairly across partitions, until its window is full. */
  private drain(member: Member): void {
    if (member.closed || member.draining) return;
    member.draining = true;
    try {
      let progress = true;
      // `closed` changes inside subscriber.next (an unsubscribe), so it is read through a function.
      const closed = (): boolean => member.closed;
      while (progress && !closed()) {
        progress = false;
        for (const assignment of [...member.assigned.values()]) {
          if (closed() || member.window.isFull()) return;
          const log = this.topics.get(assignment.topic)?.logs[assignment.partition];
          if (log === undefined) continue;
          if (assignment.position < log.startOffset) this.skipDeleted(member, assignment, log.startOffset);
          let delivered = 0;
          while (assignment.position < log.endOffset && delivered < BATCH_PER_PARTITION) {
            if (closed() || member.window.isFull() || !member.assigned.has(tpKey(assignment.topic, assignment.partition))) return;
            const logEntry = log.at(assignment.position);
            if (logEntry === undefined) break;
            const entry = logEntry.record;
            if (entry.control) {
              assignment.position += 1;
              continue;
            }
            if (entry.txn !== undefined && member.isolation === 'read_committed') {
              if (entry.txn.status === 'open') break; // last stable offset: wait for the outcome
              if (entry.txn.status === 'aborted') {
                assignment.position += 1;
                continue;
              }
            }
            assignment.position += 1;
            delivered += 1;
            progress = true;
            member.window.add(assignment.topic, assignment.partition, logEntry.offset, entry.value.byteLength);
            member.subscriber.next(this.toConsumed(member, assignment.topic, assignment.partition, logEntry));
          }
        }
      }
    } finally {
      member.draining = false;
    }
  }

  /** A group's position fell below the log start: retention deleted records it had not read. */
  private skipDeleted(member: Member, assignment: Assignment, logStart: number): void {
    const skipped = logStart - assignment.position;
    this.unreadDeleted += skipped;
    this.logger.warn(
      {
        groupId: member.group.id,
        topic: assignment.topic,
        partition: assignment.partition,
        fromOffset: assignment.position,
        toOffset: logStart,
        skipped,
        retentionBytes: this.retentionBytes,
      },
      `MemoryBus retention deleted ${String(skipped)} records of ${assignment.topic}/${String(assignment.partition)} that group "${member.group.id}" had not read (it fell more than retentionBytes behind): it continues at the log start`,
    );
    assignment.position = logStart;
  }

  private toConsumed(member: Member, topic: string, partition: number, logEntry: LogEntry<Entry>): ConsumedRecord {
    const entry = logEntry.record;
    const offset = logEntry.offset;
    return {
      topic,
      partition,
      offset: String(offset),
      key: entry.key === null ? null : entry.key.toString('utf8'),
      rawKey: entry.key,
      value: entry.value,
      headers: entry.headers,
      timestampUs: logEntry.timestampUs,
      commit: () => {
        if (member.closed || !member.assigned.has(tpKey(topic, partition))) {
          return Promise.reject(
            new CommitRejectedError(
              `expected this member of group "${member.group.id}" to own ${topic}/${String(partition)} when committing offset ${String(offset)}, but it was revoked or the subscription ended`,
              { context: { topic, partition, offset: String(offset), groupId: member.group.id } },
            ),
          );
        }
        this.commitGroupOffset(member.group.id, topic, partition, offset + 1);
        return Promise.resolve();
      },
    };
  }
}

class MemoryTransaction implements Transaction {
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private readonly marker: TxnMarker = { status: 'open' };
  private readonly touched = new Set<PartitionLog<Entry>>();
  private readonly offsets: { groupId: string; topic: string; partition: number; next: number }[] = [];

  constructor(
    private readonly bus: MemoryBus,
    private readonly release: () => void,
  ) {}

  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    try {
      this.assertOpen();
      for (const log of this.bus.append(topic, records, this.marker)) this.touched.add(log);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  sendOffsets(groupId: string, records: readonly RecordPosition[]): Promise<void> {
    try {
      this.assertOpen();
      for (const r of records) this.offsets.push({ groupId, topic: r.topic, partition: r.partition, next: Number(r.offset) + 1 });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  commit(): Promise<void> {
    return this.end('committed');
  }

  abort(): Promise<void> {
    return this.end('aborted');
  }

  private end(outcome: 'committed' | 'aborted'): Promise<void> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.state = outcome;
    this.marker.status = outcome;
    this.bus.appendControl(this.touched);
    if (outcome === 'committed') {
      for (const o of this.offsets) this.bus.commitGroupOffset(o.groupId, o.topic, o.partition, o.next);
    }
    this.bus.notifyAll();
    this.release();
    return Promise.resolve();
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new TransportStateError(`expected an open transaction, found one already ${this.state}`);
    }
  }
}
