/**
 * Body of the ImagePreprocessor worker thread: runs preprocessFrame for each request and transfers
 * the tensor back. Errors travel as { name, message } and are re-created as the same typed errors
 * on the caller's side.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import type { EncodedImage } from './decode.js';
import { preprocessFrame, type PreprocessOptions } from './preprocess.js';

interface Request {
  readonly kind: 'run';
  readonly id: number;
  readonly image: EncodedImage;
  readonly options: PreprocessOptions;
  /** A tensor buffer handed back by the caller for reuse (transferred), if its size fits. */
  readonly reuse?: Float32Array;
}

// Every frame is new bytes: libvips' operation cache only costs time and memory here.
sharp.cache(false);

const port = parentPort;
if (port === null) throw new Error('preprocess-worker must run in a worker thread');
port.on('message', (msg: Request | { kind: 'close' }) => {
  if (msg.kind === 'close') {
    port.close();
    return;
  }
  const size = 3 * msg.options.width * msg.options.height;
  const out = msg.reuse?.length === size ? msg.reuse : new Float32Array(size);
  preprocessFrame(msg.image, msg.options, out).then(
    (result) => {
      port.postMessage({ kind: 'result', id: msg.id, result }, [result.tensor.buffer as ArrayBuffer]);
    },
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ kind: 'result', id: msg.id, error: { name: e.name, message: e.message } });
    },
  );
});
port.postMessage({ kind: 'ready' });
