// Command cnnLens.runPointingGame ("Run Pointing Game…", issue #9): model → images → annotations → class map →
// methods → output folder, then "Run here" (the CLI in a child process behind a cancellable notification; the
// extension host never blocks) or, where sbatch is on the PATH, "Run on Slurm…" (a sharded array and a merge job;
// the status bar follows it). Either way pointing.csv opens in an editor when the result is there. Arguments (tests,
// other extensions) skip their question: { modelId?, modelPath?, images?, annotations?, classMap?, methods?, out?,
// where?, slurm?, searchPath? } — searchPath replaces PATH when looking for sbatch. A call that names every input
// runs here unless `where` says otherwise.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import { modelChoices, modelFromArgs, rememberModel, type ExplainModelSource, type ModelChoice } from '../explain/modelChoices';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { pointingArgs, RESULT_FILE, type RunPlace, type SlurmOptions } from './clusterCommandLine';
import { runPointingHere } from './cliProcess';
import { pickAnnotations, pickClassMap, pickImagesFolder, pickMethods, pickOutputFolder, stepTitle } from './pointingPickers';
import type { SlurmJobMonitor } from './slurmJobMonitor';
import { askSlurmOptions, pickRunPlace, submitToSlurm } from './slurmSubmission';

export interface RunPointingArgs {
  modelId?: string;
  modelPath?: string;
  images?: string;
  annotations?: string;
  classMap?: string;
  methods?: string[];
  out?: string;
  where?: RunPlace;
  slurm?: Omit<SlurmOptions, 'node'>;
  searchPath?: string;
}

export type RunPointingResult =
  | { where: 'here'; out: string; result: string }
  | { where: 'slurm'; out: string; jobs: Array<{ name: string; id: string }> };

export interface RunPointingDeps {
  extensionPath: string;
  memento: vscode.Memento;
  out: CnnLensOutput;
  notifier: Notifier;
  models?: ExplainModelSource;
  monitor: SlurmJobMonitor;
}

function asArgs(arg: unknown): RunPointingArgs {
  if (arg instanceof vscode.Uri) return { modelPath: arg.fsPath };
  if (typeof arg !== 'object' || arg === null) return {};
  const a = arg as RunPointingArgs;
  if (a.methods !== undefined && !(Array.isArray(a.methods) && a.methods.every((m) => typeof m === 'string')))
    throw new EngineError('BAD_ARGUMENT', 'methods must be a list of method names.');
  if (a.where !== undefined && a.where !== 'here' && a.where !== 'slurm') throw new EngineError('BAD_ARGUMENT', `where is 'here' or 'slurm' (got '${String(a.where)}').`);
  return a;
}

async function pickPointingModel(choices: ModelChoice[]): Promise<ModelChoice | undefined> {
  type Item = vscode.QuickPickItem & { choice?: ModelChoice };
  const items: Item[] = choices.map((c, i) => ({
    label: c.name, detail: c.spec.path, choice: c, description: [c.description, i === 0 && choices.length > 1 ? 'last used' : ''].filter(Boolean).join(' · '),
  }));
  items.push({ label: '$(folder-opened) Browse for a model…', alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title: stepTitle(1, 'model'), placeHolder: 'Which model plays the pointing game?', matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.choice) return picked.choice;
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Models: ['json', 'onnx'] }, openLabel: 'Use this model' });
  const p = uris?.[0]?.fsPath;
  return p ? { key: p, name: p, spec: { path: p } } : undefined;
}

const mustExist = (what: string, p: string) => {
  if (!fs.existsSync(p)) throw new EngineError('BAD_ARGUMENT', `${what} not found: ${p}`);
  return p;
};

export async function openPointingCsv(resultFile: string): Promise<void> {
  const csv = path.join(path.dirname(resultFile), 'pointing.csv');
  await vscode.window.showTextDocument(vscode.Uri.file(fs.existsSync(csv) ? csv : resultFile), { preview: false });
}

export async function runPointingGame(arg: unknown, deps: RunPointingDeps): Promise<RunPointingResult | undefined> {
  const a = asArgs(arg);
  const model = modelFromArgs(a, deps.models) ?? await pickPointingModel(await modelChoices(deps.extensionPath, deps.memento, deps.models));
  if (!model) return undefined;
  await rememberModel(deps.memento, model, deps.models);
  const images = a.images ?? await pickImagesFolder();
  if (!images) return undefined;
  const annotations = a.annotations ?? await pickAnnotations(images);
  if (!annotations) return undefined;
  const classMap = a.classMap ?? await pickClassMap(deps.extensionPath);
  if (!classMap) return undefined;
  const methods = a.methods ?? await pickMethods();
  if (!methods?.length) return undefined;
  const out = a.out ?? await pickOutputFolder(images);
  if (!out) return undefined;
  const args = pointingArgs({
    model: model.spec, images: mustExist('Images folder', path.resolve(images)), annotations: mustExist('Annotations', path.resolve(annotations)),
    classMap: mustExist('Class map', path.resolve(classMap)), methods, out: path.resolve(out),
  });
  const given = [a.images, a.annotations, a.classMap, a.methods, a.out].every((v) => v !== undefined);
  const where = a.where ?? (given ? 'here' : await pickRunPlace(`Run Pointing Game: ${model.name} · ${methods.join(', ')}`, a.searchPath));
  if (!where) return undefined;
  const title = `pointing game ${model.name} · ${methods.join(', ')} on ${path.basename(path.dirname(path.resolve(images)))}`;

  if (where === 'here') {
    await runPointingHere(deps.extensionPath, args, deps.out, `CNN Lens: ${title}`);
    const result = path.join(path.resolve(out), RESULT_FILE.pointing);
    deps.out.info(`Pointing game done: ${result}`);
    await openPointingCsv(result);
    return { where, out: path.resolve(out), result };
  }
  const slurm = a.slurm ?? await askSlurmOptions(deps.memento, 'Run Pointing Game on Slurm');
  if (!slurm) return undefined;
  const jobs = await submitToSlurm(deps.extensionPath, args, slurm, deps.out, a.searchPath);
  deps.monitor.watch({ dir: path.resolve(out), kind: 'pointing', title, open: openPointingCsv });
  void vscode.window.showInformationMessage(`CNN Lens: submitted the ${title} as Slurm jobs ${jobs.map((j) => j.id).join(', ')}; progress in the status bar.`);
  return { where, out: path.resolve(out), jobs };
}
