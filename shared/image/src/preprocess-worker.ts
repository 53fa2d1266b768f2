/**
 * Body of the ImagePreprocessor worker thread: runs preprocessFrame for each request and transfers
 * the tensor back. Errors travel as { name, message } and are re-created as the same typed errors
 * on the caller's side. The thread keeps each camera's quality cadence (QualitySchedule).
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import type { EncodedImage } from './decode.js';
import { preprocessFrame, type PreprocessOptions } from './preprocess.js';
import { QualitySchedule, type FrameTag } from './quality-schedule.js';

interface Request {
  readonly kind: 'run';
  readonly id: number;
  readonly image: EncodedImage;
  readonly options: PreprocessOptions;
  /** A tensor buffer handed back by the caller for reuse (transferred), if its size fits. */
  readonly reuse?: Float32Array;
  /** The frame's camera and capture time, for the quality cadence; absent = measure this frame. */
  readonly frame?: FrameTag;
}

// Every frame is new bytes: libvips' operation cache only costs time and memory here.
sharp.cache(false);
// One libvips worker per sharp call: this thread handles one frame at a time, and the other core is
// the inference thread's (more libvips threads only add hand-offs on a 2-core machine).
sharp.concurrency(1);

/** One schedule per cadence setting (in practice one: every core of a worker has the same options). */
const schedules = new Map<string, QualitySchedule>();
function scheduleFor(options: PreprocessOptions): QualitySchedule {
  const everyFrames = options.quality.everyFrames ?? 1;
  const maxAgeUs = options.quality.maxAgeUs ?? 0;
  const key = `${String(everyFrames)}/${String(maxAgeUs)}`;
  let s = schedules.get(key);
  if (s === undefined) {
    s = new QualitySchedule({ everyFrames, maxAgeUs });
    schedules.set(key, s);
  }
  return s;
}

const port = parentPort;
if (port === null) throw new Error('preprocess-worker must run in a worker thread');
port.on('message', (msg: Request | { kind: 'close' } | { kind: 'exit' }) => {
  if (msg.kind === 'close') {
    port.close();
    return;
  }
  if (msg.kind === 'exit') {
    // ImagePreprocessor.kill(): end this thread as a crash would.
    process.exit(1);
  }
  const size = 3 * msg.options.width * msg.options.height;
  const out = msg.reuse?.length === size ? msg.reuse : new Float32Array(size);
  const cadence = msg.frame === undefined ? undefined : { frame: msg.frame, schedule: scheduleFor(msg.options) };
  preprocessFrame(msg.image, msg.options, out, cadence).then(
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
