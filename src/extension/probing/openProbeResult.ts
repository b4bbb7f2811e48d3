// Opens a probe.json — written by `cli probe --out DIR`, or merged by a sharded Slurm job (issue #9) — in a Concepts
// panel, so results computed elsewhere are browsed like this window's own.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { ProbeResult } from '../../engine/probing/probeTypes';
import type { ConceptsReport } from '../../webview/conceptsPanelProtocol';
import { modelName } from '../explain/modelChoices';
import { ConceptsPanel, type ConceptsPanelDeps } from './conceptsPanel';

export async function openProbeResult(arg: unknown, deps: ConceptsPanelDeps): Promise<ConceptsReport | undefined> {
  let file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Probe result': ['json'] }, openLabel: 'Open in the Concepts panel' });
    file = picked?.[0]?.fsPath;
    if (!file) return undefined;
  }
  let result: ProbeResult;
  try {
    result = JSON.parse(await fs.promises.readFile(file, 'utf8')) as ProbeResult;
  } catch (e) {
    throw new EngineError('INPUT_INVALID', `${file} is not a readable JSON file: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!result || !Array.isArray(result.concepts) || typeof result.layer !== 'string' || !result.model?.path || !result.dataset || !result.activations || !Array.isArray(result.units))
    throw new EngineError('INPUT_INVALID', `${file} is not a probe result (the probe.json \`cli probe --out\` writes).`);
  const name = modelName({ path: result.model.path });
  const panel = ConceptsPanel.create(deps, ConceptsPanel.title(name, result.layer));
  try {
    return panel.show(result, name);
  } catch (e) {
    panel.panel.dispose();
    throw new EngineError('INPUT_INVALID', `${file} does not hold a valid probe result: ${e instanceof Error ? e.message : String(e)}`);
  }
}
