import avro from 'avsc';

/** The part of avsc's internal Tap (its read cursor) that reading bytes needs. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
}

/**
 * avsc's `bytes` reader allocates with Buffer.alloc (zero-filled) and then copies: two passes over
 * a 1.9 MB point cloud. This one allocates uninitialised memory and copies once, which keeps
 * decoding at one copy of the payload. The result is a Buffer that owns its memory, independent
 * of the input. It relies on avsc 5's internal `_read(tap)` hook (pinned by the ^5.7 range).
 */
class CopyOnceBytesType extends avro.types.BytesType {
  _read(tap: Tap): Buffer | undefined {
    const len = tap.readLong();
    const start = tap.pos;
    const end = start + len;
    if (len < 0 || end > tap.buf.length) {
      tap.pos = tap.buf.length + 1; // avsc's way of marking the tap invalid
      return undefined;
    }
    tap.pos = end;
    const out = Buffer.allocUnsafe(len);
    tap.buf.copy(out, 0, start, end);
    return out;
  }
}

/**
 * Zero-copy reader: the result is a view into the input. Nothing is copied, but the decoded
 * record keeps the whole input buffer alive and sees any later change to it.
 */
class ViewBytesType extends avro.types.BytesType {
  _read(tap: Tap): Buffer | undefined {
    const len = tap.readLong();
    const start = tap.pos;
    const end = start + len;
    if (len < 0 || end > tap.buf.length) {
      tap.pos = tap.buf.length + 1;
      return undefined;
    }
    tap.pos = end;
    return tap.buf.subarray(start, end);
  }
}

/** How decoded `bytes` fields relate to the input: an owned copy (default) or a view into it. */
export type BytesMode = 'copy' | 'view';

function isPlainBytes(schema: unknown): boolean {
  return (
    typeof schema === 'object' &&
    schema !== null &&
    (schema as { type?: unknown }).type === 'bytes' &&
    (schema as { logicalType?: unknown }).logicalType === undefined
  );
}

/** avsc typeHook: plain `bytes` (no logical type) gets the copy-once or the view reader. */
export function bytesHook(mode: BytesMode): (schema: unknown) => avro.Type | undefined {
  return (schema) => {
    if (!isPlainBytes(schema)) return undefined;
    return mode === 'view' ? new ViewBytesType() : new CopyOnceBytesType();
  };
}
