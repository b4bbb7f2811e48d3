// Theme colours for the panels' Chart.js charts: read from VS Code's CSS variables on every redraw, so a theme switch
// recolours the chart (shared by the Explain panel's area chart and the Concepts panel's filters-needed curve).
import type { Chart, ChartType } from 'chart.js';

/** A VS Code theme colour (CSS variable on the body), or `fallback` outside VS Code. */
export const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

/** Colours the legend, both axes' ticks and titles with `fg`, and the grid with the widget border colour. */
export function applyAxisTheme<T extends ChartType, D>(chart: Chart<T, D>, fg: string): void {
  const o = chart.options!;
  o.color = fg;
  for (const axis of ['x', 'y'] as const) {
    const s = o.scales![axis]! as { ticks: { color?: string }; title: { color?: string }; grid: { color?: string } };
    s.ticks.color = fg;
    s.title.color = fg;
    s.grid.color = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  }
}
