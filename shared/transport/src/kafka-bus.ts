import kafkajs from 'kafkajs';
import type { Admin, Consumer, IHeaders, KafkaMessage, Message, Producer, logCreator as LogCreator } from 'kafkajs';
import { Observable } from 'rxjs';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { CommitRejectedError, RecordTooLargeError, TopicMismatchError, TransportStateError, UnknownTopicError } from './errors.js';
import { InFlightWindow, recordBytes } from './in-flight.js';
import { toTransportError } from './kafka-errors.js';
import { stderrLogger, type TransportLogger } from './logger.js';
// Side effect: removes kafkajs 2.2.4's 1 kHz idle timer loop per connection (see the file).
import './kafkajs-request-queue-fix.js';
import {
  DEAD_LETTER_SUFFIX,
  DEFAULT_MAX_MESSAGE_BYTES,
  deadLetterTopic,
  type Bus,
  type BusAdmin,
  type ConsumedRecord,
  type IncomingHeaders,
  type OutgoingRecord,
  type RecordPosition,
  type SubscribeOptions,
  type TopicSpec,
  type Transaction,
} from './types.js';

const { Kafka, Partitioners, logLevel: KafkaLogLevel } = kafkajs;

export type TransportLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Stable per instance (e.g. service name + partition set) so a restarted instance fences its zombie. */
  readonly transactionalId?: string;
  /** Where kafkajs logs go (a pino logger fits); default JSON lines on stderr. */
  readonly logger?: TransportLogger;
  /** Default 'warn'. */
  readonly logLevel?: TransportLogLevel;
  /** Largest record the consumers must be able to fetch (default 10 MiB). */
  readonly maxMessageBytes?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly connectionTimeoutMs?: number;
  /**
   * Least time between two OffsetCommit requests of a subscription (default 20 ms); commits in
   * between are merged. An idle subscription commits at once.
   */
  readonly commitIntervalMs?: number;
  /**
   * Retries of a failed request before a typed error surfaces (default 10 retries, about two
   * minutes of exponential back-off). kafkajs would retry an idempotent producer forever; bounded,
   * a dead broker becomes a BrokerUnavailableError the worker can act on.
   */
  readonly retry?: { readonly retries: number; readonly initialRetryTimeMs?: number };
}

const LEVELS: Record<TransportLogLevel, kafkajs.logLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/**
 * kafkajs logs every failed request at ERROR (a moved partition leader, an existing topic) although
 * it retries them and the caller sees the outcome as a typed error anyway: those go to WARN, so
 * `logLevel: 'error'` shows only what no one else reports.
 */
