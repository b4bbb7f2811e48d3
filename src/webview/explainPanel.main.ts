// Front end of the Explain panel (bundled to dist/webview/explainPanel.js). Builds the cards from the persisted
// state, says "ready" (the extension then re-sends everything it holds), and validates every message it receives.
// State goes through setState after each change, so the panel survives hiding and a window reload.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { el } from './explain/dom';
import { DEFAULT_VIEW, ExplanationCard, type CardView } from './explain/explanationCard';
import { PANEL_CSS } from './explain/styles';
import {
  PANEL_STATE_VERSION, validateState, validateToPanel,
  type ExplanationEntry, type FromPanelMessage, type PanelState, type ToPanelMessage,
} from './explainPanelProtocol';

interface VsCodeApi { postMessage(m: FromPanelMessage): void; getState(): unknown; setState(s: PanelState): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const sheet = new CSSStyleSheet();
sheet.replaceSync(PANEL_CSS);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const state: PanelState = validateState(vscode.getState()) ?? { version: PANEL_STATE_VERSION, imagePath: '', entries: [], views: {} };
const cards = new Map<string, ExplanationCard>();
const post = (m: FromPanelMessage) => vscode.postMessage(m);
const save = () => vscode.setState(state);

const title = el('h1', { attrs: { 'data-testid': 'panel-title' } });
const notice = el('div', { cls: 'notice', attrs: { role: 'status', 'data-testid': 'notice' } });
const compare = el('vscode-button', { attrs: { title: 'Explain this image again with another method, class or model, side by side', 'data-testid': 'compare' } }, 'Compare…');
const grid = el('div', { cls: 'cards', attrs: { 'data-testid': 'cards' } });
const app = document.getElementById('app')!;
app.replaceChildren(el('div', { cls: 'toolbar' }, title, compare), notice, grid);
compare.addEventListener('click', () => { const first = state.entries[0]?.id ?? [...cards.keys()][0]; if (first) post({ type: 'compare', id: first }); });

let pendingImageName = '';

function refreshChrome() {
  const name = state.entries[0]?.imageName ?? pendingImageName;
  title.textContent = name ? `Explanations of ${name}` : 'Explanations';
  (compare as HTMLElement).hidden = cards.size === 0;
  if (!cards.size) grid.replaceChildren(el('p', { cls: 'empty' }, 'No explanations. Right-click an image and choose "Explain Image with This Model…".'));
  else grid.querySelector('.empty')?.remove();
}

const actions = {
  cancel: (id: string) => post({ type: 'cancel', id }),
  remove: (id: string) => { post({ type: 'remove', id }); dropCard(id); },
  copyCli: (id: string) => post({ type: 'copyCli', id }),
  exportJson: (id: string) => post({ type: 'exportJson', id }),
  exportPng: (id: string, kind: 'overlay' | 'mask', png: string) => post({ type: 'exportPng', id, kind, png }),
  viewChanged: (id: string, view: CardView) => { state.views[id] = { ...view }; save(); },
};

function cardFor(id: string): ExplanationCard {
  let c = cards.get(id);
  if (!c) {
    const view = { ...DEFAULT_VIEW, ...(state.views[id] as Partial<CardView> | undefined) };
    c = new ExplanationCard(id, view, actions);
    cards.set(id, c);
    grid.querySelector('.empty')?.remove();
    grid.append(c.root);
  }
  return c;
}

function dropCard(id: string) {
  cards.get(id)?.destroy();
  cards.delete(id);
  state.entries = state.entries.filter((e) => e.id !== id);
  delete state.views[id];
  save();
  refreshChrome();
}

function addResult(entry: ExplanationEntry) {
  const c = cardFor(entry.id);
  if (c.isSettled) return; // entries never change; a re-sent one is already shown
  c.settle(entry);
  state.entries = [...state.entries.filter((e) => e.id !== entry.id), entry];
  state.imagePath = entry.imagePath;
  save();
  refreshChrome();
}

function receive(m: ToPanelMessage) {
  switch (m.type) {
    case 'started': pendingImageName = m.entry.imageName; cardFor(m.entry.id).showPending(m.entry); refreshChrome(); break;
    case 'progress': cards.get(m.update.id)?.progress(m.update); break;
    case 'result': addResult(m.entry); break;
    case 'failed':
      if (m.cancelled) dropCard(m.id);
      else cards.get(m.id)?.failed(m.message);
      break;
    case 'notice': notice.textContent = m.message; break;
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  let m: ToPanelMessage;
  try { m = validateToPanel(ev.data); } catch (e) { console.warn(`[cnn-lens] ${(e as Error).message}`); return; }
  receive(m);
});

// Theme changes swap the body class; the chart reads its colours from CSS variables, so it is redrawn.
new MutationObserver(() => { for (const c of cards.values()) c.retheme(); }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

for (const e of state.entries) cardFor(e.id).settle(e);
refreshChrome();
post({ type: 'ready' });
