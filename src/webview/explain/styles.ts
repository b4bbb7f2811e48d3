// The Explain panel's stylesheet, adopted as a constructable stylesheet (no inline <style>, so the CSP needs no
// 'unsafe-inline'). Only VS Code theme variables: light, dark and high-contrast themes all apply.
export const PANEL_CSS = `
:root { color-scheme: light dark; }
/* Native controls (slider tracks, scrollbars) follow the VS Code theme, not the browser's preference. */
body.vscode-light, body.vscode-high-contrast-light { color-scheme: light; }
body.vscode-dark, body.vscode-high-contrast:not(.vscode-high-contrast-light) { color-scheme: dark; }
[hidden] { display: none !important; }
body { padding: 0 12px 24px; color: var(--vscode-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
.toolbar { position: sticky; top: 0; z-index: 2; display: flex; gap: 8px; align-items: center; padding: 8px 0;
  background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-panel-border, transparent); }
.toolbar h1 { font-size: 1.1em; font-weight: 600; margin: 0; flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.notice { color: var(--vscode-descriptionForeground); min-height: 1.4em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 14px; margin-top: 10px; align-items: start; }
.card { border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, rgba(128,128,128,.35)));
  border-radius: 6px; padding: 10px 12px; background: var(--vscode-sideBar-background, var(--vscode-editor-background)); min-width: 0;
  container-type: inline-size; }
.card-body { display: grid; grid-template-columns: 1fr; column-gap: 18px; }
.card-body .col { min-width: 0; }
@container (min-width: 620px) { .card-body { grid-template-columns: minmax(280px, 1.1fr) minmax(240px, 1fr); } .card-body .col + .col h3:first-child { margin-top: 10px; } }
.stage.live { max-width: 520px; }
.card header { display: grid; grid-template-columns: 1fr auto; column-gap: 8px; align-items: start; }
.card header h2 { font-size: 1.05em; margin: 0; overflow-wrap: anywhere; }
.card header .sub { grid-column: 1; }
.card header vscode-button { grid-column: 2; grid-row: 1 / span 2; }
.sub { color: var(--vscode-descriptionForeground); font-size: .92em; }
h3 { font-size: .95em; margin: 14px 0 6px; font-weight: 600; }
.stage { position: relative; margin: 10px 0 6px; display: grid; gap: 6px; }
.stage.dual { grid-template-columns: 1fr 1fr; }
.stage canvas, .stage img { width: 100%; height: auto; aspect-ratio: 1 / 1; object-fit: fill; display: block;
  image-rendering: auto; border-radius: 4px; background: var(--vscode-editorWidget-background); }
.stage.live { display: block; }
.stage.live .live-mask { position: absolute; inset: 0; background: transparent; }
.placeholder { aspect-ratio: 1/1; display: grid; place-items: center; color: var(--vscode-descriptionForeground);
  border: 1px dashed var(--vscode-widget-border, rgba(128,128,128,.5)); border-radius: 4px; }
.legend-row { display: flex; align-items: center; gap: 6px; font-size: .85em; color: var(--vscode-descriptionForeground); }
.legend { flex: 1; height: 8px; border-radius: 4px; border: 1px solid var(--vscode-widget-border, transparent); }
.controls { display: flex; flex-wrap: wrap; gap: 8px 14px; margin-top: 8px; align-items: center; }
.control { display: flex; align-items: center; gap: 6px; }
.control label { color: var(--vscode-foreground); min-width: 5.6em; }
.control output { min-width: 3.2em; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
.control vscode-single-select { min-width: 110px; }
/* The link colour is made to stand out on the editor background in every theme (≥ 3:1 for a control, WCAG 1.4.11);
   the button background does not (#0078d4 on Dark Modern's cards is 2.5:1, black on black in high contrast). */
input[type=range] { accent-color: var(--vscode-textLink-foreground, var(--vscode-button-background)); width: 110px; }
input[type=range]:focus-visible, vscode-button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
.chart { position: relative; height: 190px; }
table { border-collapse: collapse; width: 100%; }
td, th { padding: 2px 6px 2px 0; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { color: var(--vscode-descriptionForeground); font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.preds tr.target td:first-child { font-weight: 600; color: var(--vscode-textLink-foreground); }
.bar-cell { width: 35%; }
.bar { height: 8px; border-radius: 2px; background: var(--vscode-charts-blue, var(--vscode-button-background)); margin-top: 5px; }
.settings td:first-child { color: var(--vscode-descriptionForeground); width: 40%; }
vscode-collapsible { margin-top: 12px; }
.exports { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 12px; }
.error { color: var(--vscode-errorForeground); white-space: pre-wrap; }
.empty { color: var(--vscode-descriptionForeground); }
vscode-progress-bar { margin-top: 6px; }
`;
