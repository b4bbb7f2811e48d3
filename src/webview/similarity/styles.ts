// The Similarity panel's stylesheet, adopted as a constructable stylesheet (no inline <style>, so the CSP needs no
// 'unsafe-inline'). Only VS Code theme variables: light, dark and high-contrast themes all apply.
export const SIMILARITY_CSS = `
:root { color-scheme: light dark; }
body { padding: 0 12px 24px; color: var(--vscode-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
.toolbar { position: sticky; top: 0; z-index: 3; display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; padding: 8px 0;
  background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-panel-border, transparent); }
.toolbar h1 { font-size: 1.1em; font-weight: 600; margin: 0; flex: 1 1 200px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0 4px; }
.control { display: flex; align-items: center; gap: 6px; max-width: 100%; min-width: 0; }
.control label { white-space: nowrap; }
.control output { min-width: 3em; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
/* Fixed width: in a narrow panel a select must not run past the edge. */
.control vscode-single-select { width: 170px; min-width: 0; flex: 0 1 auto; }
input[type=range] { accent-color: var(--vscode-button-background); width: 100px; }
input[type=range]:focus-visible, vscode-button:focus-visible, .remove:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
.legend-row { display: flex; align-items: center; gap: 6px; font-size: .85em; color: var(--vscode-descriptionForeground); min-width: 220px; flex: 0 1 320px; }
.legend { flex: 1; height: 10px; border-radius: 3px; border: 1px solid var(--vscode-widget-border, transparent); }
/* Fixed height: text changing on hover must not move the tiles under the pointer. */
.status { color: var(--vscode-descriptionForeground); height: 2.8em; line-height: 1.4em; overflow: hidden; margin: 4px 0; font-variant-numeric: tabular-nums; }
.status.error { color: var(--vscode-errorForeground); white-space: pre-wrap; }
.layers { display: grid; gap: 16px; align-items: start; margin-top: 6px; }
.layer h2 { font-size: 1em; font-weight: 600; margin: 6px 0; }
.layer h2 .sub { font-weight: normal; color: var(--vscode-descriptionForeground); margin-left: 6px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(var(--tile, 150px), 1fr)); gap: 10px; }
.tile { margin: 0; min-width: 0; border-radius: 4px; outline: none; }
.tile:focus-visible .stage { outline: 2px solid var(--vscode-focusBorder); outline-offset: 1px; }
.tile.probe .stage { box-shadow: 0 0 0 2px var(--vscode-charts-yellow, #cca700); }
.stage { position: relative; aspect-ratio: 1 / 1; cursor: crosshair; touch-action: none; border-radius: 4px; overflow: hidden;
  background: var(--vscode-editorWidget-background); }
.stage canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
.stage canvas.overlay { image-rendering: pixelated; pointer-events: none; }
.tile figcaption { display: flex; align-items: center; gap: 4px; font-size: .9em; margin-top: 3px; }
.tile figcaption .name { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tile figcaption .value { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
.remove { background: none; border: none; color: var(--vscode-icon-foreground, var(--vscode-foreground)); cursor: pointer; padding: 0 4px;
  border-radius: 3px; font-size: 1.1em; line-height: 1; }
.remove:hover { background: var(--vscode-toolbar-hoverBackground, rgba(128,128,128,.2)); }
.empty { color: var(--vscode-descriptionForeground); }
body.dragging .layers, body.dragging .empty { outline: 2px dashed var(--vscode-focusBorder); outline-offset: 4px; }
vscode-progress-bar { margin-top: 4px; }
`;
