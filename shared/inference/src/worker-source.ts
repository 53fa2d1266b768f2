/**
 * The session worker, kept as plain JavaScript evaluated by `new Worker(source, { eval: true })`:
 * the same code then runs from the TypeScript sources (vitest, tsx) and from dist, with no loader in
 * the worker. onnxruntime-node is required by the absolute path the pool resolved, so this file is
 * the only place that loads the native library. Input tensors are allocated once per (name, type,
 * dims) and refilled for every request (runTransfer: the transferred input buffers are fed as they
 * are and transferred back); outputs are copied once and transferred, not cloned.
 */
export const SESSION_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, bool: Uint8Array, int8: Int8Array };
function sameDims(a, b) { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; }
function info(names, meta) {
  return names.map((name, i) => {
    const m = meta && meta[i];
    return { name, type: m && m.isTensor ? m.type : 'unknown', shape: m && m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : String(d))) : [] };
  });
}
(async () => {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.modelPath, {
      intraOpNumThreads: workerData.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: workerData.graphOptimizationLevel,
    });
  } catch (e) {
    parentPort.postMessage({ kind: 'load-error', message: String((e && e.message) || e) });
    return;
  }
  parentPort.postMessage({ kind: 'ready', inputs: info(session.inputNames, session.inputMetadata), outputs: info(session.outputNames, session.outputMetadata) });
  const cache = new Map();
  parentPort.on('message', async (msg) => {
    if (msg.kind === 'close') {
      try { await session.release(); } catch {}
      parentPort.postMessage({ kind: 'closed' });
      return;
    }
    try {
      const feeds = {};
      for (const f of msg.feeds) {
        if (msg.transfer) {
          // The caller's buffer itself (transferred here), no refill; it goes back with the result.
          feeds[f.name] = new ort.Tensor(f.type, f.data, f.dims);
          continue;
        }
        let t = cache.get(f.name);
        if (t === undefined || t.type !== f.type || !sameDims(t.dims, f.dims)) {
          t = new ort.Tensor(f.type, new ARRAYS[f.type](f.data.length), f.dims);
          cache.set(f.name, t);
        }
        t.data.set(f.data);
        feeds[f.name] = t;
      }
      const out = await session.run(feeds);
      const outputs = [];
      const transfer = [];
      for (const name of session.outputNames) {
        const t = out[name];
        const data = t.data.slice();
        outputs.push({ name, type: t.type, dims: Array.from(t.dims), data });
        transfer.push(data.buffer);
      }
      const inputs = msg.transfer ? msg.feeds : undefined;
      if (inputs) for (const f of inputs) transfer.push(f.data.buffer);
      parentPort.postMessage({ kind: 'result', id: msg.id, outputs, inputs }, transfer);
    } catch (e) {
      parentPort.postMessage({ kind: 'result', id: msg.id, error: String((e && e.message) || e) });
    }
  });
})();
`;
