// `npm run demo`: explains the bundled model's decisions on the bundled images and writes a self-contained HTML
// report (overlays, scores, the area–score curve of extremal perturbation), then prints where it is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineHost } from '../engine/host/engineHost';
import type { ExplainResult } from '../engine/worker/protocol';
import { rgbPng } from '../engine/render/overlay';
import { fileNameOf, writeExplanation } from './explainCommand';

export interface DemoEntry { file: string; class?: string; label?: string; }

const AREAS = [0.05, 0.1, 0.2, 0.4];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** TorchRay's extremal defaults are for 224 px; the mask step and smoothing scale with the input. */
export function extremalSettingsFor(size: number, iterations: number): Record<string, unknown> {
  const k = size / 224;
  return { areas: AREAS, maxIter: iterations, step: Math.max(1, Math.round(7 * k)), sigma: Math.max(1, 21 * k) };
}

/** The area–score curve as inline SVG: the target's score on the preserved region against the region's area. */
export function areaCurveSvg(areas: number[], scores: number[], original: number): string {
  const W = 260, H = 150, P = 32;
  const hi = Math.max(original, ...scores), lo = Math.min(0, ...scores);
  const x = (a: number) => P + (a / Math.max(...areas)) * (W - 2 * P);
  const y = (s: number) => H - P - ((s - lo) / (hi - lo || 1)) * (H - 2 * P);
  const pts = areas.map((a, i) => `${x(a).toFixed(1)},${y(scores[i]).toFixed(1)}`).join(' ');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="score of the preserved region against its area">
<line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" class="axis"/><line x1="${P}" y1="${P / 2}" x2="${P}" y2="${H - P}" class="axis"/>
<line x1="${P}" x2="${W - P}" y1="${y(original).toFixed(1)}" y2="${y(original).toFixed(1)}" class="ref"/>
<polyline points="${pts}" class="curve"/>${areas.map((a, i) => `<circle cx="${x(a).toFixed(1)}" cy="${y(scores[i]).toFixed(1)}" r="3"/>`).join('')}
${areas.map((a) => `<text x="${x(a).toFixed(1)}" y="${H - P + 14}" text-anchor="middle">${(a * 100).toFixed(0)}%</text>`).join('')}
<text x="${W - P}" y="${(y(original) - 4).toFixed(1)}" text-anchor="end" class="reflabel">full image ${original.toFixed(2)}</text>
<text x="4" y="12">score</text><text x="${W - P}" y="${H - 4}" text-anchor="end">area kept</text></svg>`;
}

export async function writeDemoReport(host: EngineHost, modelPath: string, imageDir: string, entries: DemoEntry[], out: string,
  iterations: number, signal: AbortSignal): Promise<string> {
  fs.mkdirSync(out, { recursive: true });
  const sections: string[] = [];
  for (const e of entries) {
    const image = { kind: 'file' as const, path: path.join(imageDir, e.file) };
    const pred = await host.request({ type: 'predict', model: { path: modelPath }, image, top: 3 }, { signal });
    const size = pred.model.inputShape[0];
    const runs: ExplainResult[] = [];
    for (const [method, settings] of [['extremal', extremalSettingsFor(size, iterations)], ['gradcam', {}]] as const) {
      const r = await host.request({ type: 'explain', model: { path: modelPath }, image, method, settings }, { signal });
      await writeExplanation(path.join(out, path.parse(e.file).name, method), r);
      runs.push(r);
      process.stdout.write(`  ${e.file}: ${method} for '${r.targetLabel}' in ${(r.elapsedMs / 1000).toFixed(1)} s\n`);
    }
    const base = path.parse(e.file).name;
    fs.writeFileSync(path.join(out, base, 'input.png'), await rgbPng(runs[0].image));
    const [ep, cam] = runs;
    const truth = e.label ?? e.class;
    const img = (rel: string, alt: string) => `<figure><img src="${esc(rel)}" alt="${esc(alt)}" width="192" height="192"><figcaption>${esc(alt)}</figcaption></figure>`;
    sections.push(`<section><h2>${esc(e.file)}${truth ? ` <small>ground truth: ${esc(truth)}</small>` : ''}</h2>
<table><tr><th>class</th><th>probability</th></tr>${pred.predictions.map((p) => `<tr><td>${esc(p.label)}</td><td>${(p.probability * 100).toFixed(1)} %</td></tr>`).join('')}</table>
<div class="row">${img(`${base}/input.png`, 'input')}${ep.maps.map((m) => img(`${base}/extremal/${fileNameOf(m.name)}.png`, `extremal, area ${((m.area ?? 0) * 100).toFixed(0)}%`)).join('')}
${img(`${base}/gradcam/gradcam.png`, `Grad-CAM (${String(cam.settings.layer)})`)}</div>
<div class="row"><div>${areaCurveSvg(AREAS, ep.scores.preserved ?? [], ep.scores.original)}</div>
<p>Extremal perturbation keeps the smallest region of each area that preserves the score of <b>${esc(ep.targetLabel)}</b>
(${iterations} iterations, ${(ep.elapsedMs / 1000).toFixed(1)} s on ${ep.backend}). Preserved scores:
${AREAS.map((a, i) => `${(a * 100).toFixed(0)}% → ${(ep.scores.preserved?.[i] ?? NaN).toFixed(2)}`).join(', ')}; full image ${ep.scores.original.toFixed(2)}.</p></div>
</section>`);
  }
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CNN Lens demo report</title><style>
body{font:14px system-ui,sans-serif;margin:24px;max-width:1300px;color:#222;background:#fafafa}
@media (prefers-color-scheme: dark){body{color:#ddd;background:#1e1e1e}svg text{fill:#ccc}.axis{stroke:#aaa}}
h2 small{font-weight:normal;color:#888;margin-left:8px} .row{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-start}
figure{margin:0}figcaption{font-size:12px;color:#888;text-align:center} img{image-rendering:pixelated;border-radius:4px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #8884}
svg text{font-size:10px;fill:#555}.axis{stroke:#555}.ref{stroke:#999;stroke-dasharray:4 3}.curve{fill:none;stroke:#e8590c;stroke-width:2}
circle{fill:#e8590c} section{margin-bottom:32px} p{max-width:520px}
</style></head><body><h1>CNN Lens demo report</h1>
<p>Bundled model <code>${esc(modelPath)}</code>; bundled images. Each image: the model's top classes, extremal perturbation
(METHODS §1) masks at several areas with the area–score curve, and Grad-CAM (METHODS §3.5).</p>
${sections.join('\n')}</body></html>`;
  const file = path.join(out, 'report.html');
  fs.writeFileSync(file, html);
  return file;
}
