// What `activate` returns: a small API for the integration tests (and other extensions), read-only by intent.
import type { EngineClient } from './engineClient';
import type { ShownNotification } from './notifier';

export interface CnnLensApi {
  engineClient: EngineClient;
  /** Lines written to the CNN Lens output channel since activation (most recent 5000). */
  outputLines(): string[];
  /** Notifications shown since activation (most recent 50). */
  notifications(): ShownNotification[];
}
