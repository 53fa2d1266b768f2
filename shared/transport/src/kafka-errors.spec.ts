import { isRetriable, TransientError } from '@sensorfuse/errors';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BrokerError, BrokerUnavailableError, CommitRejectedError, RecordTooLargeError } from './errors.js';
import { KafkaBus } from './kafka-bus.js';
import type { TransportLogger } from './logger.js';
import { toTransportError } from './kafka-errors.js';

// Shapes as kafkajs builds them from broker error codes (src/protocol/error.js).
const protocolError = (type: string, code: number, retriable: boolean): Error =>
  new kafkajs.KafkaJSProtocolError(Object.assign(new Error(`${type} from broker`), { type, code, retriable }));
// kafkajs's typings omit the options argument its retrier passes.
const NonRetriable = kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;

describe('toTransportError', () => {
  it("turns the broker's MESSAGE_TOO_LARGE into RecordTooLargeError, even wrapped by the retrier", () => {
    const tooLarge = protocolError('MESSAGE_TOO_LARGE', 10, false);
    // As kafkajs's retrier (src/retry/index.js) rejects with a non-retriable error.
    const wrapped = new NonRetriable(tooLarge, { cause: tooLarge });
    const error = toTransportError(wrapped, 'publish', { topic: 'raw.lidar' });
    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect(error.context.topic).toBe('raw.lidar');
    expect(isRetriable(error)).toBe(false);
  });

  it('classifies exhausted retries of a retriable failure as a TransientError', () => {
    const cause = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 3000 });
    const error = toTransportError(exhausted, 'publish');
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(error).toBeInstanceOf(TransientError);
    expect(isRetriable(error)).toBe(true);
  });

  it('reports a commit after a rebalance as CommitRejectedError and anything else as a non-retriable BrokerError', () => {
    expect(toTransportError(protocolError('REBALANCE_IN_PROGRESS', 27, false), 'commit')).toBeInstanceOf(CommitRejectedError);
    const other = toTransportError(protocolError('INVALID_TXN_STATE', 48, false), 'commit transaction');
    expect(other).toBeInstanceOf(BrokerError);
    expect(isRetriable(other)).toBe(false);
  });
});

describe('KafkaBus without a broker', () => {
  it('fails a publish with BrokerUnavailableError after bounded retries and routes kafkajs logs to the logger', async () => {
    const lines: { level: string; fields: object; message: string }[] = [];
    const sink = (level: string) => (fields: object, message: string) => lines.push({ level, fields, message });
    const logger: TransportLogger = { error: sink('error'), warn: sink('warn'), info: sink('info'), debug: sink('debug') };
    // Port 1 on loopback: nothing listens there.
    const bus = new KafkaBus({ brokers: ['127.0.0.1:1'], logger, logLevel: 'warn', connectionTimeoutMs: 200, retry: { retries: 1, initialRetryTimeMs: 10 } });
    const error: unknown = await bus.publish('raw.lidar', [{ key: 'rig-1', value: Buffer.from('x') }]).catch((e: unknown) => e);
    await bus.close();
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.level === 'warn' || l.level === 'error')).toBe(true);
    expect(lines.some((l) => 'namespace' in l.fields)).toBe(true);
  });
});
