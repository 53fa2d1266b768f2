import type {
  AudioEvents, AudioEventClass, CameraDetections, CameraIntrinsics, EgoState, LidarObjects, Modality, ObjectClass,
  TrackState,
} from '@sensorfuse/schemas';

/** One observation as the aligner carries it; `kind` says which topic it came from. */
export type FusionPayload =
  | { readonly kind: 'lidar'; readonly value: LidarObjects }
  | { readonly kind: 'camera'; readonly value: CameraDetections }
  | { readonly kind: 'audio'; readonly value: AudioEvents }
  | { readonly kind: 'motion'; readonly value: EgoState };

/** A 4×4 homogeneous transform, row-major (16 values): p_parent = T · p_child. */
export type Transform = Float64Array;

/** A camera of the rig with everything projection needs, resolved once per calibration version. */
export interface ResolvedCamera {
  readonly sensorId: string;
  readonly intrinsics: CameraIntrinsics;
  /** Camera → body. */
  readonly cameraToBody: Transform;
  /** Body → camera (inverse of cameraToBody). */
  readonly bodyToCamera: Transform;
}

/** The rig calibration valid at a frame's capture time, with the transforms precomputed. */
export interface ResolvedCalibration {
  readonly rigId: string;
  readonly version: number;
  readonly validFromUs: number;
  /** Frame of fused positions (the parent frame of every extrinsic), e.g. "base_link". */
  readonly bodyFrameId: string;
  readonly cameras: ReadonlyMap<string, ResolvedCamera>;
  /** Sensor → body transform of every sensor (LIDARs, microphones, IMU…). */
  readonly sensorToBody: ReadonlyMap<string, Transform>;
}

/** Tunables of association, fusion and tracking (the service schema documents each; defaults live there). */
export interface FusionParams {
  /** Smallest IoU of a projected LIDAR box and a camera box that may be matched. */
  readonly minIou: number;
  /** A projected box less visible than this (hidden behind nearer objects) is not matched in that camera. */
  readonly minVisibleFraction: number;
  /** LIDAR useful range, metres: unmatched camera boxes beyond it become camera-only objects at full weight. */
  readonly lidarMaxRangeM: number;
  /** Weight of an unmatched camera box whose estimated depth is inside LIDAR range (likely a false positive). */
  readonly cameraOnlyInRangeWeight: number;
  /** Base confidence of a LIDAR object with no other evidence (scaled by LIDAR reliability and point count). */
  readonly lidarOnlyConfidence: number;
  /** Points at which a LIDAR cluster's confidence saturates. */
  readonly lidarFullPoints: number;
  /** Audio bearing gate: this many standard deviations (at least minBearingGateRad). */
  readonly bearingGateSigma: number;
  readonly minBearingGateRad: number;
  /** Mahalanobis gate of the tracker, as a chi-square probability with 2 degrees of freedom. */
  readonly gateProbability: number;
  /** Hits before a tentative track is confirmed. */
  readonly confirmHits: number;
  /** A confirmed track without updates for longer than this becomes lost; tentative ones are deleted. */
  readonly lostAfterUs: number;
  /** A lost track without updates for longer than this is deleted. */
  readonly deleteAfterUs: number;
  /** Continuous white-acceleration noise density of the CV model per class family, m²/s³. */
  readonly accelNoiseVehicle: number;
  readonly accelNoisePedestrian: number;
  /** Position measurement standard deviation of a LIDAR-backed detection, metres. */
  readonly lidarPositionStdM: number;
  /** Relative depth standard deviation of a camera-only detection (fraction of depth). */
  readonly cameraDepthRelStd: number;
  /** Detections with a fused score below this do not start tracks. */
  readonly minStartScore: number;
  /**
   * A tentative track is confirmed only by a detection whose position standard deviation along its least certain
   * axis is at most this, metres (far camera-only boxes: the depth; LIDAR-backed ones pass).
   */
  readonly confirmMaxPositionStdM: number;
  /**
   * A camera-only box is placed at the range of the LIDAR fragment inside it closest to the box's own depth
   * estimate, if within this many of its standard deviations; 0 = fragments unused.
   */
  readonly fragmentGateSigma: number;
  /**
   * Per-class Platt scaling of camera detection scores, p = σ(a·logit(score) + b), applied where camera
   * detections enter the core; a class without an entry keeps its score. Fitted for the shipped detector by
   * src/eval/fit-camera-calibration.ts; a user's own model starts with none (`{}`).
   */
  readonly cameraScoreCalibration: CameraScoreCalibration;
  /**
   * Camera reliability below which darkness, noise and blur no longer lower a camera's weight: the reliability
   * fusion uses is max(reliability, cameraReliabilityFloor × (1 − blockage)) — a covered lens still counts for
   * nothing where it is covered.
   */
  readonly cameraReliabilityFloor: number;
}


/** Platt coefficients per detector class. */
export type CameraScoreCalibration = Readonly<Partial<Record<ObjectClass, { readonly a: number; readonly b: number }>>>;

