import type avro from 'avsc';
import { CorruptRecordError, TruncatedRecordError } from './errors.js';

/**
 * A pre-pass over the writer schema that checks every length prefix, block count, union and enum
 * index against the bytes actually present, before avsc decodes anything. avsc trusts its input:
 * a mutated array count of 2^31 makes it loop and allocate for minutes, and negative lengths
 * move its cursor backwards. After this pass the body is known to be well-formed, so decoding
 * allocates at most what the input holds. It reads no payload bytes, only the structure.
 */
interface Cursor {
  readonly buf: Uint8Array;
  pos: number;
  depth: number;
}

type Walk = (c: Cursor) => void;

/** Deepest nesting accepted, a guard for recursive schemas against stack exhaustion. */
const MAX_DEPTH = 64;
/** Cap on items of zero encoded size (e.g. array<null>), which a byte count cannot bound. */
const MAX_ZERO_SIZE_ITEMS = 1 << 16;

function truncated(c: Cursor, need: number, what: string): never {
  throw new TruncatedRecordError(c.pos + need, c.buf.length, `${what} at byte ${c.pos}`);
}

function corrupt(c: Cursor, message: string): never {
  throw new CorruptRecordError(`corrupt record at byte ${c.pos}: ${message}`, {
    context: { bytePosition: c.pos },
  });
}

/** Zig-zag varint as a double (exact up to 2^53, which is all a length check needs). */
function readVarint(c: Cursor, what: string): number {
  const { buf } = c;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= buf.length) truncated(c, 1, what);
    const byte = buf[c.pos++] ?? 0;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    scale *= 128;
  }
  return corrupt(c, `${what} is a varint longer than 10 bytes`);
}

function need(c: Cursor, bytes: number, what: string): void {
  if (bytes > c.buf.length - c.pos) truncated(c, bytes, what);
}

function readLength(c: Cursor, what: string): number {
  const len = readVarint(c, `${what} length`);
  if (len < 0) corrupt(c, `${what} length is negative (${len})`);
  need(c, len, `${what} of ${len} bytes`);
  return len;
}

/** Smallest number of bytes a value of the type can occupy (0 only for null-like types). */
function minSize(type: avro.Type, seen: Set<avro.Type>): number {
  const t = type as AnyType;
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t.size ?? 0;
    case 'record':
    case 'error': {
      if (seen.has(type)) return 0;
      seen.add(type);
      let sum = 0;
      for (const f of t.fields ?? []) sum += minSize(f.type, seen);
      seen.delete(type);
      return sum;
    }
    default:
      if (t.typeName.startsWith('logical:') && t.underlyingType) return minSize(t.underlyingType, seen);
      // boolean, int, long, enum, bytes, string, array, map, union all take at least one byte.
      return 1;
  }
}

interface AnyType {
  readonly typeName: string;
  readonly size?: number;
  readonly symbols?: readonly string[];
  readonly fields?: readonly { readonly name: string; readonly type: avro.Type }[];
  readonly itemsType?: avro.Type;
  readonly valuesType?: avro.Type;
  readonly types?: readonly avro.Type[];
  readonly underlyingType?: avro.Type;
}

