/**
 * WebSocket protocol between the dashboard server and the page. Shared by both sides (the page
 * bundle imports this file), so it imports nothing from Node.
 *
 * Text frames are JSON `StateMessage`s. Binary frames start with an 8-byte header:
 * byte 0 = frame kind (BinaryKind), bytes 1..3 = 0, bytes 4..7 = little-endian uint32 (point count
 * for points, JPEG byte length for camera), then the payload. The 8-byte header keeps the float32
 * payload 4-byte aligned so the page can view it as a Float32Array without copying.
 */
export const BINARY_HEADER_BYTES = 8;

export const BinaryKind = {
  /** Payload: pointCount × (x, y, z) float32 little-endian, metres, in the scan's frame. */
  points: 1,
  /** Payload: one JPEG image as published on raw.camera. */
  cameraJpeg: 2,
  /** Payload: `count` spectrogram columns × `StateMessage.audio.bands` bytes, oldest column first, low band first. */
  spectrogram: 3,
} as const;
export type BinaryKind = (typeof BinaryKind)[keyof typeof BinaryKind];

/** A box seen from above: centre, size (length along x before yaw, width), yaw in radians. */
export interface BevBox {
  readonly x: number;
  readonly y: number;
  readonly lengthM: number;
  readonly widthM: number;
  readonly yawRad: number;
  readonly objectClass: string;
}

export interface BevObject extends BevBox {
  readonly pointCount: number;
}

export interface BevTrack extends BevBox {
  readonly trackId: number;
  readonly state: string;
  readonly vx: number;
  readonly vy: number;
  readonly score: number;
}

export interface TruthBox extends BevBox {
  readonly id: number;
}

export interface CameraBox {
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
  readonly label: string;
  readonly score: number;
}

export interface StreamHealth {
  readonly topic: string;
  /** Records per second over the last rate window. */
  readonly rateHz: number;
  readonly total: number;
  /** True when a record arrived within the presence timeout. */
  readonly present: boolean;
  /** Microseconds since the last record, or null when none arrived yet. */
  readonly ageUs: number | null;
  /** Records on `<topic>.dlq`. */
  readonly deadLetters: number;
  /** How long the newest record waited between the broker (its log time) and this view, µs; null before the first. */
  readonly lagUs: number | null;
}

/** A sound event of obs.audio as the page shows it. */
export interface AudioEventView {
  readonly eventClass: string;
  readonly score: number;
  readonly onsetUs: number;
  readonly offsetUs: number;
  /** Direction of arrival about +z of the audio frame, counter-clockwise from +x; null when not estimated. */
  readonly bearingRad: number | null;
  readonly snrDb: number;
}

export interface LatencyHistogram {
  /** Upper bucket edges in milliseconds; the last bucket is everything above the last edge. */
  readonly edgesMs: readonly number[];
  /** edgesMs.length + 1 counts. */
  readonly counts: readonly number[];
  readonly samples: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface StateMessage {
  readonly type: 'state';
  readonly serverTimeUs: number;
  readonly lidar: { readonly frameId: string; readonly captureTimeUs: number; readonly pointCount: number; readonly shownPoints: number } | null;
  readonly objects: { readonly frameId: string; readonly captureTimeUs: number; readonly items: readonly BevObject[] } | null;
  readonly tracks: { readonly frameId: string; readonly captureTimeUs: number; readonly items: readonly BevTrack[]; readonly missingModalities: readonly string[] } | null;
  readonly truth: { readonly frameId: string; readonly captureTimeUs: number; readonly items: readonly TruthBox[] } | null;
  readonly camera: { readonly sensorId: string; readonly width: number; readonly height: number; readonly captureTimeUs: number; readonly encoding: string } | null;
  /** 2D boxes of the camera worker (obs.camera), in image pixels. */
  readonly cameraBoxes: { readonly imageWidth: number; readonly imageHeight: number; readonly items: readonly CameraBox[] } | null;
  /**
   * 3D boxes projected into the camera with the rig calibration: the fused tracks when there are any,
   * else the LIDAR objects. Null without a calibration for the camera.
   */
  readonly projectedBoxes: { readonly source: 'fused' | 'lidar'; readonly imageWidth: number; readonly imageHeight: number; readonly items: readonly CameraBox[] } | null;
  readonly health: readonly StreamHealth[];
  /**
   * The audio panel: the spectrogram's geometry (its bytes travel as a binary frame of kind 3) and the
   * newest sound events (obs.audio) with their bearings. Null before the first raw.audio or obs.audio record.
   */
  readonly audio: {
    readonly sensorId: string;
    readonly frameId: string;
    readonly columns: number;
    readonly bands: number;
    readonly columnUs: number;
    readonly endTimeUs: number;
    readonly maxHz: number;
    readonly events: readonly AudioEventView[];
    readonly voiceProbability: number | null;
    readonly snrDb: number | null;
  } | null;
  /** Keyed by stage: 'obs.lidar' (capture → obs publish), 'fused.detections' (capture → fused publish). */
  readonly latency: Readonly<Record<string, LatencyHistogram>>;
}

export function encodeBinaryHeader(kind: BinaryKind, count: number): Uint8Array {
  const header = new Uint8Array(BINARY_HEADER_BYTES);
  header[0] = kind;
  new DataView(header.buffer).setUint32(4, count, true);
  return header;
}

export interface BinaryFrame {
  readonly kind: number;
  readonly count: number;
  readonly payload: Uint8Array;
}

/** Splits a binary frame; undefined when it is shorter than the header. */
export function decodeBinaryFrame(buffer: ArrayBuffer): BinaryFrame | undefined {
  if (buffer.byteLength < BINARY_HEADER_BYTES) return undefined;
  const view = new DataView(buffer);
  return { kind: view.getUint8(0), count: view.getUint32(4, true), payload: new Uint8Array(buffer, BINARY_HEADER_BYTES) };
}
