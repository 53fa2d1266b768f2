import type { Attributes, Meter } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ALIGN_EVENT_TYPES, createAlignDiagnostics, type AlignEvent } from './diagnostics.js';
import { recordAt } from './testing.js';

/** A meter that records what is added to each counter (the OpenTelemetry API surface we use). */
function recordingMeter(): { meter: Meter; adds: { name: string; value: number; attributes: Attributes | undefined }[] } {
  const adds: { name: string; value: number; attributes: Attributes | undefined }[] = [];
  const meter = {
    createCounter: (name: string) => ({
      add: (value: number, attributes?: Attributes) => {
        adds.push({ name, value, attributes });
      },
    }),
  } as unknown as Meter;
  return { meter, adds };
}

describe('createAlignDiagnostics', () => {
  it('counts each event type on a namespaced OpenTelemetry counter with input and reason attributes', () => {
    const { meter, adds } = recordingMeter();
    const seen: AlignEvent[] = [];
    const d = createAlignDiagnostics({ meter, attributes: { rigId: 'rig-7' }, onEvent: (e) => seen.push(e) });
    const { record } = recordAt('camera', 1000, { seq: 5 });
    d.emit({ type: 'align.late', input: 'camera', record, reason: 'behind-watermark', watermarkUs: 2000, atUs: 3 });
    d.emit({ type: 'align.duplicate', input: 'camera', record, atUs: 4 });
    d.emit({ type: 'align.timeout', input: 'audio', pivotTimeUs: 0, atUs: 5 });
    expect(adds).toEqual([
      { name: 'sensorfuse.align.late', value: 1, attributes: { rigId: 'rig-7', input: 'camera', reason: 'behind-watermark' } },
      { name: 'sensorfuse.align.duplicate', value: 1, attributes: { rigId: 'rig-7', input: 'camera' } },
      { name: 'sensorfuse.align.timeout', value: 1, attributes: { rigId: 'rig-7', input: 'audio' } },
    ]);
    expect(d.counts()['align.late']).toBe(1);
    expect(d.counts()['align.evicted']).toBe(0);
    // The side output receives the late record itself.
    expect(seen[0]?.type === 'align.late' && seen[0].record.seq).toBe(5);
  });

  it('without a MeterProvider it still counts (the global meter is a no-op)', () => {
    const d = createAlignDiagnostics();
    d.emit({ type: 'align.idle', input: 'gnss', silentUs: 1_000_000, atUs: 0 });
    expect(d.counts()['align.idle']).toBe(1);
    expect(Object.keys(d.counts()).sort()).toEqual([...ALIGN_EVENT_TYPES].sort());
  });
});
