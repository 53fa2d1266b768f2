import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';

function capture(): { lines: () => Record<string, unknown>[]; destination: { write: (line: string) => void } } {
  const raw: string[] = [];
  return {
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    destination: { write: (line: string) => raw.push(line) },
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level label, service and message', () => {
    const out = capture();
    const logger = createLogger('lidar-worker', { env: {}, destination: out.destination });
    logger.info({ sensorId: 'velo-top', points: 120000 }, 'sweep received');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'info', service: 'lidar-worker', msg: 'sweep received', sensorId: 'velo-top', points: 120000 });
    expect(typeof line?.time).toBe('number');
  });

  it('takes its level from SENSORFUSE_LOG_LEVEL, and an explicit level over the environment', () => {
    const fromEnv = capture();
    const quiet = createLogger('x', { env: { SENSORFUSE_LOG_LEVEL: 'warn', LOG_LEVEL: 'debug' }, destination: fromEnv.destination });
    quiet.info('hidden');
    quiet.warn('shown');
    expect(fromEnv.lines().map((line) => line.msg)).toEqual(['shown']);

    const explicit = capture();
    const verbose = createLogger('x', { level: 'debug', env: { SENSORFUSE_LOG_LEVEL: 'warn' }, destination: explicit.destination });
    verbose.debug('detail');
    expect(explicit.lines().map((line) => line.msg)).toEqual(['detail']);
  });

  it('refuses an unknown level instead of silently logging at info', () => {
    expect(() => createLogger('x', { env: { SENSORFUSE_LOG_LEVEL: 'verbose' } })).toThrow(/unknown log level "verbose"/);
  });
});
