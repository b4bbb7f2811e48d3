// Every attribution method the engine offers, by name. The CLI, the panels and the benchmarks look methods up here.
import { EngineError } from '../errors';
import type { AttributionMethod, MethodName } from './attributionMethod';

const methods = new Map<MethodName, AttributionMethod<any>>();

export function registerMethods(ms: AttributionMethod<any>[]): void {
  for (const m of ms) methods.set(m.name, m);
}

export function getMethod(name: string): AttributionMethod<any> {
  const m = methods.get(name as MethodName);
  if (!m) throw new EngineError('BAD_ARGUMENT', `Unknown or unavailable method '${name}'. Available: ${[...methods.keys()].join(', ') || 'none'}`);
  return m;
}

export function methodNames(): MethodName[] {
  return [...methods.keys()];
}
