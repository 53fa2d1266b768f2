import { SensorfuseError, type ErrorContext } from '@sensorfuse/errors';

/** A configuration or start-up fault of a model: retrying cannot help, the operator must fix a file. */
export abstract class ModelError extends SensorfuseError {
  readonly retriable = false;
}

/** The .onnx file (or its model card) does not exist where the configuration says. */
export class ModelNotFoundError extends ModelError {
  constructor(readonly path: string, what: 'model' | 'model card', cause?: unknown) {
    super(`${what} file not found: expected a readable file at ${path}`, { cause, context: { path } });
  }
}

/** The model card is not valid JSON of the expected shape, or disagrees with the model itself. */
export class ModelCardError extends ModelError {
  constructor(message: string, context: ErrorContext, cause?: unknown) {
    super(message, { cause, context });
  }
}

/** onnxruntime could not load the model (corrupt file, unsupported opset). */
export class ModelLoadError extends ModelError {
  constructor(readonly path: string, detail: string) {
    super(`onnxruntime could not load ${path}: ${detail}`, { context: { path } });
  }
}

/** A caller passed a tensor whose name, element type or shape disagrees with the model card. */
export class InputShapeError extends SensorfuseError {
  readonly retriable = false;
  constructor(message: string, context: ErrorContext) {
    super(message, { context });
  }
}

/** onnxruntime failed while running a request (the input passed validation). */
export class InferenceRunError extends SensorfuseError {
  readonly retriable = false;
  constructor(model: string, detail: string) {
    super(`inference of ${model} failed: ${detail}`, { context: { model } });
  }
}

/** More requests are waiting than the pool's queue allows: shed load and retry later. */
export class PoolSaturatedError extends SensorfuseError {
  readonly retriable = true;
  constructor(model: string, maxQueued: number) {
    super(`inference queue of ${model} is full (${String(maxQueued)} waiting)`, { context: { model, maxQueued } });
  }
}

/** The pool was closed, or a worker thread died; the pool must be reopened. */
export class PoolClosedError extends SensorfuseError {
  readonly retriable = false;
  constructor(model: string, reason: string) {
    super(`inference pool of ${model} is closed: ${reason}`, { context: { model } });
  }
}
