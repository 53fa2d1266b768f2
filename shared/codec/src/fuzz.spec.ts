import fc from 'fast-check';
import { schemasByName } from '@sensorfuse/schemas';
import { describe, it } from 'vitest';
import { CodecError, createCodec, SchemaRegistry, type Codec } from './index.js';
import { lidarScan, samples } from './samples.spec-helper.js';

/**
 * The decoder's contract under hostile input: every input yields a value valid for the reader
 * schema or one of the codec's typed errors. No other exception, no hang, no huge allocation
 * (length prefixes are checked against the bytes present before avsc reads them).
 */
const registry = new SchemaRegistry();
const pool: { codec: Codec<unknown>; bytes: Buffer }[] = [
  ...samples.map(([name, value]) => {
    const codec = createCodec<unknown>(registry, schemasByName[name]);
    return { codec, bytes: codec.encode(value) };
  }),
  (() => {
    const codec = createCodec<unknown>(registry, schemasByName.LidarScan);
    return { codec, bytes: codec.encode(lidarScan(3)) };
  })(),
];
const codecs = pool.map((p) => p.codec);

/** Zig-zag varint of a (possibly huge) integer, the way a corrupted length prefix looks. */
function varint(value: number): number[] {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'splice'; at: number; other: number; from: number; count: number }
  | { kind: 'varint'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    other: fc.nat({ max: pool.length - 1 }),
    from: fc.nat(),
    count: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    kind: fc.constant('varint' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 30, 2 ** 53, -(2 ** 53), -1, -(2 ** 31), 0, 1e6),
      fc.integer(),
    ),
  }),
);

function mutate(input: Buffer, m: Mutation): Buffer {
  const at = m.at % (input.length + 1);
  switch (m.kind) {
    case 'truncate':
      return input.subarray(0, at);
    case 'flip': {
      if (input.length === 0) return input;
      const out = Buffer.from(input);
      const i = at % input.length;
      out[i] = (out[i] ?? 0) ^ m.mask;
      return out;
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), m.bytes, input.subarray(at)]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.count)]);
    case 'splice': {
      const other = pool[m.other]?.bytes ?? input;
      const from = m.from % other.length;
      return Buffer.concat([input.subarray(0, at), other.subarray(from, from + m.count), input.subarray(at)]);
    }
    case 'varint': {
      const out = Buffer.from(input);
      Buffer.from(varint(m.value)).copy(out, Math.min(at, out.length));
      return out;
    }
  }
}

/** Decodes; a result must re-encode (it is valid for the schema), a failure must be a CodecError. */
function decodeOnlyValueOrTypedError(codec: Codec<unknown>, bytes: Uint8Array): void {
  let value: unknown;
  try {
    value = codec.decode(bytes);
  } catch (e) {
    // A plain check, not expect(): this runs 110 000 times and expect() would dominate the run time.
    if (!(e instanceof CodecError)) throw e;
    return;
  }
  codec.encode(value);
}

describe('codec fuzz: random and mutated input yields a value or a typed error', () => {
  it('70 000 mutated valid encodings (truncate, flip, insert, delete, splice, huge varints)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: pool.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (index, mutations) => {
          const base = pool[index];
          if (!base) return;
          const bytes = mutations.reduce(mutate, base.bytes);
          decodeOnlyValueOrTypedError(base.codec, bytes);
        },
      ),
      { numRuns: 70_000 },
    );
  });

  it('20 000 bodies of random bytes behind a valid header', () => {
    fc.assert(
      fc.property(fc.nat({ max: pool.length - 1 }), fc.uint8Array({ maxLength: 96 }), (index, body) => {
        const base = pool[index];
        if (!base) return;
        decodeOnlyValueOrTypedError(base.codec, Buffer.concat([base.bytes.subarray(0, 10), body]));
      }),
      { numRuns: 20_000 },
    );
  });

  it('20 000 arbitrary byte strings, decoded by every kind of reader', () => {
    fc.assert(
      fc.property(fc.nat({ max: codecs.length - 1 }), fc.uint8Array({ maxLength: 64 }), (index, bytes) => {
        const codec = codecs[index];
        if (codec) decodeOnlyValueOrTypedError(codec, bytes);
      }),
      { numRuns: 20_000 },
    );
  });
});
