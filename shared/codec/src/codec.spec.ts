import avro from 'avsc';
import { PoisonRecordError } from '@sensorfuse/errors';
import { cameraFrameSchema, lidarScanSchema, schemasByName, type CameraFrame, type LidarScan } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  CorruptRecordError,
  NotSingleObjectError,
  SchemaMismatchError,
  TruncatedRecordError,
  UnknownFingerprintError,
  createCodec,
  readFingerprint,
  SchemaRegistry,
} from './index.js';
import { lidarScan, samples } from './samples.spec-helper.js';

/** Signed Java long from the Avro project's schema-tests.txt as 8 little-endian wire bytes. */
function leBytes(javaLong: string): number[] {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(javaLong));
  return [...b];
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, none was thrown');
}

describe('Avro single-object encoding', () => {
  // Canonical form {"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]},
  // fingerprint 7843277075252814651 (Avro schema-tests.txt case 025).
  const fooSchema = { type: 'record', name: 'foo', fields: [{ name: 'f1', type: 'boolean' }] };

  it('writes marker C3 01, the little-endian CRC-64-AVRO fingerprint, then the body', () => {
    const codec = createCodec<{ f1: boolean }>(new SchemaRegistry(), fooSchema);
    const bytes = codec.encode({ f1: true });
    expect([...bytes]).toEqual([0xc3, 0x01, ...leBytes('7843277075252814651'), 0x01]);
    expect(codec.fingerprint).toBe('6cd8eaf1c968a33b');
    expect(readFingerprint(bytes)).toBe('6cd8eaf1c968a33b');
    expect(codec.decode(bytes)).toEqual({ f1: true });
  });

  it('round-trips a record of every schema through one registry', () => {
    const registry = new SchemaRegistry();
    for (const [name, value] of samples) {
      const codec = createCodec<unknown>(registry, schemasByName[name]);
      expect(codec.schemaName).toBe(`sensorfuse.${name}`);
      expect(codec.decode(codec.encode(value)), name).toEqual(value);
    }
    expect(registry.fingerprints()).toHaveLength(Object.keys(schemasByName).length);
  });

  it('round-trips random values of every schema byte for byte (floats are float32 on the wire)', () => {
    const registry = new SchemaRegistry();
    for (const schema of Object.values(schemasByName)) {
      const codec = createCodec<unknown>(registry, schema);
      const type = registry.get(codec.fingerprint);
      for (let i = 0; i < 20; i++) {
        const bytes = codec.encode(type?.random());
        expect(codec.encode(codec.decode(bytes)).equals(bytes)).toBe(true);
      }
    }
  });

  it('round-trips a 120k-point sweep byte for byte, larger than any scratch buffer', () => {
    const codec = createCodec<LidarScan>(new SchemaRegistry(), lidarScanSchema);
    const scan = lidarScan(120_000);
    const bytes = codec.encode(scan);
    const back = codec.decode(bytes);
    expect(back.data.equals(scan.data)).toBe(true);
    expect(back.pointCount).toBe(120_000);
    expect(bytes.length).toBeGreaterThan(scan.data.length);
    expect(bytes.length).toBeLessThan(scan.data.length + 200);
  });

  it('decodes from a view into a larger buffer and returns payload bytes independent of it', () => {
    const codec = createCodec<CameraFrame>(new SchemaRegistry(), cameraFrameSchema);
    const frame = samples.find(([n]) => n === 'CameraFrame')?.[1] as CameraFrame;
    const encoded = codec.encode(frame);
    const arena = new Uint8Array(encoded.length + 37);
    arena.set(encoded, 17);
    const view = arena.subarray(17, 17 + encoded.length);
    const decoded = codec.decode(view);
    expect(decoded).toEqual(frame);
    arena.fill(0xee);
    expect(decoded.data.equals(frame.data)).toBe(true);
  });
  it('returns copied payloads aligned for Float32Array views, small and large', () => {
    const codec = createCodec<LidarScan>(new SchemaRegistry(), lidarScanSchema);
    for (const points of [3, 10, 1_000, 120_000]) {
      const { data } = codec.decode(codec.encode(lidarScan(points)));
      expect(data.byteOffset % 8).toBe(0);
      const xyzi = new Float32Array(data.buffer, data.byteOffset, points * 4);
      expect(xyzi[(points - 1) * 4 + 1]).toBe(-(points - 1) * 0.5);
    }
  });

  it("with { bytes: 'view' } returns payload bytes as views into the input, without copying", () => {
    const registry = new SchemaRegistry();
    const codec = createCodec<LidarScan>(registry, lidarScanSchema, { bytes: 'view' });
    const scan = lidarScan(1_000);
    const encoded = codec.encode(scan);
    const decoded = codec.decode(encoded);
    expect(decoded).toEqual(scan);
    expect(decoded.data.buffer).toBe(encoded.buffer);
    encoded.fill(0, encoded.length - 100);
    expect(decoded.data.equals(scan.data)).toBe(false);
    // The registry's shared copy-mode type is untouched by a view-mode codec.
    expect(createCodec<LidarScan>(registry, lidarScanSchema).decode(codec.encode(scan)).data.buffer).not.toBe(encoded.buffer);
  });
});

