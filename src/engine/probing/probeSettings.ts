// Hyper-parameters of the Net2Vec probes, defaulting to the released scripts' values (METHODS.md §5.5, §5.6).
import { EngineError } from '../errors';

export interface ProbeTraining {
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  /** Learn a bias b (off by default in both probes). */
  bias: boolean;
  /** Seed of the weight initialisation and (classification) of the negative sampling; each concept adds its label number. */
  seed: number;
}

export const SEGMENTATION_DEFAULTS: ProbeTraining = { epochs: 30, batchSize: 16, learningRate: 1e-4, momentum: 0.9, bias: false, seed: 0 };
export const CLASSIFICATION_DEFAULTS: ProbeTraining = { epochs: 30, batchSize: 64, learningRate: 1e-4, momentum: 0.9, bias: false, seed: 0 };

export function checkTraining(t: ProbeTraining, what: string): ProbeTraining {
  const bad = (m: string) => new EngineError('BAD_ARGUMENT', `${what}: ${m}`);
  if (!Number.isInteger(t.epochs) || t.epochs < 1) throw bad(`epochs must be a positive integer, got ${t.epochs}`);
  if (!Number.isInteger(t.batchSize) || t.batchSize < 1) throw bad(`batchSize must be a positive integer, got ${t.batchSize}`);
  if (!(t.learningRate > 0) || !Number.isFinite(t.learningRate)) throw bad(`learningRate must be positive, got ${t.learningRate}`);
  if (!(t.momentum >= 0 && t.momentum < 1)) throw bad(`momentum must be in [0, 1), got ${t.momentum}`);
  if (!Number.isInteger(t.seed) || t.seed < 0) throw bad(`seed must be a non-negative integer, got ${t.seed}`);
  return t;
}
