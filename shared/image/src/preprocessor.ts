import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncodedImage } from './decode.js';
import { ImageDecodeError, ImageDimensionError, ImageTooLargeError, PreprocessorCrashedError } from './errors.js';
import type { PreprocessOptions, PreprocessResult } from './preprocess.js';
import type { FrameTag } from './quality-schedule.js';

type Reply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'load-error'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly result?: PreprocessResult; readonly error?: { name: string; message: string } };

interface Pending {
  readonly resolve: (r: PreprocessResult) => void;
  readonly reject: (e: Error) => void;
}

export interface ImagePreprocessorOptions {
  /** Wait before the first restart after a crash, ms; doubled for each crash in a row (default 50). */
  readonly restartDelayMs?: number;
  /** Longest wait between restarts, ms (default 5000). */
  readonly maxRestartDelayMs?: number;
  /** Told about every crash of the thread (the reason) before it is restarted. */
  readonly onCrash?: (reason: string, restarts: number) => void;
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

/** Start the pre-processing thread and wait until it has loaded its module. */
async function startThread(): Promise<Worker> {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './preprocess-worker.ts' : './preprocess-worker.js', import.meta.url).href;
  // tsx's ESM entry (its `import` export), found from its package.json: require.resolve would give the CJS one.
  const tsxApi = fromSource
    ? pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href
    : undefined;
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsxApi }, execArgv: fromSource ? ['--conditions=source'] : [] });
  try {
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: Reply): void => {
        worker.off('message', onMessage);
        if (msg.kind === 'ready') resolve();
        else reject(new Error(`image pre-processing thread failed to start: ${msg.kind === 'load-error' ? msg.message : msg.kind}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => {
        reject(new Error(`image pre-processing thread exited with code ${String(code)} while starting`));
      });
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  return worker;
}

/**
 * Image pre-processing (decode, quality, denoise, letterbox, normalise) in its own worker thread,
 * so none of its CPU time blocks the caller's event loop. Requests are served in order; the typed
 * image errors (ImageDecodeError, ImageDimensionError, ImageTooLargeError) come back as themselves.
 * Hand a tensor back with `recycle` to let the worker refill it instead of allocating.
 *
 * A thread that crashes or exits is restarted: the requests it held reject with
 * PreprocessorCrashedError, later requests wait for the new thread (after `restartDelayMs`, doubled
 * for each crash that follows a crash with no request served in between, up to `maxRestartDelayMs`),
 * and `restarts` counts the restarts. The quality cadence (the last report of each camera) lives in the
 * thread, so the first frame of each camera after a restart is measured again.
 */
export class ImagePreprocessor {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Tensors handed back for reuse: two suffice when one frame is in inference while the next is prepared. */
  private readonly spares: Float32Array[] = [];
  private closed: string | undefined;
  private worker: Worker | undefined;
  /** Resolves with the running thread (pending while a crashed one is being restarted). */
  private current: Promise<Worker>;
  private crashesInARow = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Times the thread was restarted after a crash or an exit. */
  restarts = 0;

  private constructor(
    worker: Worker,
    private readonly o: ImagePreprocessorOptions,
  ) {
    this.current = Promise.resolve(worker);
    this.attach(worker);
  }

  static async open(options: ImagePreprocessorOptions = {}): Promise<ImagePreprocessor> {
    return new ImagePreprocessor(await startThread(), options);
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    worker.on('message', (msg: Reply) => {
      if (msg.kind !== 'result') return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (p === undefined) return;
      this.crashesInARow = 0;
      if (msg.result !== undefined) p.resolve(msg.result);
      else p.reject(typedError(msg.error ?? { name: 'Error', message: 'no result' }));
    });
    let gone = false;
    const fail = (reason: string, cause?: unknown): void => {
      if (gone || this.worker !== worker) return;
      gone = true;
      this.worker = undefined;
      if (this.closed !== undefined) return;
      for (const p of this.pending.values()) p.reject(new PreprocessorCrashedError(`image pre-processing thread ${reason} while it held this frame`, { reason }, cause));
      this.pending.clear();
      this.o.onCrash?.(reason, this.restarts);
      this.restart();
    };
    worker.on('error', (e: Error) => {
      fail(`crashed: ${e.message}`, e);
    });
    worker.on('exit', (code) => {
      fail(`exited with code ${String(code)}`);
    });
  }

  /** A new thread after the back-off; requests made meanwhile wait for it (or reject if it cannot start). */
  private restart(): void {
    const base = this.o.restartDelayMs ?? 50;
    const delay = Math.min(this.o.maxRestartDelayMs ?? 5000, base * 2 ** this.crashesInARow);
    this.crashesInARow++;
    this.current = new Promise<Worker>((resolve, reject) => {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.closed !== undefined) {
          reject(new Error(`image pre-processing thread ${this.closed}`));
          return;
        }
        startThread().then(
          (worker) => {
            if (this.closed !== undefined) {
              void worker.terminate();
              reject(new Error(`image pre-processing thread ${this.closed}`));
              return;
            }
            this.restarts++;
            this.attach(worker);
            resolve(worker);
          },
          (error: unknown) => {
            reject(new PreprocessorCrashedError(`image pre-processing thread could not be restarted: ${error instanceof Error ? error.message : String(error)}`, {}, error));
            if (this.closed === undefined) this.restart();
          },
        );
      }, delay);
    });
    this.current.catch(() => undefined);
  }

  /**
   * Pre-process one frame in the thread. `at.frame` (camera and capture time) lets the thread reuse
   * the camera's last quality report per `options.quality.everyFrames` / `maxAgeUs`; without it the
   * quality is measured on every frame. (`at` may carry more, e.g. the record's bus position.)
   */
  run(image: EncodedImage, options: PreprocessOptions, at?: { readonly frame?: FrameTag }): Promise<PreprocessResult> {
    const frame = at?.frame;
    if (this.closed !== undefined) return Promise.reject(new Error(`image pre-processing thread ${this.closed}`));
    // A copy of the bytes only: a Buffer may be a view into a much larger (pooled or batch) buffer.
    const bytes = new Uint8Array(image.data);
    const wire: EncodedImage = { width: image.width, height: image.height, encoding: image.encoding, stride: image.stride, data: bytes };
    const tag = frame === undefined ? undefined : { camera: frame.camera, timeUs: frame.timeUs };
    const post = (worker: Worker): Promise<PreprocessResult> =>
      new Promise((resolve, reject) => {
        if (this.closed !== undefined) {
          reject(new Error(`image pre-processing thread ${this.closed}`));
          return;
        }
        const id = this.nextId++;
        this.pending.set(id, { resolve, reject });
        const reuse = this.spares.pop();
        const transfer = [bytes.buffer, ...(reuse === undefined ? [] : [reuse.buffer as ArrayBuffer])];
        worker.postMessage({ kind: 'run', id, image: wire, options, reuse, frame: tag }, transfer);
      });
    // The running thread takes it at once (in order); while one is restarted, requests wait in order.
    const worker = this.worker;
    return worker !== undefined ? post(worker) : this.current.then(post);
  }

  /** Give a result's tensor back once it is no longer needed; the next request refills it. */
  recycle(tensor: Float32Array): void {
    if (this.spares.length < 2 && tensor.byteOffset === 0 && tensor.byteLength === tensor.buffer.byteLength && tensor.byteLength > 0 && !this.spares.includes(tensor)) this.spares.push(tensor);
  }

  /**
   * End the thread abruptly, as a crash would (it exits with code 1 between two requests, or at
   * once if it is busy in native code it finishes that first): for tests and fault drills of the restart.
   */
  kill(): void {
    this.worker?.postMessage({ kind: 'exit' });
  }

  async close(): Promise<void> {
    if (this.closed !== undefined) return;
    this.closed = 'closed by the owner';
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    for (const p of this.pending.values()) p.reject(new Error('image pre-processing thread closed by the owner'));
    this.pending.clear();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