describe('schema evolution through the registry', () => {
  const v1 = {
    type: 'record',
    name: 'Reading',
    namespace: 'sensorfuse',
    fields: [
      { name: 'sensorId', type: 'string' },
      { name: 'value', type: 'double' },
      { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['unknown', 'temperature'], default: 'unknown' } },
    ],
  };
  const v2 = {
    ...v1,
    fields: [
      ...v1.fields.slice(0, 2),
      { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['unknown', 'temperature', 'pressure'], default: 'unknown' } },
      { name: 'unit', type: 'string', default: 'degC' },
      { name: 'quality', type: ['null', 'float'], default: null },
    ],
  };
  interface ReadingV1 {
    sensorId: string;
    value: number;
    kind: string;
  }
  interface ReadingV2 extends ReadingV1 {
    unit: string;
    quality: number | null;
  }

  it('reads an older record with a newer schema, filling added fields from their defaults', () => {
    const registry = new SchemaRegistry();
    const writer = createCodec<ReadingV1>(registry, v1);
    const reader = createCodec<ReadingV2>(registry, v2);
    expect(reader.fingerprint).not.toBe(writer.fingerprint);
    const bytes = writer.encode({ sensorId: 't1', value: 21.5, kind: 'temperature' });
    expect(reader.decode(bytes)).toEqual({ sensorId: 't1', value: 21.5, kind: 'temperature', unit: 'degC', quality: null });
  });

  it('reads a newer record with an older schema, dropping added fields and mapping new symbols to the default', () => {
    const registry = new SchemaRegistry();
    const writer = createCodec<ReadingV2>(registry, v2);
    const reader = createCodec<ReadingV1>(registry, v1);
    const bytes = writer.encode({ sensorId: 'p1', value: 101.3, kind: 'pressure', unit: 'kPa', quality: 0.5 });
    expect(reader.decode(bytes)).toEqual({ sensorId: 'p1', value: 101.3, kind: 'unknown' });
  });

  it('evolves a project schema: CameraFrame v2 with an added field, read both ways', () => {
    const v2Frame = {
      ...cameraFrameSchema,
      fields: [...cameraFrameSchema.fields, { name: 'exposureUs', type: 'long', default: 0, doc: 'Exposure time.' }],
    };
    const registry = new SchemaRegistry();
    const current = createCodec<CameraFrame>(registry, cameraFrameSchema);
    const next = createCodec<CameraFrame & { exposureUs: number }>(registry, v2Frame);
    const frame = samples.find(([n]) => n === 'CameraFrame')?.[1] as CameraFrame;
    expect(next.decode(current.encode(frame))).toEqual({ ...frame, exposureUs: 0 });
    expect(current.decode(next.encode({ ...frame, exposureUs: 8_000 }))).toEqual(frame);
  });

  it('rejects a writer schema the reader cannot resolve, naming both, every time', () => {
    const registry = new SchemaRegistry();
    const writer = createCodec(registry, { type: 'record', name: 'sensorfuse.Reading', fields: [{ name: 'value', type: 'string' }] });
    const reader = createCodec(registry, { type: 'record', name: 'sensorfuse.Reading', fields: [{ name: 'value', type: 'double' }] });
    const bytes = writer.encode({ value: 'hot' });
    for (let i = 0; i < 2; i++) {
      const e = catchError(() => reader.decode(bytes));
      expect(e).toBeInstanceOf(SchemaMismatchError);
      expect((e as Error).message).toContain(`(${writer.fingerprint}) cannot be read as sensorfuse.Reading (${reader.fingerprint})`);
    }
  });
});

