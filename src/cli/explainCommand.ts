// `cli explain`: runs one attribution method and writes explanation.json, one float32 file per map and PNG overlays.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineHost } from '../engine/host/engineHost';
import type { ExplainResult } from '../engine/worker/protocol';
import { overlayPng } from '../engine/render/overlay';
import { imageSource, modelSpec, numbersList, positiveInt, UsageError, type Flags } from './args';

const METHODS = ['extremal', 'meaningful', 'gradient', 'guided', 'deconvnet', 'gradcam', 'linear', 'rise', 'occlusion'] as const;

/** Where a method names a generic CLI flag differently. */
const RENAMED: Partial<Record<string, Record<string, string>>> = { extremal: { iterations: 'maxIter' } };
/** Methods that draw no random numbers: `--seed` is accepted (scripts pass it uniformly) and has no effect. */
const DETERMINISTIC = new Set(['extremal', 'gradient', 'guided', 'deconvnet', 'gradcam', 'linear', 'occlusion']);

/** CLI flags → method settings (names as the methods define them). Unset flags keep the method's defaults. */
export function explainSettings(f: Flags, method = 'extremal'): Record<string, unknown> {
  const generic = genericSettings(f);
  if (DETERMINISTIC.has(method)) delete generic.seed;
  const renamed = RENAMED[method] ?? {};
  return Object.fromEntries(Object.entries(generic).map(([k, v]) => [renamed[k] ?? k, v]));
}

function genericSettings(f: Flags): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  if (f.settings !== undefined) {
    // Any method setting by its own name, e.g. --settings '{"numLevels":4,"jitter":false}'; flags below override.
    let extra: unknown;
    try { extra = JSON.parse(f.settings as string); } catch (e) { throw new UsageError(`--settings is not valid JSON: ${(e as Error).message}`); }
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new UsageError('--settings must be a JSON object of method settings');
    Object.assign(s, extra);
  }
  if (f.areas !== undefined) s.areas = numbersList('areas', f.areas as string);
  if (f.variant !== undefined) s.variant = f.variant;
  if (f.perturbation !== undefined) s.perturbation = f.perturbation;
  if (f.reward !== undefined) s.reward = f.reward;
  if (f.iterations !== undefined) s.iterations = positiveInt('iterations', f.iterations, 1);
  if (f.layer !== undefined) s.layer = f.layer;
  if (f.seed !== undefined) {
    const n = Number(f.seed);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed must be a non-negative integer (got '${f.seed}')`);
    s.seed = n;
  }
  return s;
}

export const fileNameOf = (mapName: string) => mapName.replace(/[^\w.-]+/g, '_');

export async function writeExplanation(out: string, r: ExplainResult): Promise<string[]> {
  fs.mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const maps = [];
  for (const m of r.maps) {
    const base = fileNameOf(m.name);
    const data = m.data instanceof Float32Array ? m.data : new Float32Array(m.data);
    fs.writeFileSync(path.join(out, `${base}.f32`), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    maps.push({ name: m.name, ...(m.area !== undefined ? { area: m.area } : {}), width: m.width, height: m.height, file: `${base}.f32` });
    if (m.width === r.image.width && m.height === r.image.height) {
      fs.writeFileSync(path.join(out, `${base}.png`), await overlayPng(r.image, { ...m, data }));
      written.push(`${base}.png`);
    }
  }
  const json = {
    method: r.method, target: r.target, targetLabel: r.targetLabel, backend: r.backend, settings: r.settings,
    elapsedMs: r.elapsedMs, scores: r.scores, maps, model: { name: r.model.name, path: r.model.path },
  };
  fs.writeFileSync(path.join(out, 'explanation.json'), JSON.stringify(json, null, 1));
  return ['explanation.json', ...written];
}

export async function explain(f: Flags, host: EngineHost, signal: AbortSignal): Promise<void> {
  const method = (f.method as string | undefined) ?? 'extremal';
  if (!(METHODS as readonly string[]).includes(method)) throw new UsageError(`--method is one of ${METHODS.join(', ')} (got '${method}')`);
  if (!f.out) throw new UsageError('explain needs --out DIR');
  let target: number | undefined;
  if (f.target !== undefined) {
    target = Number(f.target);
    if (!Number.isInteger(target) || target < 0) throw new UsageError(`--target must be a class index ≥ 0 (got '${f.target}')`);
  }
  const request = { type: 'explain' as const, model: modelSpec(f), image: imageSource(f), method: method as (typeof METHODS)[number], target, settings: explainSettings(f, method) };
  let last = 0;
  const r = await host.request(request, {
    signal,
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 1000 && p.step + 1 < p.total) return;
      last = now;
      const terms = p.terms ? ' ' + Object.entries(p.terms).map(([k, v]) => `${k}=${v.toPrecision(4)}`).join(' ') : '';
      process.stderr.write(`  ${method} ${p.step + 1}/${p.total}${terms}\n`);
    },
  });
  const files = await writeExplanation(path.resolve(f.out as string), r);
  process.stdout.write(`${r.method} for class ${r.target} (${r.targetLabel}) in ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.backend}; ` +
    `original score ${r.scores.original.toFixed(3)}\nwrote ${files.map((x) => path.join(f.out as string, x)).join(', ')}\n`);
}
