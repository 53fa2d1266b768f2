import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Biquad, highPassCoefficients } from './biquad.js';
import { LogMelExtractor, type LogMelParams } from './log-mel.js';
import { Stft } from './stft.js';

// Peer: Debian's numpy/scipy. The reference STFT and mel filterbank are written here in numpy
// from librosa's definitions (periodic Hann centred in n_fft, center=False, Slaney mel scale with
// area normalisation, power_to_db with amin); the high-pass reference is scipy.signal.butter + lfilter.
const PYTHON = '/usr/bin/python3';

function peerAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import numpy, scipy.signal'], { encoding: 'utf8' }).status === 0;
}

const SCRIPT = String.raw`
import sys, json, numpy as np, scipy.signal as ss
cfg = json.loads(sys.argv[1]); x = np.fromfile(sys.argv[2], dtype=np.float32).astype(np.float64); out = sys.argv[3]
if cfg['kind'] == 'highpass':
    b, a = ss.butter(2, cfg['cutoff'], btype='highpass', fs=cfg['fs'])
    ss.lfilter(b, a, x).astype(np.float64).tofile(out)
else:
    n_fft, win, hop = cfg['n_fft'], cfg['win'], cfg['hop']
    w = ss.get_window('hann', win, fftbins=True)
    lpad = (n_fft - win) // 2
    wp = np.zeros(n_fft); wp[lpad:lpad + win] = w
    frames = 1 + (len(x) - n_fft) // hop
    S = np.stack([np.fft.rfft(x[t * hop:t * hop + n_fft] * wp) for t in range(frames)])
    P = np.abs(S) ** 2
    if cfg['kind'] == 'stft':
        np.abs(S).astype(np.float64).tofile(out)
    else:
        sr, n_mels, fmin, fmax = cfg['fs'], cfg['n_mels'], cfg['fmin'], cfg['fmax']
        def hz_to_mel(f):
            f = np.asanyarray(f, dtype=np.float64); f_sp = 200.0 / 3; mels = f / f_sp
            min_log_hz = 1000.0; min_log_mel = min_log_hz / f_sp; logstep = np.log(6.4) / 27.0
            return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep, mels)
        def mel_to_hz(m):
            m = np.asanyarray(m, dtype=np.float64); f_sp = 200.0 / 3; freqs = f_sp * m
            min_log_hz = 1000.0; min_log_mel = min_log_hz / f_sp; logstep = np.log(6.4) / 27.0
            return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)
        fftfreqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
        mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
        fdiff = np.diff(mel_f); ramps = np.subtract.outer(mel_f, fftfreqs)
        weights = np.zeros((n_mels, len(fftfreqs)))
        for i in range(n_mels):
            lower = -ramps[i] / fdiff[i]; upper = ramps[i + 2] / fdiff[i + 1]
            weights[i] = np.maximum(0, np.minimum(lower, upper))
        weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
        M = P @ weights.T
        (10.0 * np.log10(np.maximum(M, cfg['amin']))).astype(np.float64).tofile(out)
`;

