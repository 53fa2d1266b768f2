import { SensorfuseError, type ErrorContext } from '@sensorfuse/errors';
import { BrokerError, BrokerUnavailableError, CommitRejectedError, RecordTooLargeError, UnknownTopicError } from './errors.js';

interface KafkaLikeError {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly retriable?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
  readonly errors?: unknown;
}

const TRANSIENT_NAMES = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const COMMIT_REJECTED_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** The error, its causes and the members of aggregate errors, depth first. */
function chain(error: unknown, seen = new Set<unknown>()): KafkaLikeError[] {
  if (error === null || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const e = error as KafkaLikeError;
  const out: KafkaLikeError[] = [e];
  out.push(...chain(e.cause, seen), ...chain(e.originalError, seen));
  if (Array.isArray(e.errors)) for (const inner of e.errors) out.push(...chain(inner, seen));
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The one place where a kafkajs failure becomes a typed transport error; retrying is then decided
 * from the class (isRetriable). kafkajs has already retried retriable errors internally, so a
 * retriable one here means the broker stayed unavailable: BrokerUnavailableError (a TransientError).
 */
export function toTransportError(error: unknown, what: string, context: ErrorContext = {}): SensorfuseError {
  if (error instanceof SensorfuseError) return error.withContext(context);
  const errors = chain(error);
  const types = new Set(errors.map((e) => e.type).filter((t): t is string => typeof t === 'string'));
  const options = { cause: error, context };
  if ([...types].some((t) => TOO_LARGE_TYPES.has(t))) {
    return new RecordTooLargeError(`${what}: the broker rejected a record larger than max.message.bytes (${describe(error)})`, options);
  }
  if ([...types].some((t) => COMMIT_REJECTED_TYPES.has(t))) {
    return new CommitRejectedError(`${what}: this member no longer owns the partition (${describe(error)})`, options);
  }
  if (types.has('UNKNOWN_TOPIC_OR_PARTITION')) {
    return new UnknownTopicError(`${what}: expected the topic to exist (${describe(error)})`, options);
  }
  const transient = errors.some((e) => e.retriable === true || (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)));
  return transient
    ? new BrokerUnavailableError(`${what}: broker unavailable (${describe(error)})`, options)
    : new BrokerError(`${what}: ${describe(error)}`, options);
}
