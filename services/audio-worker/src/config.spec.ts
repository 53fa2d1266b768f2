import { readFileSync } from 'node:fs';
import { ConfigError, describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { describe, expect, it } from 'vitest';
import { AUDIO_ENV_PREFIX, audioConfigSchema, loadAudioConfig } from './config.js';
import { audioProcessorParams, microphoneArray } from './core/params.js';
import { defaultAudioProcessorParams } from '@sensorfuse/audio';

describe('audio-worker config', () => {
  it('defaults to the Silero hysteresis of issue 7 and the simulator 4-mic array', () => {
    const c = loadAudioConfig({});
    expect([c.audio.vad.startThreshold, c.audio.vad.endThreshold, c.audio.vad.minSpeechUs, c.audio.vad.minSilenceUs]).toEqual([0.5, 0.35, 250_000, 100_000]);
    expect([c.inputTopic, c.outputTopic, c.groupId]).toEqual(['raw.audio', 'obs.audio', 'audio-worker']);
    // services/simulator DEFAULT_SCENARIO.sensors.audio.micPositionsM: a 0.3 m square centred 1.2 m ahead of base_link, 1.8 m up.
    expect(microphoneArray(c.audio)?.positions).toEqual([
      { x: 1.35, y: 0.15, z: 1.8 },
      { x: 1.35, y: -0.15, z: 1.8 },
      { x: 1.05, y: -0.15, z: 1.8 },
      { x: 1.05, y: 0.15, z: 1.8 },
    ]);
    expect(Object.isFrozen(c.audio.vad)).toBe(true);
  });

  it('with the defaults, the processor runs with exactly the parameters shared/audio tested and benchmarked', () => {
    expect(audioProcessorParams(loadAudioConfig({}).audio, 16_000, 4)).toEqual(defaultAudioProcessorParams(16_000, 4));
    expect(audioProcessorParams(loadAudioConfig({}).audio, 48_000, 4)).toEqual(defaultAudioProcessorParams(48_000, 4));
  });

  it('takes overrides from the environment and names the key and range of a bad value', () => {
    const c = loadAudioConfig({ SENSORFUSE_AUDIO_AUDIO_ARRAY_POSITIONS_M: '[0.1,0,0,-0.1,0,0]', SENSORFUSE_AUDIO_AUDIO_DOA_MODE: 'off' });
    expect(c.audio.array.positionsM).toEqual([0.1, 0, 0, -0.1, 0, 0]);
    expect(microphoneArray(c.audio)).toBeUndefined();
    expect(() => loadAudioConfig({ SENSORFUSE_AUDIO_AUDIO_VAD_START_THRESHOLD: '1.5' })).toThrow(ConfigError);
    expect(() => loadAudioConfig({ SENSORFUSE_AUDIO_AUDIO_VAD_START_THRESHOLD: '1.5' })).toThrow(/audio\.vad\.startThreshold.*\[0, 1\].*1\.5/);
    expect(() => loadAudioConfig({ SENSORFUSE_AUDIO_AUDIO_ARRAY_POSITIONS_M: '[0.1,0,0,-0.1]' })).toThrow(/audio\.array\.positionsM.*\[0\.1,0,0,-0\.1\]/);
    expect(() => loadAudioConfig({ SENSORFUSE_AUDIO_AUDIO_DENOISE_FRAME_LENGTH: '500' })).toThrow(/audio\.denoise\.frameLength.*500/);
  });

  it('README Parameters section is the one generated from the schema (npm run readme -w @sensorfuse/audio-worker)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(replaceParametersSection(readme, describeConfig(audioConfigSchema, { envPrefix: AUDIO_ENV_PREFIX })));
  });
});
