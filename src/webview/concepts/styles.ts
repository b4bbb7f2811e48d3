// The Concepts panel's stylesheet, on top of the Explain panel's (same theme variables, toolbar, buttons and
// tables), adopted as a constructable stylesheet so the CSP needs no 'unsafe-inline'.
import { PANEL_CSS } from '../explain/styles';

export const CONCEPTS_CSS = `${PANEL_CSS}
.summary { color: var(--vscode-descriptionForeground); font-size: .92em; margin: 6px 0 2px; overflow-wrap: anywhere; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin: 8px 0; }
.filters vscode-textfield { min-width: 180px; }
.filters vscode-single-select { min-width: 140px; }
.filters .spacer { flex: 1; }
.layout { display: grid; grid-template-columns: 1fr; gap: 14px; container-type: inline-size; }
@media (min-width: 1000px) { .layout { grid-template-columns: minmax(520px, 1.25fr) minmax(360px, 1fr); align-items: start; } }
.table-wrap { overflow: auto; max-height: calc(100vh - 150px); border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, rgba(128,128,128,.35))); border-radius: 4px; }
table.concepts { border-collapse: separate; border-spacing: 0; }
table.concepts th, table.concepts td { padding: 3px 8px; border-bottom: 1px solid var(--vscode-widget-border, rgba(128,128,128,.18)); overflow-wrap: normal; white-space: nowrap; }
table.concepts thead th { position: sticky; top: 0; z-index: 1; background: var(--vscode-editorWidget-background, var(--vscode-editor-background)); }
table.concepts th button { all: unset; cursor: pointer; color: var(--vscode-foreground); font-weight: 600; }
table.concepts th button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
table.concepts th[aria-sort=ascending] button::after { content: ' ▲'; font-size: .75em; }
table.concepts th[aria-sort=descending] button::after { content: ' ▼'; font-size: .75em; }
table.concepts tbody tr { cursor: pointer; }
table.concepts tbody tr:hover { background: var(--vscode-list-hoverBackground); }
table.concepts tbody tr[aria-selected=true] { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
table.concepts tbody tr:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
table.concepts td.concept { font-weight: 600; }
table.concepts td.muted, .muted { color: var(--vscode-descriptionForeground); }
tr[aria-selected=true] td.muted { color: inherit; }
.gain-pos { color: var(--vscode-charts-green, #89d185); }
.gain-neg { color: var(--vscode-charts-red, #f14c4c); }
tr[aria-selected=true] .gain-pos, tr[aria-selected=true] .gain-neg { color: inherit; }
.detail { border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, rgba(128,128,128,.35))); border-radius: 6px;
  padding: 10px 12px; background: var(--vscode-sideBar-background, var(--vscode-editor-background)); min-width: 0; }
.detail h2 { font-size: 1.05em; margin: 0; }
.scores td:first-child { color: var(--vscode-descriptionForeground); width: 55%; }
table.weights { table-layout: fixed; }
.weights td.filter { width: 4.5em; }
.weights td.bar-cell { width: auto; }
.wbar { position: relative; height: 10px; }
.wbar .axis { position: absolute; left: 50%; top: -2px; bottom: -2px; width: 1px; background: var(--vscode-descriptionForeground); opacity: .6; }
.wbar .bar { position: absolute; top: 1px; height: 8px; margin: 0; border-radius: 2px; }
.wbar .bar.neg { background: var(--vscode-charts-red, #f14c4c); }
.examples { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 8px; }
.examples figure { margin: 0; }
.examples canvas { width: 100%; height: auto; aspect-ratio: 1 / 1; display: block; border-radius: 3px; image-rendering: pixelated;
  background: var(--vscode-editorWidget-background); }
.examples figcaption { font-size: .85em; color: var(--vscode-descriptionForeground); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.key { display: flex; gap: 14px; font-size: .85em; color: var(--vscode-descriptionForeground); margin: 4px 0 6px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
.nearest li { margin: 2px 0; }
.nearest a { color: var(--vscode-textLink-foreground); cursor: pointer; }
.nearest a:hover { text-decoration: underline; }
.notes { color: var(--vscode-editorWarning-foreground, var(--vscode-descriptionForeground)); font-size: .9em; }
.busy { margin: 12px 0; }
.busy:empty { display: none; }
.notice:empty { min-height: 0; }
.filters .control label { min-width: 0; }
table.weights td.num { width: 5.5em; padding-right: 12px; }
.busy .row { display: flex; gap: 10px; align-items: center; }
`;
