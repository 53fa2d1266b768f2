import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncodedImage } from './decode.js';
import { ImageDecodeError, ImageDimensionError, ImageTooLargeError } from './errors.js';
import type { PreprocessOptions, PreprocessResult } from './preprocess.js';

type Reply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'load-error'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly result?: PreprocessResult; readonly error?: { name: string; message: string } };

interface Pending {
  readonly resolve: (r: PreprocessResult) => void;
  readonly reject: (e: Error) => void;
}

// The worker body is TypeScript when this file runs from the sources (tsx, vitest) and JavaScript
// from dist: a small eval'd bootstrap registers tsx in the worker first when it has to.
const BOOTSTRAP = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})().catch((e) => parentPort.postMessage({ kind: 'load-error', message: String((e && e.stack) || e) }));
`;

function typedError(e: { name: string; message: string }): Error {
  if (e.name === 'ImageDecodeError') return new ImageDecodeError(e.message);
  if (e.name === 'ImageDimensionError') return new ImageDimensionError(e.message);
  if (e.name === 'ImageTooLargeError') return new ImageTooLargeError(e.message);
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}

/**
 * Image pre-processing (decode, quality, denoise, letterbox, normalise) in its own worker thread,
 * so none of its CPU time blocks the caller's event loop. Requests are served in order; the typed
 * image errors (ImageDecodeError, ImageDimensionError, ImageTooLargeError) come back as themselves.
 * Hand a tensor back with `recycle` to let the worker refill it instead of allocating.
 */
export class ImagePreprocessor {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Tensors handed back for reuse: two suffice when one frame is in inference while the next is prepared. */
  private readonly spares: Float32Array[] = [];
  private closed: string | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: Reply) => {
      if (msg.kind !== 'result') return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (p === undefined) return;
      if (msg.result !== undefined) p.resolve(msg.result);
      else p.reject(typedError(msg.error ?? { name: 'Error', message: 'no result' }));
    });
    const fail = (reason: string): void => {
      if (this.closed !== undefined) return;
      this.closed = reason;
      for (const p of this.pending.values()) p.reject(new Error(`image pre-processing thread ${reason}`));
      this.pending.clear();
    };
    worker.on('error', (e: Error) => {
      fail(`crashed: ${e.message}`);
    });
    worker.on('exit', (code) => {
      fail(`exited with code ${String(code)}`);
    });
  }

  static async open(): Promise<ImagePreprocessor> {
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(fromSource ? './preprocess-worker.ts' : './preprocess-worker.js', import.meta.url).href;
    // tsx's ESM entry (its `import` export), found from its package.json: require.resolve would give the CJS one.
    const tsxApi = fromSource
      ? pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href
      : undefined;
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsxApi }, execArgv: fromSource ? ['--conditions=source'] : [] });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: Reply): void => {
        worker.off('message', onMessage);
        if (msg.kind === 'ready') resolve();
        else reject(new Error(`image pre-processing thread failed to start: ${msg.kind === 'load-error' ? msg.message : msg.kind}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new ImagePreprocessor(worker);
  }

  run(image: EncodedImage, options: PreprocessOptions): Promise<PreprocessResult> {
    if (this.closed !== undefined) return Promise.reject(new Error(`image pre-processing thread ${this.closed}`));
    const id = this.nextId++;
    const reuse = this.spares.pop();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A copy of the bytes only: a Buffer may be a view into a much larger (pooled or batch) buffer.
      const bytes = new Uint8Array(image.data);
      const wire: EncodedImage = { width: image.width, height: image.height, encoding: image.encoding, stride: image.stride, data: bytes };
      const transfer = [bytes.buffer, ...(reuse === undefined ? [] : [reuse.buffer as ArrayBuffer])];
      this.worker.postMessage({ kind: 'run', id, image: wire, options, reuse }, transfer);
    });
  }

  /** Give a result's tensor back once it is no longer needed; the next request refills it. */
  recycle(tensor: Float32Array): void {
    if (this.spares.length < 2 && tensor.byteOffset === 0 && tensor.byteLength === tensor.buffer.byteLength && !this.spares.includes(tensor)) this.spares.push(tensor);
  }

  async close(): Promise<void> {
    if (this.closed !== undefined) return;
    this.closed = 'closed by the owner';
    for (const p of this.pending.values()) p.reject(new Error('image pre-processing thread closed by the owner'));
    this.pending.clear();
    await this.worker.terminate();
  }
}
