// Reads a method's partial settings into complete, validated values, so that bad input fails with a clear message
// before any work starts (AttributionMethod.resolveSettings). Settings may arrive from the CLI or a webview as
// strings, so numeric strings are accepted.
import { EngineError } from '../../errors';

export type PartialSettings = Record<string, unknown>;

/** Rejects keys the method does not know (a typo would otherwise be silently ignored). */
export function rejectUnknownKeys(method: string, partial: PartialSettings, known: readonly string[]): void {
  const unknown = Object.keys(partial).filter((k) => partial[k] !== undefined && !known.includes(k));
  if (unknown.length)
    throw new EngineError('BAD_ARGUMENT', `${method}: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}. Valid settings: ${known.join(', ') || 'none'}.`);
}

export interface NumberRule {
  /** Inclusive bounds unless `exclusiveMin` is set. */
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  integer?: boolean;
}

/** A numeric setting: `fallback` when absent, else a finite number within the rule. */
export function numberSetting(method: string, partial: PartialSettings, key: string, fallback: number, rule: NumberRule = {}): number {
  const raw = partial[key];
  if (raw === undefined || raw === null) return fallback;
  const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  const bad = (why: string) => new EngineError('BAD_ARGUMENT', `${method}: '${key}' ${why}, got ${JSON.stringify(raw)}.`);
  if (!Number.isFinite(v)) throw bad('must be a number');
  if (rule.integer && !Number.isInteger(v)) throw bad('must be an integer');
  if (rule.min !== undefined && (rule.exclusiveMin ? v <= rule.min : v < rule.min))
    throw bad(`must be ${rule.exclusiveMin ? '>' : '≥'} ${rule.min}`);
  if (rule.max !== undefined && v > rule.max) throw bad(`must be ≤ ${rule.max}`);
  return v;
}

/** A string setting: `fallback` when absent or empty. */
export function stringSetting(method: string, partial: PartialSettings, key: string, fallback: string): string {
  const raw = partial[key];
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (typeof raw !== 'string') throw new EngineError('BAD_ARGUMENT', `${method}: '${key}' must be a string, got ${JSON.stringify(raw)}.`);
  return raw;
}
