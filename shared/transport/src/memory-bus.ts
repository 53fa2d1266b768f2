import { Observable, type Subscriber } from 'rxjs';
import { assignCoPartitioned } from './assignment.js';
import { CommitRejectedError, RecordTooLargeError, TopicMismatchError, TransportStateError, UnknownTopicError } from './errors.js';
import { InFlightWindow, recordBytes } from './in-flight.js';
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
  /** Clock for record timestamps, integer microseconds since the epoch. */
  readonly nowUs?: () => number;
}

interface TxnMarker {
  status: 'open' | 'committed' | 'aborted';
}

interface Entry {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: IncomingHeaders;
  readonly timestampUs: number;
  readonly txn: TxnMarker | undefined;
  /** A transaction commit/abort marker: takes an offset like in Kafka, never delivered. */
  readonly control: boolean;
}

interface TopicState {
  readonly name: string;
  readonly maxMessageBytes: number;
  readonly logs: Entry[][];
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

  constructor(options: MemoryBusOptions = {}) {
    this.nowUs = options.nowUs ?? (() => Date.now() * 1000);
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
  append(topicName: string, records: readonly OutgoingRecord[], txn: TxnMarker | undefined): Set<Entry[]> {
    if (this.closed) throw new TransportStateError('publish on a closed MemoryBus');
    const topic = this.topics.get(topicName);
    if (topic === undefined) {
      throw new UnknownTopicError(`expected topic "${topicName}" to exist (create it with admin.createTopics)`, {
        context: { topic: topicName },
      });
    }
    for (const record of records) {
      const size = recordBytes(record.key, record.value, record.headers);
      if (size > topic.maxMessageBytes) {
        throw new RecordTooLargeError(
          `expected a record of at most ${String(topic.maxMessageBytes)} bytes (max.message.bytes of "${topicName}"), found ${String(size)} bytes`,
          { context: { topic: topicName, bytes: size, maxMessageBytes: topic.maxMessageBytes } },
        );
      }
    }
    const touched = new Set<Entry[]>();
    const timestampUs = this.nowUs();
    for (const record of records) {
      const key = record.key === null ? null : Buffer.from(record.key);
      const partition =
        key === null ? (topic.roundRobin++ & 0x7fffffff) % topic.logs.length : partitionForKey(key, topic.logs.length);
      const log = topic.logs[partition];
      if (log === undefined) continue;
      log.push({
        offset: log.length,
        key,
        value: record.value,
        headers: toIncomingHeaders(record.headers),
        timestampUs,
        txn,
        control: false,
      });
      touched.add(log);
    }
    this.notify(topicName);
    return touched;
  }

  appendControl(logs: Iterable<Entry[]>): void {
    for (const log of logs) {
      log.push({
        offset: log.length,
        key: null,
        value: Buffer.alloc(0),
        headers: {},
        timestampUs: this.nowUs(),
        txn: undefined,
        control: true,
      });
    }
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
        logs: Array.from({ length: spec.partitions }, () => []),
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
        const log = this.topics.get(topicName)?.logs[partition] ?? [];
        const committed = group.committed.get(key);
        member.assigned.set(key, {
          topic: topicName,
          partition,
          position: committed ?? (member.fromBeginning ? 0 : log.length),
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
          let delivered = 0;
          while (assignment.position < log.length && delivered < BATCH_PER_PARTITION) {
            if (closed() || member.window.isFull() || !member.assigned.has(tpKey(assignment.topic, assignment.partition))) return;
            const entry = log[assignment.position];
            if (entry === undefined) break;
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
            member.window.add(assignment.topic, assignment.partition, entry.offset, entry.value.byteLength);
            member.subscriber.next(this.toConsumed(member, assignment.topic, assignment.partition, entry));
          }
        }
      }
    } finally {
      member.draining = false;
    }
  }

  private toConsumed(member: Member, topic: string, partition: number, entry: Entry): ConsumedRecord {
    const offset = entry.offset;
    return {
      topic,
      partition,
      offset: String(offset),
      key: entry.key === null ? null : entry.key.toString('utf8'),
      rawKey: entry.key,
      value: entry.value,
      headers: entry.headers,
      timestampUs: entry.timestampUs,
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
  private readonly touched = new Set<Entry[]>();
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
