import { InputShapeError } from '@sensorfuse/inference';
import { describe, expect, it } from 'vitest';
import { openSileroRunner, openSoundEventRunner } from './model-runners.js';
import { SileroVad, VAD_WINDOW_SAMPLES } from './vad.js';

/** A 16 kHz test stream: 0.5 s of a 220 Hz tone with harmonics, amplitude-modulated like syllables, in low noise. */
function stream(): Float32Array {
  const x = new Float32Array(16_000);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const t = i / 16_000;
    const env = Math.sin(Math.PI * ((t * 4) % 1)) ** 2;
    x[i] = 0.3 * env * (Math.sin(2 * Math.PI * 220 * t) + 0.5 * Math.sin(2 * Math.PI * 440 * t)) + 0.01 * (s / 2147483648 - 0.5);
  }
  return x;
}

describe('model runners on the calling thread and in a pool', () => {
  it('give the same Silero probabilities window by window, state carried (switching threads changes no result)', async () => {
    const calling = await openSileroRunner({ thread: 'calling' });
    const pool = await openSileroRunner({ thread: 'pool' });
    try {
      expect(calling.thread).toBe('calling');
      expect(pool.thread).toBe('pool');
      const x = stream();
      const a = new SileroVad(calling);
      const b = new SileroVad(pool);
      a.restart(0);
      b.restart(0);
      const pa = await a.push(x);
      const pb = await b.push(x);
      expect(pa.probabilities.length).toBe(Math.floor(x.length / VAD_WINDOW_SAMPLES));
      expect(Array.from(pa.probabilities)).toEqual(Array.from(pb.probabilities));
    } finally {
      await calling.close();
      await pool.close();
    }
  });

  it('reject a request that disagrees with the model card before it reaches onnxruntime (InputShapeError)', async () => {
    const calling = await openSoundEventRunner({ thread: 'calling' });
    try {
      await expect(calling.run({ logmel: { type: 'float32', dims: [1, 1, 48, 63], data: new Float32Array(48 * 63) } })).rejects.toBeInstanceOf(InputShapeError);
      const good = await calling.run({ logmel: { type: 'float32', dims: [2, 1, 48, 64], data: new Float32Array(2 * 48 * 64).fill(-60) } });
      const probs = good.probabilities;
      expect(probs?.dims).toEqual([2, calling.card.classes?.length ?? 6]);
    } finally {
      await calling.close();
    }
  });
});