function routeLogs(logger: TransportLogger, threshold: kafkajs.logLevel): LogCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...fields } = log;
      const handledElsewhere = level === KafkaLogLevel.ERROR && (namespace === 'Connection' || 'retryCount' in fields);
      // Retries are bounded on purpose (KafkaBusOptions.retry); kafkajs's warning about it is noise.
      const knownChoice = typeof message === 'string' && message.startsWith('Limiting retries for the idempotent producer');
      const effective = knownChoice ? KafkaLogLevel.DEBUG : handledElsewhere ? KafkaLogLevel.WARN : level;
      if (effective > threshold) return;
      const entry = { namespace, ...fields };
      if (effective <= KafkaLogLevel.ERROR) logger.error(entry, message);
      else if (effective === KafkaLogLevel.WARN) logger.warn(entry, message);
      else if (effective === KafkaLogLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${String(partition)}`;

interface QueuedPublish {
  readonly topic: string;
  readonly messages: Message[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Bytes per produce request the flusher aims for; the broker accepts requests up to 16 MiB. */
const PUBLISH_BATCH_BYTES = 4 * 1024 * 1024;

function recordsBytes(records: readonly OutgoingRecord[]): number {
  let bytes = 0;
  for (const r of records) bytes += r.value.byteLength + (r.key === null ? 0 : Buffer.byteLength(r.key));
  return bytes;
}

/** The oldest queued publishes up to `maxBytes` (always at least one), removed from the queue. */
function takeBatch(queue: QueuedPublish[], maxBytes: number): QueuedPublish[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length) {
    const next = queue[n];
    if (next === undefined || (n > 0 && bytes + next.bytes > maxBytes)) break;
    bytes += next.bytes;
    n++;
  }
  return queue.splice(0, n);
}

function toMessages(records: readonly OutgoingRecord[]): Message[] {
  return records.map((r) => ({ key: r.key, value: r.value, headers: r.headers }));
}

function toIncomingHeaders(headers: IHeaders | undefined): IncomingHeaders {
  const out: Record<string, Buffer> = {};
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    // Kafka allows a header name twice; kafkajs then gives an array. The first one wins here.
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    out[name] = typeof first === 'string' ? Buffer.from(first, 'utf8') : first;
  }
  return out;
}

/** Local view of a subscription, so transactions can release the records they committed. */
interface GroupMember {
  committed(topic: string, partition: number, nextOffset: number): void;
}

/**
 * The Bus over Apache Kafka (kafkajs): idempotent producer with acks=all, topics pre-created with
 * max.message.bytes, consumers sized for 8 MiB records, explicit commits, pause/resume backpressure,
 * transactions with sendOffsets for consume-transform-produce.
 */
export class KafkaBus implements Bus {
  readonly admin: BusAdmin;
  private readonly kafka: InstanceType<typeof Kafka>;
  private readonly options: KafkaBusOptions;
  private readonly maxMessageBytes: number;
  private readonly topicLimits = new Map<string, number>();
  private readonly knownTopics = new Set<string>();
  private readonly members = new Map<string, Set<GroupMember>>();
  private readonly leaving = new Map<string, Set<Promise<void>>>();
  /** Completes an active subscription (its teardown leaves the group). */
  private readonly active = new Set<() => void>();
  private producer: Promise<Producer> | undefined;
  private txnProducer: Promise<Producer> | undefined;
  private adminClient: Promise<Admin> | undefined;
  private txnLock: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly publishQueue: QueuedPublish[] = [];
  private flushRun: Promise<void> | undefined;

  constructor(options: KafkaBusOptions) {
    this.options = options;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'sensorfuse',
      brokers: [...options.brokers],
      logLevel: LEVELS[options.logLevel ?? 'warn'],
      logCreator: routeLogs(options.logger ?? stderrLogger, LEVELS[options.logLevel ?? 'warn']),
      ...(options.connectionTimeoutMs === undefined ? {} : { connectionTimeout: options.connectionTimeoutMs }),
      retry: { retries: options.retry?.retries ?? 10, initialRetryTime: options.retry?.initialRetryTimeMs ?? 300 },
    });
    this.admin = {
      createTopics: (specs) => this.createTopics(specs),
      partitionCount: (topic) => this.partitionCount(topic),
      committedOffsets: (groupId, topic) => this.committedOffsets(groupId, topic),
    };
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.assertOpen();
    this.checkSizes(topic, records);
    // Queued synchronously, so calls are sent in the order they were made: kafkajs gives no order
    // between concurrent send() calls (a retried earlier request can land after a later one), so
    // one ordered flusher sends whatever has queued up as one batch at a time (like linger.ms).
    return new Promise<void>((resolve, reject) => {
      this.publishQueue.push({ topic, messages: toMessages(records), bytes: recordsBytes(records), resolve, reject });
      this.flushRun ??= this.flushPublishQueue().finally(() => {
        this.flushRun = undefined;
      });
    });
  }

  private async flushPublishQueue(): Promise<void> {
    while (this.publishQueue.length > 0) {
      const batch = takeBatch(this.publishQueue, PUBLISH_BATCH_BYTES);
      const ready: QueuedPublish[] = [];
      for (const entry of batch) {
        try {
          await this.assertTopicExists(entry.topic);
          ready.push(entry);
        } catch (error) {
          entry.reject(toTransportError(error, `publish to "${entry.topic}"`, { topic: entry.topic }));
        }
      }
      if (ready.length === 0) continue;
      try {
        const producer = await this.getProducer();
        await producer.sendBatch({ acks: -1, topicMessages: ready.map((e) => ({ topic: e.topic, messages: e.messages })) });
        for (const entry of ready) entry.resolve();
      } catch (error) {
        for (const entry of ready) entry.reject(toTransportError(error, `publish to "${entry.topic}"`, { topic: entry.topic }));
      }
    }
  }


  subscribe(options: SubscribeOptions): Observable<ConsumedRecord> {
    return new Observable<ConsumedRecord>((subscriber) => {
      if (this.closed) {
        subscriber.error(new TransportStateError('expected an open KafkaBus to subscribe, found it closed'));
        return undefined;
      }
      const { groupId, topics } = options;
      const window = new InFlightWindow(options);
      const lastCommitted = new Map<string, number>();
      const pending = new Map<string, { topic: string; partition: number; next: number; waiters: { resolve: () => void; reject: (e: unknown) => void }[] }>();
      let state: 'starting' | 'running' | 'stopping' = 'starting';
      let paused = false;
      let flushScheduled = false;
      let lastFlushAt = -Infinity;
      const commitIntervalMs = this.options.commitIntervalMs ?? 20;
      let flushing: Promise<void> | undefined;
      let consumer: Consumer | undefined;
      const stopping = (): boolean => state === 'stopping';

      const pauseAll = (): void => {
        if (paused || consumer === undefined) return;
        paused = true;
        consumer.pause(topics.map((topic) => ({ topic })));
      };
      const maybeResume = (): void => {
        if (!paused || consumer === undefined || state === 'stopping' || !window.isDrained()) return;
        paused = false;
        consumer.resume(topics.map((topic) => ({ topic })));
      };
      const member: GroupMember = {
        committed: (topic, partition, next) => {
          const key = tpKey(topic, partition);
          if (next > (lastCommitted.get(key) ?? -1)) lastCommitted.set(key, next);
          window.release(topic, partition, next - 1);
          maybeResume();
        },
      };

      const flush = async (): Promise<void> => {
        flushScheduled = false;
        const batch = [...pending.values()];
        pending.clear();
        const toSend = batch.filter((c) => c.next > (lastCommitted.get(tpKey(c.topic, c.partition)) ?? -1));
        try {
          if (toSend.length > 0 && consumer !== undefined) {
            await consumer.commitOffsets(toSend.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.next) })));
            for (const c of toSend) member.committed(c.topic, c.partition, c.next);
          }
          for (const c of batch) for (const w of c.waiters) w.resolve();
        } catch (error) {
          const typed = toTransportError(error, `commit for group "${groupId}"`, { groupId });
          for (const c of batch) for (const w of c.waiters) w.reject(typed);
        }
      };
      const scheduleFlush = (): void => {
        if (flushScheduled) return;
        flushScheduled = true;
        // Commits go out as one OffsetCommit request at a time, so the committed offsets of a
        // partition only ever move forwards; those made within commitIntervalMs of the previous
        // request share the next one (a commit per record would otherwise be a request per batch).
        const wait = Math.max(0, lastFlushAt + commitIntervalMs - performance.now());
        setTimeout(() => {
          lastFlushAt = performance.now();
          flushing = (flushing ?? Promise.resolve()).then(flush);
        }, wait);
      };
      const commit = (topic: string, partition: number, offset: number): Promise<void> => {
        if (state === 'stopping') {
          return Promise.reject(
            new CommitRejectedError(`expected an active subscription of group "${groupId}" when committing ${topic}/${String(partition)}@${String(offset)}, but it ended`, {
              context: { topic, partition, offset: String(offset), groupId },
            }),
          );
        }
        window.release(topic, partition, offset);
        maybeResume();
        return new Promise<void>((resolve, reject) => {
          const key = tpKey(topic, partition);
          let entry = pending.get(key);
          if (entry === undefined) {
            entry = { topic, partition, next: offset + 1, waiters: [] };
            pending.set(key, entry);
          }
          entry.next = Math.max(entry.next, offset + 1);
          entry.waiters.push({ resolve, reject });
          scheduleFlush();
        });
      };

      const toConsumed = (topic: string, partition: number, message: KafkaMessage): ConsumedRecord => {
        const offset = Number(message.offset);
        return {
          topic,
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString('utf8'),
          rawKey: message.key,
          value: message.value ?? Buffer.alloc(0),
          headers: toIncomingHeaders(message.headers),
          timestampUs: Number(message.timestamp) * 1000,
          commit: () => commit(topic, partition, offset),
        };
      };

      const start = async (): Promise<void> => {
        await Promise.all([...(this.leaving.get(groupId) ?? new Set<Promise<void>>())]);
        const admin = await this.getAdmin();
        const existing = new Set(await admin.listTopics());
        const missing = topics.find((t) => !existing.has(t));
        if (missing !== undefined) {
          throw new UnknownTopicError(`expected topic "${missing}" to exist (create it with admin.createTopics)`, {
            context: { topic: missing, groupId },
          });
        }
        if (state === 'stopping') return;
        const c = this.kafka.consumer({
          groupId,
          readUncommitted: options.isolation === 'read_uncommitted',
          allowAutoTopicCreation: false,
          partitionAssigners: [coPartitionedAssigner],
          maxBytesPerPartition: this.maxMessageBytes + 1024 * 1024,
          maxBytes: Math.max(64 * 1024 * 1024, 2 * this.maxMessageBytes),
          maxWaitTimeInMs: 500,
          ...(this.options.sessionTimeoutMs === undefined ? {} : { sessionTimeout: this.options.sessionTimeoutMs }),
          ...(this.options.heartbeatIntervalMs === undefined ? {} : { heartbeatInterval: this.options.heartbeatIntervalMs }),
        });
        consumer = c;
        c.on(c.events.GROUP_JOIN, (event) => {
          const assigned = new Set<string>();
          for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
            for (const p of partitions) assigned.add(tpKey(topic, p));
          }
          for (const { topic, partition } of window.partitions()) {
            if (!assigned.has(tpKey(topic, partition))) window.dropPartition(topic, partition);
          }
          options.onAssignment?.(Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))));
          maybeResume();
        });
        c.on(c.events.CRASH, (event) => {
          if (!event.payload.restart && state !== 'stopping') {
            subscriber.error(toTransportError(event.payload.error, `consumer of group "${groupId}" crashed`, { groupId }));
          }
        });
        await c.connect();
        await c.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning ?? false });
        if (stopping()) return;
        state = 'running';
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 1,
          eachBatch: async (payload) => {
            const { batch } = payload;
            for (const message of batch.messages) {
              if (state !== 'running' || !payload.isRunning() || payload.isStale()) break;
              if (window.isFull()) {
                // Unresolved messages are fetched again after resume.
                pauseAll();
                break;
              }
              window.add(batch.topic, batch.partition, Number(message.offset), message.value?.byteLength ?? 0);
              payload.resolveOffset(message.offset);
              subscriber.next(toConsumed(batch.topic, batch.partition, message));
            }
            await payload.heartbeat();
          },
        });
      };

      let members = this.members.get(groupId);
      if (members === undefined) {
        members = new Set();
        this.members.set(groupId, members);
      }
      members.add(member);
      const complete = (): void => {
        subscriber.complete();
      };
      this.active.add(complete);
      start().catch((error: unknown) => {
        if (state !== 'stopping') subscriber.error(toTransportError(error, `subscribe group "${groupId}" to ${topics.join(', ')}`, { groupId }));
      });

      return () => {
        state = 'stopping';
        this.active.delete(complete);
        this.members.get(groupId)?.delete(member);
        const leave = (async () => {
          while (flushScheduled) await new Promise<void>((resolve) => setTimeout(resolve, commitIntervalMs));
          await flushing?.catch(() => undefined);
          await consumer?.disconnect();
        })().catch(() => undefined);
        let set = this.leaving.get(groupId);
        if (set === undefined) {
          set = new Set();
          this.leaving.set(groupId, set);
        }
        set.add(leave);
        void leave.finally(() => set.delete(leave));
      };
    });
  }

  async transaction(): Promise<Transaction> {
    this.assertOpen();
    const previous = this.txnLock;
    let release: () => void = () => undefined;
    this.txnLock = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      const producer = await this.getTxnProducer();
      const txn = await producer.transaction();
      return new KafkaTransaction(this, txn, release);
    } catch (error) {
      release();
      throw toTransportError(error, 'begin transaction');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Publishes accepted before close() are still sent (or rejected) before the producer goes.
    await this.flushRun;
    for (const complete of [...this.active]) complete();
    await Promise.all([...this.leaving.values()].flatMap((s) => [...s]));
    const disconnect = async (p: Promise<Producer | Admin> | undefined): Promise<void> => {
      if (p === undefined) return;
      try {
        await (await p).disconnect();
      } catch {
        // Nothing left to do with a client that failed to connect.
      }
    };
    await Promise.all([disconnect(this.producer), disconnect(this.txnProducer), disconnect(this.adminClient)]);
  }

  /** Used by transactions: records committed through sendOffsets leave the in-flight windows. */
  markCommitted(groupId: string, topic: string, partition: number, nextOffset: number): void {
    for (const member of this.members.get(groupId) ?? []) member.committed(topic, partition, nextOffset);
  }

  checkSizes(topic: string, records: readonly OutgoingRecord[]): void {
    const limit = this.topicLimits.get(topic);
    if (limit === undefined) return; // not created here: the broker's MESSAGE_TOO_LARGE decides
    for (const r of records) {
      const size = recordBytes(r.key, r.value, r.headers);
      if (size > limit) {
        throw new RecordTooLargeError(
          `expected a record of at most ${String(limit)} bytes (max.message.bytes of "${topic}"), found ${String(size)} bytes`,
          { context: { topic, bytes: size, maxMessageBytes: limit } },
        );
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new TransportStateError('expected an open KafkaBus, found it closed');
  }

  /**
   * Topics are never auto-created; without this check the producer would retry a missing topic's
   * metadata for minutes before failing. Checked once per topic and bus.
   */
  async assertTopicExists(topic: string): Promise<void> {
    if (this.topicLimits.has(topic) || this.knownTopics.has(topic)) return;
    if ((await this.partitionCount(topic)) === undefined) {
      throw new UnknownTopicError(`expected topic "${topic}" to exist (create it with admin.createTopics)`, { context: { topic } });
    }
    this.knownTopics.add(topic);
  }

  private getProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: this.options.retry?.retries ?? 10, initialRetryTime: this.options.retry?.initialRetryTimeMs ?? 300 },
      });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  private getTxnProducer(): Promise<Producer> {
    this.txnProducer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        transactionalId: this.options.transactionalId ?? `${this.options.clientId ?? 'sensorfuse'}-${crypto.randomUUID()}`,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.txnProducer = undefined;
      throw error;
    });
    return this.txnProducer;
  }

  private getAdmin(): Promise<Admin> {
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.adminClient = undefined; // a broker that was down may be back for the next call
      throw error;
    });
    return this.adminClient;
  }

  private async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.assertOpen();
    const all: TopicSpec[] = [];
    for (const spec of specs) {
      all.push(spec);
      if ((spec.deadLetterTopic ?? 'create') === 'create' && !spec.topic.endsWith(DEAD_LETTER_SUFFIX)) {
        all.push({ ...spec, topic: deadLetterTopic(spec.topic), deadLetterTopic: 'none' });
      }
    }
    let admin: Admin;
    try {
      admin = await this.getAdmin();
      await admin.createTopics({
        waitForLeaders: true,
        topics: all.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          configEntries: [{ name: 'max.message.bytes', value: String(s.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) }],
        })),
      });
    } catch (error) {
      throw toTransportError(error, `create topics ${all.map((s) => s.topic).join(', ')}`);
    }
    for (const s of all) {
      const found = await this.partitionCount(s.topic);
      if (found !== s.partitions) {
        throw new TopicMismatchError(`expected topic "${s.topic}" to have ${String(s.partitions)} partitions, found ${String(found)}`, {
          context: { topic: s.topic },
        });
      }
      this.topicLimits.set(s.topic, s.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    }
  }

  private async committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>> {
    this.assertOpen();
    try {
      const admin = await this.getAdmin();
      const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, string>();
      // kafkajs reports partitions without a committed offset as "-1".
      for (const p of found?.partitions ?? []) if (!p.offset.startsWith('-')) out.set(p.partition, p.offset);
      return out;
    } catch (error) {
      throw toTransportError(error, `fetch offsets of group "${groupId}" for "${topic}"`, { groupId, topic });
    }
  }

  private async partitionCount(topic: string): Promise<number | undefined> {
    try {
      const admin = await this.getAdmin();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return metadata.topics[0]?.partitions.length;
    } catch (error) {
      const typed = toTransportError(error, `describe "${topic}"`, { topic });
      if (typed instanceof UnknownTopicError) return undefined;
      throw typed;
    }
  }
}

class KafkaTransaction implements Transaction {
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private readonly offsets: { groupId: string; topic: string; partition: number; next: number }[] = [];

  constructor(
    private readonly bus: KafkaBus,
    private readonly txn: kafkajs.Transaction,
    private readonly release: () => void,
  ) {}

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.assertOpen();
    await this.bus.assertTopicExists(topic);
    this.bus.checkSizes(topic, records);
    try {
      await this.txn.send({ topic, acks: -1, messages: toMessages(records) });
    } catch (error) {
      throw toTransportError(error, `transactional publish to "${topic}"`, { topic });
    }
  }

  async sendOffsets(groupId: string, records: readonly RecordPosition[]): Promise<void> {
    this.assertOpen();
    const next = new Map<string, { topic: string; partition: number; next: number }>();
    for (const r of records) {
      const key = tpKey(r.topic, r.partition);
      const n = Number(r.offset) + 1;
      if (n > (next.get(key)?.next ?? -1)) next.set(key, { topic: r.topic, partition: r.partition, next: n });
    }
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of next.values()) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: String(o.next) });
      byTopic.set(o.topic, list);
      this.offsets.push({ groupId, ...o });
    }
    try {
      await this.txn.sendOffsets({ consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    } catch (error) {
      throw toTransportError(error, `send offsets of group "${groupId}" in a transaction`, { groupId });
    }
  }

  async commit(): Promise<void> {
    this.assertOpen();
    this.state = 'committed';
    try {
      await this.txn.commit();
      for (const o of this.offsets) this.bus.markCommitted(o.groupId, o.topic, o.partition, o.next);
    } catch (error) {
      throw toTransportError(error, 'commit transaction');
    } finally {
      this.release();
    }
  }

  async abort(): Promise<void> {
    this.assertOpen();
    this.state = 'aborted';
    try {
      await this.txn.abort();
    } catch (error) {
      throw toTransportError(error, 'abort transaction');
    } finally {
      this.release();
    }
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new TransportStateError(`expected an open transaction, found one already ${this.state}`);
  }
}
