// The area–score curve of extremal perturbation (METHODS §1.1): the class score of the preserved (and, for the
// delete/dual variants, the deleted) image against the mask's area, with the unperturbed score for reference.
// A real chart.js line chart, in theme colours, re-coloured when the theme changes.
import {
  CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from 'chart.js';
import { applyAxisTheme, css } from '../chartTheme';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);

export interface AreaCurve {
  areas: number[];
  preserved?: number[];
  deleted?: number[];
  original: number;
}

/** The curve's points for one series, sorted by area (the engine returns them in the order the areas were given). */
export function curvePoints(areas: number[], scores: number[] | undefined): { x: number; y: number }[] {
  if (!scores || scores.length !== areas.length) return [];
  return areas.map((a, i) => ({ x: a, y: scores[i] })).sort((p, q) => p.x - q.x);
}

export class AreaChart {
  private chart: Chart<'line', { x: number; y: number }[]>;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly curve: AreaCurve, selectedArea: number) {
    this.chart = new Chart(canvas, { type: 'line', data: { datasets: [] }, options: this.options() });
    this.update(selectedArea);
  }

  update(selectedArea: number): void {
    const fg = css('--vscode-foreground', '#ccc');
    const blue = css('--vscode-charts-blue', '#3794ff');
    const red = css('--vscode-charts-red', '#f14c4c');
    const grey = css('--vscode-descriptionForeground', '#999');
    const { areas, original } = this.curve;
    const xs = [...areas].sort((a, b) => a - b);
    const radius = (p: { x: number }) => (Math.abs(p.x - selectedArea) < 1e-9 ? 6 : 3);
    const series = [
      { label: 'preserved region', data: curvePoints(areas, this.curve.preserved), color: blue },
      { label: 'deleted region', data: curvePoints(areas, this.curve.deleted), color: red },
    ].filter((s) => s.data.length);
    this.chart.data.datasets = [
      ...series.map((s) => ({
        label: s.label, data: s.data, borderColor: s.color, backgroundColor: s.color,
        pointRadius: s.data.map(radius), pointHoverRadius: 7, tension: 0, borderWidth: 2,
      })),
      {
        label: 'whole image', data: [{ x: xs[0] ?? 0, y: original }, { x: xs[xs.length - 1] ?? 1, y: original }],
        borderColor: grey, backgroundColor: grey, borderDash: [5, 4], pointRadius: 0, borderWidth: 1.5,
      },
    ];
    applyAxisTheme(this.chart, fg);
    this.chart.update('none');
  }

  destroy(): void {
    this.chart.destroy();
  }

  private options() {
    const fmtPct = (v: number | string) => `${Math.round(Number(v) * 100)}%`;
    return {
      responsive: true, maintainAspectRatio: false, animation: false as const,
      parsing: false as const,
      plugins: {
        legend: { position: 'bottom' as const, labels: { boxWidth: 12 } },
        tooltip: { callbacks: { title: (items: any[]) => `area ${fmtPct(items[0]?.parsed.x ?? 0)}`, label: (i: any) => `${i.dataset.label}: ${Number(i.parsed.y).toFixed(3)}` } },
      },
      scales: {
        x: { type: 'linear' as const, title: { display: true, text: 'area of the mask' }, ticks: { callback: fmtPct }, grid: {} },
        y: { type: 'linear' as const, title: { display: true, text: 'class score (logit)' }, ticks: {}, grid: {} },
      },
    };
  }
}
