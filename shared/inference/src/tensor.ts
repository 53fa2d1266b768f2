/** Element types the pool accepts and returns (onnxruntime names). */
export type TensorElementType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool';

export type TensorArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** A dense tensor: row-major data and its dims. */
export interface TensorData {
  readonly type: TensorElementType;
  readonly dims: readonly number[];
  readonly data: TensorArray;
}

export type TensorMap = Readonly<Record<string, TensorData>>;

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Which typed array holds each element type (bool travels as Uint8Array, as onnxruntime does). */
export function arrayMatchesType(type: TensorElementType, data: TensorArray): boolean {
  switch (type) {
    case 'float32':
      return data instanceof Float32Array;
    case 'float64':
      return data instanceof Float64Array;
    case 'int32':
      return data instanceof Int32Array;
    case 'int64':
      return data instanceof BigInt64Array;
    case 'uint8':
    case 'bool':
      return data instanceof Uint8Array;
    case 'int8':
      return data instanceof Int8Array;
  }
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): TensorData {
  return { type: 'float32', dims, data };
}

export function int64Scalar(value: number): TensorData {
  return { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(value)) };
}