function compile(type: avro.Type, memo: Map<avro.Type, Walk>): Walk {
  const cached = memo.get(type);
  if (cached) return cached;
  const t = type as AnyType;
  let walk: Walk;
  switch (t.typeName) {
    case 'null':
      walk = () => undefined;
      break;
    case 'boolean':
      walk = (c) => {
        need(c, 1, 'boolean');
        const b = c.buf[c.pos];
        if (b !== 0 && b !== 1) corrupt(c, `boolean must be 0 or 1, found ${b}`);
        c.pos++;
      };
      break;
    case 'int':
      walk = (c) => {
        const value = readVarint(c, 'int');
        if (value < -0x80000000 || value > 0x7fffffff) corrupt(c, `int ${value} outside 32 bits`);
      };
      break;
    case 'long':
      walk = (c) => void readVarint(c, 'long');
      break;
    case 'float':
      walk = (c) => {
        need(c, 4, 'float');
        c.pos += 4;
      };
      break;
    case 'double':
      walk = (c) => {
        need(c, 8, 'double');
        c.pos += 8;
      };
      break;
    case 'bytes':
    case 'string':
      walk = (c) => {
        const len = readLength(c, t.typeName); // read before adding: `c.pos += f()` would lose f's advance
        c.pos += len;
      };
      break;
    case 'fixed': {
      const size = t.size ?? 0;
      walk = (c) => {
        need(c, size, `fixed(${size})`);
        c.pos += size;
      };
      break;
    }
    case 'enum': {
      const count = t.symbols?.length ?? 0;
      walk = (c) => {
        const index = readVarint(c, 'enum index');
        if (index < 0 || index >= count) corrupt(c, `enum index ${index} outside 0..${count - 1}`);
      };
      break;
    }
    case 'record':
    case 'error': {
      const fields: Walk[] = [];
      walk = (c) => {
        if (++c.depth > MAX_DEPTH) corrupt(c, `nesting deeper than ${MAX_DEPTH}`);
        for (const f of fields) f(c);
        c.depth--;
      };
      memo.set(type, walk); // before the fields, so recursive schemas terminate
      for (const f of t.fields ?? []) fields.push(compile(f.type, memo));
      return walk;
    }
    case 'array':
    case 'map': {
      const isMap = t.typeName === 'map';
      const itemType = (isMap ? t.valuesType : t.itemsType) as avro.Type;
      const item = compile(itemType, memo);
      const key = isMap ? compile(stringType(), memo) : undefined;
      const itemMin = minSize(itemType, new Set()) + (isMap ? 1 : 0);
      walk = (c) => {
        let total = 0;
        for (;;) {
          let n = readVarint(c, `${t.typeName} block count`);
          if (n === 0) return;
          if (n < 0) {
            n = -n;
            readLength(c, `${t.typeName} block`);
          }
          total += n;
          if (itemMin > 0) {
            need(c, n * itemMin, `${t.typeName} block of ${n} items`);
          } else if (total > MAX_ZERO_SIZE_ITEMS) {
            corrupt(c, `${total} zero-size ${t.typeName} items exceed ${MAX_ZERO_SIZE_ITEMS}`);
          }
          for (let i = 0; i < n; i++) {
            if (key) key(c);
            item(c);
          }
        }
      };
      break;
    }
    default: {
      if (t.types) {
        const branches: Walk[] = [];
        walk = (c) => {
          const index = readVarint(c, 'union index');
          const branch = branches[index];
          if (!branch) corrupt(c, `union index ${index} outside 0..${branches.length - 1}`);
          branch(c);
        };
        memo.set(type, walk);
        for (const b of t.types) branches.push(compile(b, memo));
        return walk;
      }
      if (t.underlyingType) {
        walk = compile(t.underlyingType, memo);
        break;
      }
      throw new Error(`bounds check: unsupported Avro type ${t.typeName}`);
    }
  }
  memo.set(type, walk);
  return walk;
}

let stringTypeCache: avro.Type | undefined;
function stringType(): avro.Type {
  stringTypeCache ??= { typeName: 'string' } as unknown as avro.Type;
  return stringTypeCache;
}

/** Compiled checker for one writer schema: returns normally iff bytes[start..] is exactly one value. */
export type BoundsCheck = (bytes: Uint8Array, start: number) => void;

export function compileBoundsCheck(writer: avro.Type): BoundsCheck {
  const walk = compile(writer, new Map());
  return (buf, start) => {
    const c: Cursor = { buf, pos: start, depth: 0 };
    walk(c);
    if (c.pos !== buf.length) {
      corrupt(c, `${buf.length - c.pos} trailing bytes after the record`);
    }
  };
}
