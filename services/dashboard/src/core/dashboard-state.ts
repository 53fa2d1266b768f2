import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { registerEarlierSchemaVersions } from '@sensorfuse/schemas/earlier';
import { decodeInterleaved } from '@sensorfuse/audio';
import {
  audioChunkSchema, audioEventsSchema, cameraDetectionsSchema, cameraFrameSchema, fusedDetectionsSchema, groundTruthSchema, lidarObjectsSchema, lidarScanSchema, rigCalibrationSchema,
  type AudioChunk, type AudioEvents, type CameraDetections, type CameraFrame, type FusedDetections, type GroundTruth, type LidarObjects, type LidarScan, type RigCalibration,
} from '@sensorfuse/schemas';
import { invertRigid, multiply, projectBoxes, type Box3d, type Matrix4 } from './camera-projection.js';
import { downsampleScan } from './downsample.js';
import { IDENTITY_PLANAR, planarTransforms, transformPointsInPlace, transformXy, type PlanarTransform } from './frames.js';
import { LatencyWindow } from './latency.js';
import type { AudioEventView, BevObject, BevTrack, StateMessage, TruthBox } from './protocol.js';
import { SpectrogramRing, type SpectrogramView } from './spectrogram.js';
import { StreamHealthTracker } from './stream-health.js';

export const TOPICS = {
  rawCamera: 'raw.camera',
  rawLidar: 'raw.lidar',
  rawAudio: 'raw.audio',
  rawMotion: 'raw.motion',
  obsCamera: 'obs.camera',
  obsLidar: 'obs.lidar',
  obsAudio: 'obs.audio',
  obsMotion: 'obs.motion',
  fused: 'fused.detections',
  truth: 'sim.truth',
  calibration: 'calibration.rig',
} as const;

/** The streams whose health the page lists (their `.dlq` topics are read too). */
export const HEALTH_TOPICS: readonly string[] = [
  TOPICS.rawCamera, TOPICS.rawLidar, TOPICS.rawAudio, TOPICS.rawMotion,
  TOPICS.obsCamera, TOPICS.obsLidar, TOPICS.obsAudio, TOPICS.obsMotion, TOPICS.fused,
];

/** The view's frame: the rig body. Sensor-frame data is moved into it with the rig calibration. */
export const VIEW_FRAME_ID = 'base_link';

export interface DashboardStateOptions {
  /** Largest number of LIDAR points sent per frame. */
  readonly maxPoints: number;
  /** Latency samples kept per stage. */
  readonly latencySamples: number;
  readonly presenceTimeoutUs: number;
}

export interface PointsFrame {
  readonly version: number;
  readonly xyz: Float32Array;
}

/** Sound events kept for the page (newest last). */
export const MAX_AUDIO_EVENTS = 24;

export interface CameraImage {
  readonly version: number;
  readonly jpeg: Buffer;
}

/**
 * What the dashboard knows: the newest record of each displayed stream (newest wins, nothing
 * queues), stream health and latency windows. Records are decoded lazily, once per version, when
 * a frame is sent — a 10 Hz LIDAR stream and a 5 Hz view decode each shown sweep once and skip
 * the rest. Pure: no sockets, no timers, time comes in as `nowUs`.
 */
export class DashboardState {
  readonly health: StreamHealthTracker;
  /** Records that could not be decoded for display, per topic (the workers dead-letter them). */
  readonly decodeErrors = new Map<string, number>();
  private readonly latency = new Map<string, LatencyWindow>();
  private readonly codecs: {
    readonly scan: Codec<LidarScan>;
    readonly frame: Codec<CameraFrame>;
    readonly objects: Codec<LidarObjects>;
    readonly fused: Codec<FusedDetections>;
    readonly detections: Codec<CameraDetections>;
    readonly calibration: Codec<RigCalibration>;
    readonly truth: Codec<GroundTruth>;
    readonly audioChunk: Codec<AudioChunk>;
    readonly audioEvents: Codec<AudioEvents>;
  };
  /** Channel 0 of the newest audio sensor (the first microphone of the array). */
  private readonly spectrogram = new SpectrogramRing({ fftSize: 512, bands: 64, columns: 192, floorDb: -110, ceilDb: -20 });
  private audioSensor: { sensorId: string; frameId: string } | undefined;
  private audioEventList: AudioEventView[] = [];
  private audioLevels: { voiceProbability: number; snrDb: number } | undefined;

