import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { loadAudioConfig, openAudioWorker } from '@sensorfuse/audio-worker';
import { loadCameraConfig, openCameraWorker } from '@sensorfuse/camera-worker';
import { createFusionWorker, loadFusionConfig, type FusionWorker } from '@sensorfuse/fusion-worker';
import { createLidarWorker, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { createMotionWorker, loadMotionConfig } from '@sensorfuse/motion-worker';
import {
  egoStateSchema, fusedDetectionsSchema, groundTruthSchema, lidarObjectsSchema, type EgoState, type FusedDetections, type GroundTruth, type LidarObjects,
} from '@sensorfuse/schemas';
import { createSensorWorker, loadSensorConfig } from '@sensorfuse/sensor-worker';
import { createSimulation, presetScenario, publishCalibration, publishSimulation, toRigCalibration, PRESET_NAMES } from '@sensorfuse/simulator';
import type { StateStore } from '@sensorfuse/state';
import { nowUs } from '@sensorfuse/time';
import type { Bus } from '@sensorfuse/transport';
import type { Worker } from '@sensorfuse/worker';
import type { Subscription } from 'rxjs';
import { EXIT, UserError } from '../errors.js';
import { PIPELINE_MAX_MESSAGE_BYTES } from '../topology.js';
import { RunStatus } from './status.js';

export interface PipelineOptions {
  readonly scenario: string;
  readonly seed: number;
  /** Simulated seconds to run; undefined runs until stopped (the scenario loops with a new seed). */
  readonly durationS?: number;
  /** Simulated seconds per episode (default: the scenario's own length): each episode is the next seed, sequence numbers go on. */
  readonly episodeS?: number;
  readonly partitions: number;
}

const SOURCE_TOPICS = ['raw.camera', 'raw.lidar', 'raw.audio', 'raw.motion', 'raw.sensor', 'sim.truth', 'calibration.rig'];
const OBSERVATION_TOPICS = ['obs.lidar', 'obs.motion', 'obs.camera', 'obs.audio', 'obs.sensor', 'fused.detections'];

export function scenarioByName(name: string): ReturnType<typeof presetScenario> {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`unknown scenario "${name}"`, EXIT.usage, `choose one of: ${PRESET_NAMES.join(', ')}`);
  }
  return presetScenario(name);
}

/**
 * The whole pipeline on one bus: the simulator as source, the modality workers, and a status
 * reader. The same code runs on the MemoryBus (embedded) and on Kafka (deployed, all in one process).
 */
export class Pipeline {
  readonly status = new RunStatus();
  private readonly workers: Worker[];
  private readonly fusion: FusionWorker;
  private readonly abort = new AbortController();
  private statusSubscription: Subscription | undefined;
  private source: Promise<void> | undefined;
  private sourceError: Error | undefined;

  constructor(
    private readonly bus: Bus,
    stateStore: StateStore,
    private readonly options: PipelineOptions,
  ) {
    scenarioByName(options.scenario);
    this.fusion = createFusionWorker(bus, loadFusionConfig(), stateStore);
    this.workers = [
      createLidarWorker(bus, loadLidarConfig()),
      createMotionWorker(bus, loadMotionConfig()),
      createSensorWorker(bus, loadSensorConfig()),
      this.fusion,
    ];
  }

  /** Creates the topics, starts the workers, the status reader and the source. */
  async start(onFatal: (error: unknown) => void): Promise<void> {
    await this.bus.admin.createTopics(
      [...SOURCE_TOPICS, ...OBSERVATION_TOPICS].map((topic) => ({ topic, partitions: this.options.partitions, maxMessageBytes: PIPELINE_MAX_MESSAGE_BYTES })),
    );
    // The audio worker opens its voice-activity model (Silero, shipped in an npm package) in a worker thread.
    this.workers.push(await openAudioWorker(this.bus, loadAudioConfig()));
    // The camera worker runs the shipped detector (models/sim-detector) through onnxruntime in a worker thread.
    this.workers.push(await openCameraWorker(this.bus, loadCameraConfig()));
    for (const worker of this.workers) worker.start(onFatal);
    this.startStatusReader(onFatal);
    this.source = this.runSource().catch((error: unknown) => {
      this.sourceError = error instanceof Error ? error : new Error(String(error));
      onFatal(error);
    });
  }

