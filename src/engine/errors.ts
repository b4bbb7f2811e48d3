// Errors the engine reports to its callers by `code`, so the CLI and the extension can show clear messages.
export type EngineErrorCode =
  | 'MODEL_NOT_FOUND' | 'MODEL_CORRUPT' | 'MODEL_SHARD_MISSING' | 'MODEL_SHARD_TRUNCATED' | 'MODEL_NOT_IMAGE_CNN'
  | 'MODEL_UNSUPPORTED' | 'IMAGE_NOT_FOUND' | 'IMAGE_UNREADABLE' | 'IMAGE_TOO_LARGE' | 'INPUT_INVALID'
  | 'BAD_ARGUMENT' | 'CANCELLED' | 'WORKER_CRASHED' | 'BACKEND_UNAVAILABLE' | 'INTERNAL';

export class EngineError extends Error {
  constructor(public readonly code: EngineErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

export class CancelledError extends EngineError {
  constructor(message = 'Cancelled') {
    super('CANCELLED', message);
  }
}