  private scanRaw: Buffer | undefined;
  private scanVersion = 0;
  private scanMeta: StateMessage['lidar'] = null;
  private points: PointsFrame | undefined;
  private cameraRaw: Buffer | undefined;
  private cameraVersion = 0;
  private cameraMeta: StateMessage['camera'] = null;
  private image: CameraImage | undefined;
  private objects: LidarObjects | undefined;
  private fused: FusedDetections | undefined;
  private detections: CameraDetections | undefined;
  /** Newest truth per sensor it describes (a handful of sensors: bounded). */
  private readonly truthBySensor = new Map<string, GroundTruth>();
  private latestTruth: GroundTruth | undefined;
  private shownLidarSensorId: string | undefined;
  private frames = new Map<string, { readonly parentFrameId: string; readonly transform: PlanarTransform }>();
  /** child frame → (parent frame, row-major 4×4 child→parent) from the rig calibration. */
  private matrices = new Map<string, { readonly parentFrameId: string; readonly matrix: Matrix4 }>();
  private camera: { readonly cameraFromView: Matrix4; readonly intrinsics: NonNullable<RigCalibration['sensors'][number]['cameraIntrinsics']> } | undefined;

  constructor(
    private readonly options: DashboardStateOptions,
    registry = new SchemaRegistry(),
  ) {
    this.health = new StreamHealthTracker({ bucketUs: 1_000_000, buckets: 6, presenceTimeoutUs: options.presenceTimeoutUs });
    this.health.expect(HEALTH_TOPICS);
    // Records from producers not yet upgraded (e.g. sweeps before LidarObjects.fragments) are still shown.
    registerEarlierSchemaVersions(registry);
    this.codecs = {
      scan: createCodec(registry, lidarScanSchema),
      frame: createCodec(registry, cameraFrameSchema),
      objects: createCodec(registry, lidarObjectsSchema),
      fused: createCodec(registry, fusedDetectionsSchema),
      detections: createCodec(registry, cameraDetectionsSchema),
      calibration: createCodec(registry, rigCalibrationSchema),
      truth: createCodec(registry, groundTruthSchema),
      audioChunk: createCodec(registry, audioChunkSchema),
      audioEvents: createCodec(registry, audioEventsSchema),
    };
  }

  /**
   * Takes one consumed record (`logTimeUs`: its broker time, for the lag). Never throws:
   * undecodable records are counted in decodeErrors.
   */
  ingest(topic: string, value: Buffer, nowUs: number, logTimeUs?: number): void {
    // The calibration is published once; a rate for it would only ever read "absent".
    if (topic !== TOPICS.calibration) this.health.record(topic, nowUs, logTimeUs);
    try {
      switch (topic) {
        case TOPICS.rawLidar:
          this.scanRaw = value;
          this.scanVersion++;
          break;
        case TOPICS.rawCamera:
          this.cameraRaw = value;
          this.cameraVersion++;
          break;
        case TOPICS.truth: {
          const truth = this.codecs.truth.decode(value);
          this.latestTruth = truth;
          this.truthBySensor.set(truth.forSensorId, truth);
          break;
        }
        case TOPICS.obsLidar: {
          const objects = this.codecs.objects.decode(value);
          this.objects = objects;
          this.latencyOf(TOPICS.obsLidar).add(objects.publishTimeUs - objects.captureTimeUs);
          break;
        }
        case TOPICS.fused: {
          const fused = this.codecs.fused.decode(value);
          this.fused = fused;
          this.latencyOf(TOPICS.fused).add(fused.publishTimeUs - fused.captureTimeUs);
          break;
        }
        case TOPICS.obsCamera:
          this.detections = this.codecs.detections.decode(value);
          break;
        case TOPICS.rawAudio:
          this.ingestAudio(this.codecs.audioChunk.decode(value));
          break;
        case TOPICS.obsAudio:
          this.ingestAudioEvents(this.codecs.audioEvents.decode(value));
          break;
        case TOPICS.calibration:
          this.useCalibration(this.codecs.calibration.decode(value));
          break;
        default:
          break;
      }
    } catch {
      this.decodeErrors.set(topic, (this.decodeErrors.get(topic) ?? 0) + 1);
    }
  }

  /** The newest sweep, downsampled into the view frame; decoded once per new sweep. */
  latestPoints(): PointsFrame | undefined {
    if (this.scanRaw === undefined) return this.points;
    const raw = this.scanRaw;
    this.scanRaw = undefined;
    try {
      const scan = this.codecs.scan.decode(raw);
      this.shownLidarSensorId = scan.sensorId;
      const xyz = downsampleScan(scan, this.options.maxPoints);
      const { frameId, transform } = this.toView(scan.frameId);
      transformPointsInPlace(xyz, transform);
      this.points = { version: this.scanVersion, xyz };
      this.scanMeta = { frameId, captureTimeUs: scan.captureTimeUs, pointCount: scan.pointCount, shownPoints: xyz.length / 3 };
    } catch {
      this.decodeErrors.set(TOPICS.rawLidar, (this.decodeErrors.get(TOPICS.rawLidar) ?? 0) + 1);
    }
    return this.points;
  }

