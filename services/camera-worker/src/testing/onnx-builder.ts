/**
 * A minimal ONNX (protobuf) writer for test fixtures and benchmarks, so tests build their own
 * models with known outputs instead of shipping binaries. Covers what the fixtures use:
 * float32/int64 initializers, nodes with int/ints/float attributes, fixed or named dims.
 */
import { seededRandom } from '@sensorfuse/random';

type Bytes = number[];

function varint(out: Bytes, value: number | bigint): void {
  let v = BigInt.asUintN(64, BigInt(value));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}
function key(out: Bytes, field: number, wire: number): void {
  varint(out, (field << 3) | wire);
}
function int(out: Bytes, field: number, value: number): void {
  key(out, field, 0);
  varint(out, value);
}
function bytes(out: Bytes, field: number, value: Uint8Array | Bytes): void {
  key(out, field, 2);
  varint(out, value.length);
  for (const b of value) out.push(b);
}
function str(out: Bytes, field: number, value: string): void {
  bytes(out, field, new TextEncoder().encode(value));
}
function msg(out: Bytes, field: number, build: (o: Bytes) => void): void {
  const inner: Bytes = [];
  build(inner);
  bytes(out, field, inner);
}

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}
export type OnnxAttribute = number | readonly number[] | { readonly float: number };
export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}
export interface OnnxValue {
  readonly name: string;
  readonly dims: readonly (number | string)[];
}
export interface OnnxGraph {
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly opset?: number;
}

function tensor(o: Bytes, t: OnnxTensor): void {
  for (const d of t.dims) int(o, 1, d);
  int(o, 2, t.data instanceof Float32Array ? 1 : 7);
  str(o, 8, t.name);
  bytes(o, 9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function valueInfo(o: Bytes, v: OnnxValue): void {
  str(o, 1, v.name);
  msg(o, 2, (type) => {
    msg(type, 1, (tt) => {
      int(tt, 1, 1); // float32
      msg(tt, 2, (shape) => {
        for (const d of v.dims) {
          msg(shape, 1, (dim) => {
            if (typeof d === 'number') int(dim, 1, d);
            else str(dim, 2, d);
          });
        }
      });
    });
  });
}

/** Serialise a graph to ONNX model bytes (IR version 8, default opset 17). */
export function buildOnnxModel(g: OnnxGraph): Uint8Array {
  const model: Bytes = [];
  int(model, 1, 8);
  str(model, 2, 'sensorfuse-test');
  msg(model, 7, (graph) => {
    g.nodes.forEach((n, i) => {
      msg(graph, 1, (node) => {
        for (const x of n.inputs) str(node, 1, x);
        for (const x of n.outputs) str(node, 2, x);
        str(node, 3, `n${String(i)}`);
        str(node, 4, n.op);
        for (const [name, a] of Object.entries(n.attributes ?? {})) {
          msg(node, 5, (attr) => {
            str(attr, 1, name);
            if (typeof a === 'number') {
              int(attr, 3, a);
              int(attr, 20, 2);
            } else if ('float' in a) {
              key(attr, 2, 5);
              const f = new Uint8Array(new Float32Array([a.float]).buffer);
              for (const b of f) attr.push(b);
              int(attr, 20, 1);
            } else {
              for (const v of a) int(attr, 8, v);
              int(attr, 20, 7);
            }
          });
        }
      });
    });
    str(graph, 2, 'g');
    for (const t of g.initializers) msg(graph, 5, (o) => { tensor(o, t); });
    for (const v of g.inputs) msg(graph, 11, (o) => { valueInfo(o, v); });
    for (const v of g.outputs) msg(graph, 12, (o) => { valueInfo(o, v); });
  });
  msg(model, 8, (op) => {
    str(op, 1, '');
    int(op, 2, g.opset ?? 17);
  });
  return Uint8Array.from(model);
}

/**
 * A model that ignores its image (multiplies its mean by zero) and always returns `output`:
 * known-answer fixtures for the output decoders, run through the real onnxruntime pool.
 */
export function constantDetectorModel(inputWidth: number, inputHeight: number, output: OnnxTensor): Uint8Array {
  return buildOnnxModel({
    inputs: [{ name: 'images', dims: [1, 3, inputHeight, inputWidth] }],
    outputs: [{ name: output.name, dims: [...output.dims] }],
    initializers: [
      { name: 'known', dims: output.dims, data: output.data },
      { name: 'zero', dims: [], data: Float32Array.of(0) },
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['images'], outputs: ['m'], attributes: { keepdims: 0 } },
      { op: 'Mul', inputs: ['m', 'zero'], outputs: ['z'] },
      { op: 'Add', inputs: ['known', 'z'], outputs: [output.name] },
    ],
  });
}

/** Seeded uniform weights in [-a, a] (mulberry32). */
function weights(n: number, fanIn: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const a = Math.sqrt(6 / fanIn);
  return Float32Array.from({ length: n }, () => random() * 2 * a - a);
}

/**
 * A YOLO-shaped convolutional detector with seeded random weights: three stride-2 3x3 convs
 * (16, 32, 64 channels) and a 1x1 head giving `[1, 4+C, (H/8)(W/8)]`. Its boxes mean nothing;
 * it costs what a tiny real detector costs, for benchmarks and plumbing tests.
 */
export function randomYoloModel(inputWidth: number, inputHeight: number, numClasses: number, seed = 1): Uint8Array {
  const channels = [3, 16, 32, 64];
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let x = 'images';
  for (let i = 0; i < 3; i++) {
    const cin = channels[i] ?? 0;
    const cout = channels[i + 1] ?? 0;
    initializers.push({ name: `w${String(i)}`, dims: [cout, cin, 3, 3], data: weights(cout * cin * 9, cin * 9, seed + i) });
    initializers.push({ name: `b${String(i)}`, dims: [cout], data: new Float32Array(cout) });
    nodes.push({ op: 'Conv', inputs: [x, `w${String(i)}`, `b${String(i)}`], outputs: [`c${String(i)}`], attributes: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
    nodes.push({ op: 'Relu', inputs: [`c${String(i)}`], outputs: [`r${String(i)}`] });
    x = `r${String(i)}`;
  }
  const out = 4 + numClasses;
  initializers.push({ name: 'wh', dims: [out, 64, 1, 1], data: weights(out * 64, 64, seed + 9) });
  initializers.push({ name: 'bh', dims: [out], data: new Float32Array(out) });
  initializers.push({ name: 'shape', dims: [3], data: BigInt64Array.of(1n, BigInt(out), -1n) });
  nodes.push({ op: 'Conv', inputs: [x, 'wh', 'bh'], outputs: ['head'], attributes: { kernel_shape: [1, 1] } });
  nodes.push({ op: 'Reshape', inputs: ['head', 'shape'], outputs: ['output0'] });
  const n = Math.ceil(inputWidth / 8) * Math.ceil(inputHeight / 8);
  return buildOnnxModel({
    inputs: [{ name: 'images', dims: [1, 3, inputHeight, inputWidth] }],
    outputs: [{ name: 'output0', dims: [1, out, n] }],
    nodes,
    initializers,
  });
}