function runPeer(cfg: Record<string, unknown>, x: Float32Array): Float64Array {
  const dir = mkdtempSync(path.join(tmpdir(), 'audio-peer-'));
  const inFile = path.join(dir, 'x.f32');
  const outFile = path.join(dir, 'y.f64');
  writeFileSync(inFile, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  const r = spawnSync(PYTHON, ['-c', SCRIPT, JSON.stringify(cfg), inFile, outFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python peer failed: ${r.stderr}`);
  const b = readFileSync(outFile);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
}

/** Test signal: a chirp plus two tones plus noise, in [-0.5, 0.5]. */
function testSignal(n: number, fs: number): Float32Array {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    const t = i / fs;
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] =
      0.2 * Math.sin(2 * Math.PI * (100 + 1500 * t) * t) +
      0.1 * Math.sin(2 * Math.PI * 440 * t) +
      0.05 * Math.sin(2 * Math.PI * 3000 * t) +
      0.05 * (s / 2147483648 - 0.5) +
      0.1;
  }
  return x;
}

/** Feed `x` in chunks of `chunk` samples. */
function chunks(x: Float32Array, chunk: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < x.length; i += chunk) out.push(x.slice(i, Math.min(x.length, i + chunk)));
  return out;
}

describe('audio DSP against numpy/scipy', () => {
  it('high-pass (RBJ, Q = 1/√2) equals scipy.signal.butter(2, 80 Hz, highpass) + lfilter, fed in 20 ms chunks', () => {
    if (!peerAvailable()) {
      console.warn('skipped: /usr/bin/python3 with numpy and scipy is absent');
      return;
    }
    const fs = 16000;
    const x = testSignal(fs, fs);
    const ref = runPeer({ kind: 'highpass', fs, cutoff: 80 }, x);
    const hp = new Biquad(highPassCoefficients(fs, 80));
    const y = new Float32Array(x.length);
    let off = 0;
    for (const c of chunks(x, 320)) {
      y.set(hp.process(c), off);
      off += c.length;
    }
    let maxErr = 0;
    for (let i = 0; i < x.length; i++) maxErr = Math.max(maxErr, Math.abs((y[i] as number) - (ref[i] as number)));
    expect(maxErr).toBeLessThan(1e-6);
    // the DC offset of 0.1 is gone after the transient
    const tail = y.subarray(fs / 2);
    expect(Math.abs(tail.reduce((a, b) => a + b, 0) / tail.length)).toBeLessThan(1e-3);
  });

  it('STFT magnitudes (n_fft 512, Hann 400, hop 160) match numpy within 1e-4 relative', () => {
    if (!peerAvailable()) {
      console.warn('skipped: /usr/bin/python3 with numpy and scipy is absent');
      return;
    }
    const fs = 16000;
    const x = testSignal(fs, fs);
    const ref = runPeer({ kind: 'stft', n_fft: 512, win: 400, hop: 160 }, x);
    const stft = new Stft({ fftSize: 512, winLength: 400, hopLength: 160, window: 'hann' });
    const mags: number[] = [];
    for (const c of chunks(x, 320)) {
      stft.push(c, (spec) => {
        for (let k = 0; k < stft.bins; k++) mags.push(Math.hypot(spec[2 * k] as number, spec[2 * k + 1] as number));
      });
    }
    expect(mags.length).toBe(ref.length);
    const peak = Math.max(...ref);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i] as number;
      worst = Math.max(worst, Math.abs((mags[i] as number) - r) / Math.max(Math.abs(r), 1e-6 * peak));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('log-mel (64 Slaney bands 50 Hz-8 kHz, power_to_db) matches a numpy filterbank within 1e-4 relative', () => {
    if (!peerAvailable()) {
      console.warn('skipped: /usr/bin/python3 with numpy and scipy is absent');
      return;
    }
    const fs = 16000;
    const x = testSignal(fs, fs);
    const params: LogMelParams = {
      sampleRateHz: fs,
      fftSize: 512,
      winLength: 400,
      hopLength: 160,
      window: 'hann',
      nMels: 64,
      fminHz: 50,
      fmaxHz: 8000,
      melScale: 'slaney',
      melNorm: 'slaney',
      aminPower: 1e-10,
    };
    const ref = runPeer({ kind: 'logmel', fs, n_fft: 512, win: 400, hop: 160, n_mels: 64, fmin: 50, fmax: 8000, amin: 1e-10 }, x);
    const ext = new LogMelExtractor(params);
    const got: number[] = [];
    for (const c of chunks(x, 320)) got.push(...ext.push(c).data);
    expect(got.length).toBe(ref.length);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i] as number;
      worst = Math.max(worst, Math.abs((got[i] as number) - r) / Math.max(Math.abs(r), 1));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