/** Evidence one modality gave an object this frame. */
export interface ModalityEvidence {
  readonly modality: Modality;
  readonly sensorId: string;
  readonly objectClass: ObjectClass;
  readonly score: number;
  readonly reliability: number;
}

/** A fused object of one frame, in the body frame at the pivot time, before tracking. */
export interface FusedObject {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yawRad: number;
  readonly objectClass: ObjectClass;
  readonly score: number;
  readonly origin: 'lidar' | 'camera-only';
  readonly evidence: readonly ModalityEvidence[];
  /** Position covariance of the measurement in the body frame (xx, xy, yy), m². */
  readonly covXX: number;
  readonly covXY: number;
  readonly covYY: number;
}

/** One track kept between frames: plain numbers, so it serialises to JSON for a checkpoint. */
export interface TrackRecord {
  readonly id: number;
  readonly state: TrackState;
  /** CV filter state [x, y, vx, vy] in the tracking (world) frame and its 4×4 covariance. */
  readonly x: readonly number[];
  readonly p: readonly number[];
  readonly z: number;
  readonly length: number;
  readonly width: number;
  readonly height: number;
  readonly yawRad: number;
  /** Accumulated class evidence (decaying), by class. */
  readonly classScores: Readonly<Partial<Record<ObjectClass, number>>>;
  readonly score: number;
  readonly hits: number;
  readonly createdUs: number;
  readonly lastUpdateUs: number;
  /** Per-modality number of frames that updated this track. */
  readonly modalityHits: Readonly<Partial<Record<Modality, number>>>;
  readonly lastModalities: readonly Modality[];
}

/** Ego pose used to carry body-frame detections into the tracking frame. */
export interface EgoPose {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly yawRad: number;
  readonly vx: number;
  readonly vy: number;
  readonly yawRateRadS: number;
  readonly timeUs: number;
}

/** Everything the core keeps per rig between frames. JSON-serialisable (see serializeFusionState). */
export interface FusionState {
  readonly rigId: string;
  readonly nextTrackId: number;
  readonly nextSeq: number;
  readonly lastPivotTimeUs: number | null;
  readonly ego: EgoPose | null;
  /** Frame of the tracking state: the ego-state frame when motion has been seen, else the body frame. */
  readonly trackingFrameId: string | null;
  readonly tracks: readonly TrackRecord[];
}

export type FusionEventKind = 'siren-unseen' | 'modality-missing';

export interface FusionEvent {
  readonly kind: FusionEventKind;
  readonly modality: Modality;
  readonly sensorId: string;
  /** Bearing in the body frame, radians (siren-unseen). */
  readonly bearingRad: number | null;
  readonly score: number;
  readonly audioClass: AudioEventClass | null;
}

/** A track in the output, with what FusedDetections cannot carry (covariance summary, history). */
export interface TrackOutput {
  readonly trackId: number;
  readonly state: TrackState;
  readonly position: { readonly x: number; readonly y: number; readonly z: number };
  readonly extent: { readonly x: number; readonly y: number; readonly z: number };
  readonly yawRad: number;
  readonly velocity: { readonly x: number; readonly y: number; readonly z: number };
  readonly objectClass: ObjectClass;
  readonly score: number;
  readonly contributingModalities: readonly Modality[];
  readonly ageUs: number;
  /** Square roots of the position and velocity variances (x, y), metres and m/s. */
  readonly positionStdM: { readonly x: number; readonly y: number };
  readonly velocityStdMps: { readonly x: number; readonly y: number };
  /** Frames each modality updated this track so far. */
  readonly modalityHits: Readonly<Partial<Record<Modality, number>>>;
}

export type ModalityPresence = 'present' | 'missing' | 'late';

export interface FusionOutput {
  readonly rigId: string;
  readonly seq: number;
  readonly captureTimeUs: number;
  readonly publishTimeUs: number;
  /** Capture → emit latency of the frame, microseconds. */
  readonly latencyUs: number;
  readonly frameId: string;
  readonly calibrationVersion: number;
  readonly tracks: readonly TrackOutput[];
  /** Fused objects of this frame before tracking (body frame). */
  readonly detections: readonly FusedObject[];
  /** Per aligner input (e.g. `camera:cam_front`), present / missing / late. */
  readonly inputs: Readonly<Record<string, ModalityPresence>>;
  readonly presentModalities: readonly Modality[];
  readonly missingModalities: readonly Modality[];
  readonly lateModalities: readonly Modality[];
  readonly reliability: Readonly<Partial<Record<Modality, number>>>;
  readonly events: readonly FusionEvent[];
  /** Camera boxes matched to LIDAR objects, camera-only objects kept, audio events matched. */
  readonly counts: {
    readonly lidarObjects: number;
    readonly cameraBoxes: number;
    readonly cameraMatched: number;
    readonly cameraOnly: number;
    readonly audioEvents: number;
    readonly audioMatched: number;
  };
}