describe('typed errors', () => {
  const registry = new SchemaRegistry();
  const frames = createCodec<CameraFrame>(registry, cameraFrameSchema);
  const frame = samples.find(([n]) => n === 'CameraFrame')?.[1] as CameraFrame;
  const good = frames.encode(frame);
  const blobs = createCodec<{ data: Buffer }>(registry, { type: 'record', name: 'Blob', fields: [{ name: 'data', type: 'bytes' }] });
  const counts = createCodec<{ values: number[] }>(registry, {
    type: 'record',
    name: 'Counts',
    fields: [{ name: 'values', type: { type: 'array', items: 'int' } }],
  });
  const nulls = createCodec<{ values: null[] }>(registry, {
    type: 'record',
    name: 'Nulls',
    fields: [{ name: 'values', type: { type: 'array', items: 'null' } }],
  });
  const header = (codec: { fingerprint: string }) => Buffer.from(blobs.encode({ data: Buffer.alloc(0) }).subarray(0, 2)).toString('hex') + Buffer.from(codec.fingerprint, 'hex').reverse().toString('hex');

  it('are poison-record errors: never retried', () => {
    const e = catchError(() => frames.decode(Buffer.from('hello world')));
    expect(e).toBeInstanceOf(CodecError);
    expect(e).toBeInstanceOf(PoisonRecordError);
    expect((e as PoisonRecordError).retriable).toBe(false);
  });

  it('NotSingleObjectError for a wrong marker, showing what was found', () => {
    const e = catchError(() => frames.decode(Buffer.from([0x7b, 0x22, 0x61, 0x22])));
    expect(e).toBeInstanceOf(NotSingleObjectError);
    expect((e as Error).message).toBe('not an Avro single-object record: expected marker c3 01, found 7b 22');
    expect((e as Error).name).toBe('NotSingleObjectError');
  });

  it('TruncatedRecordError for a cut header and for a cut body', () => {
    const head = catchError(() => frames.decode(good.subarray(0, 6)));
    expect(head).toBeInstanceOf(TruncatedRecordError);
    expect((head as Error).message).toBe('truncated record: single-object header needs 10 bytes, found 6');
    const body = catchError(() => frames.decode(good.subarray(0, good.length - 5)));
    expect(body).toBeInstanceOf(TruncatedRecordError);
    expect((body as Error).message).toMatch(/^truncated record: bytes of 24 bytes at byte \d+ needs \d+ bytes, found \d+$/);
  });

  it('TruncatedRecordError, not a 2 GB allocation, for a length prefix claiming 2^31 - 1 bytes', () => {
    // zig-zag varint of 2147483647: 0xfe 0xff 0xff 0xff 0x0f, followed by only 3 bytes.
    const bytes = Buffer.from(`${header(blobs)}feffffff0f010203`, 'hex');
    const e = catchError(() => blobs.decode(bytes));
    expect(e).toBeInstanceOf(TruncatedRecordError);
    expect((e as TruncatedRecordError).expectedBytes).toBe(15 + 2147483647);
    expect((e as TruncatedRecordError).foundBytes).toBe(18);
  });

  it('TruncatedRecordError for an array block claiming 2^30 items in 2 bytes', () => {
    const bytes = Buffer.from(`${header(counts)}808080800802 04`.replace(/ /g, ''), 'hex');
    expect(catchError(() => counts.decode(bytes))).toBeInstanceOf(TruncatedRecordError);
  });

  it('CorruptRecordError for 2^30 zero-size items, which no byte count bounds', () => {
    const bytes = Buffer.from(`${header(nulls)}808080800800`, 'hex');
    const e = catchError(() => nulls.decode(bytes));
    expect(e).toBeInstanceOf(CorruptRecordError);
    expect((e as Error).message).toContain('zero-size array items exceed');
  });

  it('UnknownFingerprintError names the fingerprint it does not know', () => {
    const other = createCodec(new SchemaRegistry(), lidarScanSchema);
    const e = catchError(() => frames.decode(other.encode(lidarScan(2))));
    expect(e).toBeInstanceOf(UnknownFingerprintError);
    expect((e as UnknownFingerprintError).fingerprint).toBe(other.fingerprint);
    expect((e as Error).message).toContain(`unknown writer schema fingerprint ${other.fingerprint}`);
  });

  it('SchemaMismatchError on encode names the field, what was expected and what was found', () => {
    const e = catchError(() => frames.encode({ ...frame, seq: 'seven' as unknown as number }));
    expect(e).toBeInstanceOf(SchemaMismatchError);
    expect((e as Error).message).toBe('value does not match sensorfuse.CameraFrame: seq: expected long, found "seven"');
    const missing = catchError(() => frames.encode({ ...frame, encoding: 'webp' as 'png' }));
    expect((missing as Error).message).toContain('encoding: expected enum sensorfuse.ImageEncoding, found "webp"');
    const float = catchError(() => frames.encode({ ...frame, width: 1.5 }));
    expect((float as Error).message).toContain('width: expected int, found 1.5');
  });

  it('CorruptRecordError for trailing bytes, a bad enum index and a bad union index', () => {
    const trailing = catchError(() => frames.decode(Buffer.concat([good, Buffer.from([0])])));
    expect(trailing).toBeInstanceOf(CorruptRecordError);
    expect((trailing as Error).message).toContain('1 trailing bytes after the record');

    const enumCodec = createCodec<{ e: string }>(registry, {
      type: 'record',
      name: 'E',
      fields: [{ name: 'e', type: { type: 'enum', name: 'Sym', symbols: ['a', 'b'] } }],
    });
    const badEnum = enumCodec.encode({ e: 'b' });
    badEnum[10] = 0x08; // index 4
    expect((catchError(() => enumCodec.decode(badEnum)) as Error).message).toContain('enum index 4 outside 0..1');

    const unionCodec = createCodec<{ u: number | null }>(registry, {
      type: 'record',
      name: 'U',
      fields: [{ name: 'u', type: ['null', 'int'] }],
    });
    const badUnion = unionCodec.encode({ u: 3 });
    badUnion[10] = 0x06; // index 3
    const e = catchError(() => unionCodec.decode(badUnion));
    expect(e).toBeInstanceOf(CorruptRecordError);
    expect((e as Error).message).toContain('union index 3 outside 0..1');
  });

  it('registers schemas idempotently and rejects an invalid schema with SchemaMismatchError', () => {
    const r = new SchemaRegistry();
    const fp = r.register(JSON.stringify(cameraFrameSchema));
    expect(r.register(cameraFrameSchema)).toBe(fp);
    expect(r.has(fp)).toBe(true);
    expect(r.get(fp)?.name).toBe('sensorfuse.CameraFrame');
    expect(r.register('long')).toBe(BigInt.asUintN(64, -3434872931120570953n).toString(16).padStart(16, '0'));
    expect(catchError(() => r.register({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] }))).toBeInstanceOf(
      SchemaMismatchError,
    );
    expect(avro.Type.isType(r.get(fp))).toBe(true);
  });
});
