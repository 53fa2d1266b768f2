import { describe, expect, it } from 'vitest';
import { PoisonRecordError, TransientError, errorName, isRetriable } from './index.js';

class TruncatedThing extends PoisonRecordError {}
class BrokerDown extends TransientError {}

describe('SensorfuseError', () => {
  it('names errors after their class and decides retry from the class', () => {
    const poison = new TruncatedThing('expected 10 bytes, found 3', { context: { topic: 'raw.lidar' } });
    expect(poison.name).toBe('TruncatedThing');
    expect(errorName(poison)).toBe('TruncatedThing');
    expect(isRetriable(poison)).toBe(false);
    expect(isRetriable(new BrokerDown('no leader'))).toBe(true);
    expect(isRetriable(new Error('plain'))).toBe(false);
  });
  it('keeps the cause and adds context without losing the class', () => {
    const cause = new RangeError('offset out of range');
    const e = new TruncatedThing('short', { cause, context: { sensorId: 'lidar_top' } });
    const more = e.withContext({ partition: 3, offset: '42' });
    expect(more).toBeInstanceOf(TruncatedThing);
    expect(more.cause).toBe(cause);
    expect(more.message).toBe('short');
    expect(more.context).toEqual({ sensorId: 'lidar_top', partition: 3, offset: '42' });
    expect(e.context).toEqual({ sensorId: 'lidar_top' });
  });
});
