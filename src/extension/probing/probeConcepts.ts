// Command cnnLens.probeConcepts ("Probe Concepts…", issue #5): model → layer → dataset folder → concepts → probe
// kinds, then NetDissect + Net2Vec in the engine worker behind a cancellable progress notification (the extension
// host stays responsive), and the Concepts panel. Arguments: { modelId?, modelPath? } from the CodeLens and the
// Models view, plus { layer?, dataset?, concepts?, categories?, kind?, settings? } for tests and other extensions;
// anything given skips its picker. Resolves with the panel's report (or undefined when the user backed out).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { ProbeKind, ProbeSettingsInput } from '../../engine/probing/probeTypes';
import type { ConceptsReport } from '../../webview/conceptsPanelProtocol';
import type { EngineClient } from '../engineClient';
import { modelChoices, modelFromArgs, rememberModel, type ExplainModelSource } from '../explain/modelChoices';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { probeOnSlurm, type ProbePlaceArgs } from '../cluster/probeOnSlurm';
import { ConceptsPanel, type ConceptsPanelDeps } from './conceptsPanel';
import { outlineDataset } from './datasetConcepts';
import { pickConcepts, pickDataset, pickKind, pickProbeLayer, pickProbeModel, rememberDataset, type ConceptSelection } from './probePickers';

export interface ProbeConceptsArgs extends ProbePlaceArgs {
  modelId?: string;
  modelPath?: string;
  layer?: string;
  dataset?: string | vscode.Uri;
  concepts?: string[];
  categories?: string[];
  kind?: ProbeKind;
  /** Any other probe settings (epochs, fraction, …), passed to the engine, which checks them. */
  settings?: Partial<ProbeSettingsInput>;
}

export interface ProbeDeps {
  extensionUri: vscode.Uri;
  /** The extension's global storage folder: the activation cache lives there. */
  storageDir: string;
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
  memento: vscode.Memento;
  models?: ExplainModelSource;
  panel: ConceptsPanelDeps;
  /** Opens a probe.json in a Concepts panel (a Slurm job's merged result). */
  openResult(file: string): Promise<void>;
}

const KINDS: readonly ProbeKind[] = ['segmentation', 'classification', 'both'];

function asArgs(arg: unknown): ProbeConceptsArgs {
  if (arg instanceof vscode.Uri) return { modelPath: arg.fsPath };
  if (typeof arg !== 'object' || arg === null) return {};
  const a = arg as ProbeConceptsArgs;
  const strings = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
  if (a.layer !== undefined && typeof a.layer !== 'string') throw new EngineError('BAD_ARGUMENT', 'layer must be a layer name.');
  if (!strings(a.concepts) || !strings(a.categories)) throw new EngineError('BAD_ARGUMENT', 'concepts and categories must be lists of names.');
  if (a.kind !== undefined && !KINDS.includes(a.kind)) throw new EngineError('BAD_ARGUMENT', `kind is segmentation, classification or both (got '${String(a.kind)}').`);
  return a;
}

export async function probeConcepts(arg: unknown, deps: ProbeDeps): Promise<ConceptsReport | undefined> {
  const args = asArgs(arg);
  const model = modelFromArgs(args, deps.models) ?? await pickProbeModel(await modelChoices(deps.extensionUri.fsPath, deps.memento, deps.models));
  if (!model) return undefined;
  await rememberModel(deps.memento, model, deps.models);

  let layer = args.layer;
  if (layer === undefined) {
    const { model: info } = await deps.engineClient.withProgress(`Loading ${model.name}`, { type: 'loadModel', model: model.spec });
    layer = await pickProbeLayer(info);
    if (!layer) return undefined;
  }

  const datasetArg = typeof args.dataset === 'string' ? args.dataset : args.dataset?.fsPath;
  const folder = datasetArg ?? await pickDataset(deps.memento);
  if (!folder) return undefined;
  const root = path.isAbsolute(folder) || !vscode.workspace.workspaceFolders?.length
    ? path.resolve(folder) : path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, folder);
  const outline = await outlineDataset(root);
  await rememberDataset(deps.memento, root);

  let selection: ConceptSelection | undefined = args.concepts || args.categories ? { concepts: args.concepts, categories: args.categories } : undefined;
  selection ??= await pickConcepts(outline);
  if (!selection) return undefined;
  const kind = args.kind ?? await pickKind(outline);
  if (!kind) return undefined;

  const settings: ProbeSettingsInput = {
    ...args.settings, layer, kind,
    ...(selection.concepts?.length ? { concepts: selection.concepts } : {}),
    ...(selection.categories?.length ? { categories: selection.categories } : {}),
    cacheDir: args.settings?.cacheDir ?? path.join(deps.storageDir, 'activations'),
  };
  // Issue #9: where sbatch is on the PATH, "Run on Slurm…" beside "Run here" (src/extension/cluster/probeOnSlurm.ts).
  const place = await probeOnSlurm(args, { model, layer, dataset: root, kind, ...selection, settings: args.settings }, {
    extensionPath: deps.extensionUri.fsPath, memento: deps.memento, out: deps.out,
    // The merged probe.json, checked like any probe result opened from disk.
    open: deps.openResult,
  });
  if (place !== 'here') return undefined;

  const panel = ConceptsPanel.create(deps.panel, ConceptsPanel.title(model.name, layer));
  return await panel.run({ modelName: model.name, model: model.spec, dataset: { path: root, format: outline.format }, settings });
}
