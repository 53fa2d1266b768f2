/**
 * Typed-array buffers reused from one sweep to the next. A 120k-point sweep needs ~10 MB of
 * intermediate arrays; allocating them per sweep makes garbage whose collection shows up in the
 * chain's p99. A step asks for a named buffer of n elements and gets a view of exactly n elements
 * over a backing store that only grows. Contents are NOT cleared: a step initialises what it reads.
 *
 * Ownership: whoever creates a Scratch owns it; a view is valid until the same name is requested
 * again. Never hand a scratch view to a caller as a result (results are fresh arrays).
 */
export class Scratch {
  private readonly f32s = new Map<string, Float32Array>();
  private readonly f64s = new Map<string, Float64Array>();
  private readonly i32s = new Map<string, Int32Array>();
  private readonly u32s = new Map<string, Uint32Array>();
  private readonly u8s = new Map<string, Uint8Array>();

  f32(name: string, n: number): Float32Array {
    let a = this.f32s.get(name);
    if (!a || a.length < n) this.f32s.set(name, (a = new Float32Array(grow(a?.length ?? 0, n))));
    return a.subarray(0, n);
  }

  f64(name: string, n: number): Float64Array {
    let a = this.f64s.get(name);
    if (!a || a.length < n) this.f64s.set(name, (a = new Float64Array(grow(a?.length ?? 0, n))));
    return a.subarray(0, n);
  }

  i32(name: string, n: number): Int32Array {
    let a = this.i32s.get(name);
    if (!a || a.length < n) this.i32s.set(name, (a = new Int32Array(grow(a?.length ?? 0, n))));
    return a.subarray(0, n);
  }

  u32(name: string, n: number): Uint32Array {
    let a = this.u32s.get(name);
    if (!a || a.length < n) this.u32s.set(name, (a = new Uint32Array(grow(a?.length ?? 0, n))));
    return a.subarray(0, n);
  }

  u8(name: string, n: number): Uint8Array {
    let a = this.u8s.get(name);
    if (!a || a.length < n) this.u8s.set(name, (a = new Uint8Array(grow(a?.length ?? 0, n))));
    return a.subarray(0, n);
  }

  /** Bytes held (for telemetry and tests). */
  get byteLength(): number {
    let b = 0;
    for (const m of [this.f32s, this.f64s, this.i32s, this.u32s, this.u8s]) for (const a of m.values()) b += a.byteLength;
    return b;
  }
}

/** Grow by at least 1.5× so a slowly growing sweep size does not reallocate every time. */
function grow(have: number, need: number): number {
  return Math.max(need, Math.ceil(have * 1.5));
}