  /** Resolves when a finite run's source has published everything (never for an endless run). */
  async sourceDone(): Promise<void> {
    await this.source;
    if (this.sourceError !== undefined) throw this.sourceError;
  }

  /** Stops the source, lets the workers finish what is in flight, stops the status reader. */
  async drain(): Promise<void> {
    this.abort.abort();
    await this.source;
    // Give the workers a moment to take what the source published last before draining.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(this.workers.map((w) => w.drain()));
    this.statusSubscription?.unsubscribe();
  }

  private async runSource(): Promise<void> {
    const base = scenarioByName(this.options.scenario);
    let startTimeUs = nowUs();
    let remainingS = this.options.durationS ?? Number.POSITIVE_INFINITY;
    for (let episode = 0; remainingS > 0 && !this.abort.signal.aborted; episode++) {
      const durationS = Math.min(this.options.episodeS ?? base.durationS, remainingS);
      const scenario = { ...base, durationS };
      const simulation = createSimulation(scenario, { seed: this.options.seed + episode, pacing: 'real-time', startTimeUs });
      // The rig's calibration, valid from this episode's start, into the fusion worker's registry.
      const calibration = toRigCalibration(simulation.core.calibration, simulation.scenario, episode + 1, startTimeUs);
      await this.fusion.calibration.publish(calibration);
      await publishCalibration(this.bus, calibration);
      await publishSimulation(this.untilAborted(simulation), { bus: this.bus });
      startTimeUs += Math.round(durationS * 1e6);
      remainingS -= durationS;
    }
  }

  private async *untilAborted<T>(records: AsyncIterable<T>): AsyncIterable<T> {
    for await (const record of records) {
      if (this.abort.signal.aborted) return;
      yield record;
    }
  }

  private startStatusReader(onFatal: (error: unknown) => void): void {
    const registry = new SchemaRegistry();
    const lidar = createCodec<LidarObjects>(registry, lidarObjectsSchema);
    const ego = createCodec<EgoState>(registry, egoStateSchema);
    const fused = createCodec<FusedDetections>(registry, fusedDetectionsSchema);
    const truth = createCodec<GroundTruth>(registry, groundTruthSchema);
    const topics = [...SOURCE_TOPICS, ...OBSERVATION_TOPICS];
    this.statusSubscription = this.bus
      .subscribe({ groupId: `sensorfuse-status-${String(process.pid)}`, topics: [...topics, ...topics.map((t) => `${t}.dlq`)], highWaterMark: Number.POSITIVE_INFINITY })
      .subscribe({
        next: (record) => {
          // Committed at once: an uncommitted reader holds its in-flight window (64 MiB by default),
          // which ~10 s of the simulator's LIDAR fills — the status line then read 0/s forever — and
          // keeps the MemoryBus from deleting what every worker has already consumed.
          void record.commit().catch(() => undefined);
          this.status.count(record.topic, record.value.byteLength);
          try {
            if (record.topic === 'obs.lidar') {
              const objects = lidar.decode(record.value);
              this.status.lidar(objects.objects.length);
              this.status.latency(objects.publishTimeUs - objects.captureTimeUs);
            } else if (record.topic === 'fused.detections') {
              const frame = fused.decode(record.value);
              const confirmed = frame.tracks.filter((t) => t.state === 'confirmed').map((t) => ({ x: t.position.x, y: t.position.y }));
              this.status.fused(confirmed, frame.missingModalities, frame.publishTimeUs - frame.captureTimeUs, frame.captureTimeUs);
            } else if (record.topic === 'sim.truth') {
              const t = truth.decode(record.value);
              // The truth of a LIDAR sweep: the objects that LIDAR saw (≥ 5 points: findable), in base_link.
              if (t.objects.some((o) => o.lidar !== null)) {
                this.status.truth(t.captureTimeUs, t.objects.filter((o) => (o.lidar?.points ?? 0) >= 5).map((o) => ({ x: o.boxEgo.center.x, y: o.boxEgo.center.y })));
              }
            } else if (record.topic === 'obs.motion') {
              const state = ego.decode(record.value);
              this.status.ego(state.position.x, state.position.y, Math.hypot(state.velocity.x, state.velocity.y));
            }
          } catch {
            // The status view only reads; the workers dead-letter bad records themselves.
          }
        },
        error: onFatal,
      });
  }
}
