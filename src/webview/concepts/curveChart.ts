// The filters-needed curve (METHODS.md §5.7): the probe's val score when retrained on only its top-F filters by |w|,
// against F (log scale), with the p-of-full target as a dashed line and the filters needed marked. chart.js, in
// theme colours, re-coloured when the theme changes.
import { Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip } from 'chart.js';
import type { ProbeKindName } from '../conceptsPanelProtocol';
import { curveTarget } from './tableModel';
import { applyAxisTheme, css } from '../chartTheme';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

/** A theme colour without its alpha (#rrggbbaa → #rrggbb): the marker of the filters needed must not fade into the grid. */
const opaque = (c: string) => (/^#[0-9a-f]{8}$/i.test(c) ? c.slice(0, 7) : /^#[0-9a-f]{4}$/i.test(c) ? c.slice(0, 4) : c.replace(/^rgba\(([^,]+),([^,]+),([^,]+),[^)]*\)$/, 'rgb($1,$2,$3)'));

export interface CurveData {
  kind: ProbeKindName;
  curve: { filters: number; score: number | null }[];
  needed?: number;
  fraction: number;
}

type Point = { x: number; y: number };

export class CurveChart {
  private readonly chart: Chart<'line', Point[]>;

  constructor(canvas: HTMLCanvasElement, private readonly data: CurveData) {
    this.chart = new Chart(canvas, { type: 'line', data: { datasets: [] }, options: this.options() });
    this.retheme();
  }

  retheme(): void {
    const fg = css('--vscode-foreground', '#ccc');
    const blue = css('--vscode-charts-blue', '#3794ff');
    const orange = opaque(css('--vscode-charts-orange', '#d18616'));
    const grey = css('--vscode-descriptionForeground', '#999');
    const { kind, curve, needed, fraction } = this.data;
    const points = curve.filter((p) => p.score !== null).map((p) => ({ x: p.filters, y: p.score as number }));
    const target = curveTarget(kind, curve, fraction);
    const xs = points.map((p) => p.x);
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
    const mark = points.find((p) => p.x === needed);
    this.chart.data.datasets = [
      {
        label: kind === 'segmentation' ? 'set IoU (val)' : 'accuracy (val)', data: points, borderColor: blue, backgroundColor: blue,
        pointRadius: 3, pointStyle: 'circle' as const, tension: 0, borderWidth: 2, order: 1,
      },
      // The filters needed, as a point of its own so the legend names it; drawn on top (lowest order).
      ...(mark ? [{
        label: `needed: ${mark.x} filter${mark.x === 1 ? '' : 's'}`, data: [mark], borderColor: orange, backgroundColor: orange,
        pointRadius: 6, pointHoverRadius: 7, pointStyle: 'circle' as const, showLine: false, order: 0, pointBorderColor: fg, pointBorderWidth: 1,
      }] : []),
      ...(target !== null && points.length ? [{
        label: `${Math.round(fraction * 100)} % of the full probe`, data: [{ x: lo, y: target }, { x: hi, y: target }],
        borderColor: grey, backgroundColor: grey, borderDash: [5, 4], pointRadius: 0, borderWidth: 1.5, pointStyle: 'line' as const, order: 2,
      }] : []),
    ];
    applyAxisTheme(this.chart, fg);
    this.chart.update('none');
  }

  destroy(): void {
    this.chart.destroy();
  }

  private tickValues(): number[] {
    const k = Math.max(1, ...this.data.curve.map((p) => p.filters));
    const out: number[] = [];
    for (let f = 1; f < k; f *= 2) out.push(f);
    if (k / out[out.length - 1] < 1.3 && out.length > 1) out.pop(); // keep K's label clear of its neighbour
    return [...out, k];
  }

  private options() {
    return {
      responsive: true, maintainAspectRatio: false, animation: false as const, parsing: false as const,
      // Room for the enlarged "needed" point when it is the last one (K) or at the top of the scale.
      layout: { padding: { right: 8, top: 6 } },
      plugins: {
        // Point styles in the legend: a dashed line for the target, a dot for the curve (a dashed box reads as a blob).
        legend: { position: 'bottom' as const, labels: { boxWidth: 18, boxHeight: 8, usePointStyle: true } },
        tooltip: { callbacks: { title: (items: { parsed: { x: number | null } }[]) => `top ${items[0]?.parsed.x ?? 0} filters`, label: (i: { dataset: { label?: string }; parsed: { y: number | null } }) => `${i.dataset.label}: ${Number(i.parsed.y).toFixed(3)}` } },
      },
      scales: {
        x: {
          // The log scale's default labels only show mantissas 1, 2 and 5; every chosen tick is a filter count to read.
          type: 'logarithmic' as const, title: { display: true, text: 'filters (top |w|)' }, ticks: { callback: (v: number | string) => String(v) }, grid: {},
          // Powers of two up to K, and K: the log scale's own ticks (1…9, 10, 20, …) do not fit filter counts.
          afterBuildTicks: (axis: { ticks: { value: number }[] }) => { axis.ticks = this.tickValues().map((value) => ({ value })); },
        },
        y: { type: 'linear' as const, title: { display: true, text: this.data.kind === 'segmentation' ? 'set IoU' : 'accuracy' }, ticks: {}, grid: {} },
      },
    };
  }
}