  /** The newest camera frame when it is a JPEG (other encodings are not shown); decoded once per frame. */
  latestCamera(): CameraImage | undefined {
    if (this.cameraRaw === undefined) return this.image;
    const raw = this.cameraRaw;
    this.cameraRaw = undefined;
    try {
      const frame = this.codecs.frame.decode(raw);
      this.cameraMeta = { sensorId: frame.sensorId, width: frame.width, height: frame.height, captureTimeUs: frame.captureTimeUs, encoding: frame.encoding };
      if (frame.encoding === 'jpeg') this.image = { version: this.cameraVersion, jpeg: frame.data };
    } catch {
      this.decodeErrors.set(TOPICS.rawCamera, (this.decodeErrors.get(TOPICS.rawCamera) ?? 0) + 1);
    }
    return this.image;
  }

  snapshot(nowUs: number): StateMessage {
    const latency: Record<string, ReturnType<LatencyWindow['histogram']>> = {};
    for (const [stage, window] of this.latency) latency[stage] = window.histogram();
    return {
      type: 'state',
      serverTimeUs: nowUs,
      lidar: this.scanMeta,
      objects: this.objectsView(),
      tracks: this.tracksView(),
      truth: this.truthView(),
      camera: this.cameraMeta,
      cameraBoxes:
        this.detections === undefined
          ? null
          : {
              imageWidth: this.detections.imageWidth,
              imageHeight: this.detections.imageHeight,
              items: this.detections.detections.map((d) => ({ ...d.box, label: d.label === '' ? d.objectClass : d.label, score: d.score })),
            },
      projectedBoxes: this.projectedView(),
      health: this.health.snapshot(nowUs),
      latency,
      audio: this.audioView(),
    };
  }

  /** The spectrogram picture; a new object only when a column was added since `version`. */
  latestSpectrogram(): SpectrogramView | undefined {
    return this.spectrogram.view();
  }

  private ingestAudio(chunk: AudioChunk): void {
    // One sensor on the page: the first one seen (a rig has one array; a second would interleave).
    if (this.audioSensor !== undefined && this.audioSensor.sensorId !== chunk.sensorId) return;
    this.audioSensor ??= { sensorId: chunk.sensorId, frameId: chunk.frameId };
    const decoded = decodeInterleaved(chunk.data, { sampleFormat: chunk.sampleFormat, channels: chunk.channels, sampleRateHz: chunk.sampleRateHz, frames: chunk.frames });
    const first = decoded.channels[0];
    if (first !== undefined) this.spectrogram.push(first, chunk.sampleRateHz, chunk.captureTimeUs);
  }

  private ingestAudioEvents(events: AudioEvents): void {
    this.audioSensor ??= { sensorId: events.sensorId, frameId: events.frameId };
    this.audioLevels = { voiceProbability: events.voiceProbability, snrDb: events.snrDb };
    for (const e of events.events) {
      // An event still open is reported again by the next windows: keep its newest report.
      const same = this.audioEventList.findIndex((x) => x.eventClass === e.eventClass && x.onsetUs === e.onsetUs);
      const view: AudioEventView = { eventClass: e.eventClass, score: e.score, onsetUs: e.onsetUs, offsetUs: e.offsetUs, bearingRad: e.bearingRad, snrDb: e.snrDb };
      if (same >= 0) this.audioEventList[same] = view;
      else this.audioEventList.push(view);
    }
    if (this.audioEventList.length > MAX_AUDIO_EVENTS) this.audioEventList = this.audioEventList.slice(-MAX_AUDIO_EVENTS);
  }

  private audioView(): StateMessage['audio'] {
    if (this.audioSensor === undefined) return null;
    const s = this.spectrogram.view();
    return {
      sensorId: this.audioSensor.sensorId,
      frameId: this.audioSensor.frameId,
      columns: s?.columns ?? 0,
      bands: s?.bands ?? 0,
      columnUs: s?.columnUs ?? 0,
      endTimeUs: s?.endTimeUs ?? 0,
      maxHz: s?.maxHz ?? 0,
      events: this.audioEventList,
      voiceProbability: this.audioLevels?.voiceProbability ?? null,
      snrDb: this.audioLevels?.snrDb ?? null,
    };
  }

  private objectsView(): StateMessage['objects'] {
    const o = this.objects;
    if (o === undefined) return null;
    const { frameId, transform } = this.toView(o.frameId);
    const items: BevObject[] = o.objects.map((obj) => {
      const p = transformXy(obj.centroid.x, obj.centroid.y, transform);
      return { x: p.x, y: p.y, lengthM: obj.extent.x, widthM: obj.extent.y, yawRad: obj.yawRad + transform.yawRad, objectClass: obj.classHint, pointCount: obj.pointCount };
    });
    return { frameId, captureTimeUs: o.captureTimeUs, items };
  }

  private tracksView(): StateMessage['tracks'] {
    const f = this.fused;
    if (f === undefined) return null;
    const { frameId, transform } = this.toView(f.frameId);
    const items: BevTrack[] = f.tracks.map((t) => {
      const p = transformXy(t.position.x, t.position.y, transform);
      const v = transformXy(t.velocity.x, t.velocity.y, { ...transform, tx: 0, ty: 0 });
      return {
        trackId: t.trackId, state: t.state, x: p.x, y: p.y, lengthM: t.extent.x, widthM: t.extent.y, yawRad: t.yawRad + transform.yawRad,
        vx: v.x, vy: v.y, objectClass: t.objectClass, score: t.score,
      };
    });
    return { frameId, captureTimeUs: f.captureTimeUs, items, missingModalities: f.missingModalities };
  }

  private truthView(): StateMessage['truth'] {
    // The truth of the shown sweep's sensor (other sensors' truth lists only what they saw).
    const t = (this.shownLidarSensorId === undefined ? undefined : this.truthBySensor.get(this.shownLidarSensorId)) ?? this.latestTruth;
    if (t === undefined) return null;
    const items: TruthBox[] = t.objects.map((o) => ({
      id: o.id, objectClass: o.objectClass, x: o.boxEgo.center.x, y: o.boxEgo.center.y, lengthM: o.boxEgo.lengthM, widthM: o.boxEgo.widthM, yawRad: o.boxEgo.yawRad,
    }));
    return { frameId: VIEW_FRAME_ID, captureTimeUs: t.captureTimeUs, items };
  }

  private useCalibration(calibration: RigCalibration): void {
    this.frames = planarTransforms(calibration);
    this.matrices = new Map(calibration.sensors.filter((s) => s.extrinsics.transform.length === 16).map((s) => [s.extrinsics.childFrameId, { parentFrameId: s.extrinsics.parentFrameId, matrix: s.extrinsics.transform }]));
    const cam = calibration.sensors.find((s) => s.cameraIntrinsics !== null && s.extrinsics.parentFrameId === VIEW_FRAME_ID && s.extrinsics.transform.length === 16);
    this.camera = cam?.cameraIntrinsics ? { cameraFromView: invertRigid(cam.extrinsics.transform), intrinsics: cam.cameraIntrinsics } : undefined;
  }

  /** Tracks (or, before fusion runs, LIDAR objects) drawn into the camera image. */
  private projectedView(): StateMessage['projectedBoxes'] {
    const cam = this.camera;
    if (cam === undefined) return null;
    const cameraFrom = (frameId: string): Matrix4 | undefined => {
      if (frameId === VIEW_FRAME_ID) return cam.cameraFromView;
      const m = this.matrices.get(frameId);
      return m?.parentFrameId === VIEW_FRAME_ID ? multiply(cam.cameraFromView, m.matrix) : undefined;
    };
    let source: 'fused' | 'lidar';
    let frameId: string;
    let boxes: Box3d[];
    if (this.fused !== undefined && this.fused.tracks.length > 0) {
      source = 'fused';
      frameId = this.fused.frameId;
      boxes = this.fused.tracks.map((t) => ({
        x: t.position.x, y: t.position.y, z: t.position.z, lengthM: t.extent.x, widthM: t.extent.y, heightM: t.extent.z, yawRad: t.yawRad,
        label: `#${String(t.trackId)} ${t.objectClass}`, score: t.score,
      }));
    } else if (this.objects !== undefined) {
      source = 'lidar';
      frameId = this.objects.frameId;
      boxes = this.objects.objects.map((o) => ({
        x: o.centroid.x, y: o.centroid.y, z: o.centroid.z, lengthM: o.extent.x, widthM: o.extent.y, heightM: o.extent.z, yawRad: o.yawRad,
        label: o.classHint, score: this.objects?.reliability ?? 1,
      }));
    } else {
      return null;
    }
    const m = cameraFrom(frameId);
    if (m === undefined) return null;
    return { source, imageWidth: cam.intrinsics.width, imageHeight: cam.intrinsics.height, items: projectBoxes(boxes, m, cam.intrinsics) };
  }

  /** Sensor frame → view frame when the calibration knows it, else the data stays in its own frame. */
  private toView(frameId: string): { frameId: string; transform: PlanarTransform } {
    const known = this.frames.get(frameId);
    if (known?.parentFrameId === VIEW_FRAME_ID) return { frameId: VIEW_FRAME_ID, transform: known.transform };
    return { frameId, transform: IDENTITY_PLANAR };
  }

  private latencyOf(stage: string): LatencyWindow {
    let w = this.latency.get(stage);
    if (w === undefined) {
      w = new LatencyWindow(this.options.latencySamples);
      this.latency.set(stage, w);
    }
    return w;
  }
}
