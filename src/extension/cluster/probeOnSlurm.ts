// "Run here / Run on Slurm…" for "Probe Concepts…" (issue #9): where sbatch is on the PATH, the probe may run as a
// sharded Slurm job (stats array → thresholds merge → concepts array → table merge, docs/cluster.md) instead of in
// this window's engine worker; the status bar follows it and the merged probe.json opens in the Concepts panel.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProbeSettingsInput } from '../../engine/probing/probeTypes';
import type { ModelChoice } from '../explain/modelChoices';
import type { CnnLensOutput } from '../output';
import { probeArgs, type RunPlace, type SlurmOptions } from './clusterCommandLine';
import { slurmJobMonitor } from './slurmJobMonitor';
import { askSlurmOptions, pickRunPlace, submitToSlurm } from './slurmSubmission';

/**
 * The arguments of cnnLens.probeConcepts this step reads (anything given skips its question). A call that names its
 * dataset and probe kind (an API caller, a test) runs here unless `where` says otherwise.
 */
export interface ProbePlaceArgs { where?: RunPlace; slurm?: Omit<SlurmOptions, 'node'>; out?: string; searchPath?: string; dataset?: unknown; kind?: unknown }

export interface ProbeJobChoice {
  model: ModelChoice;
  layer: string;
  dataset: string;
  kind: string;
  concepts?: string[];
  categories?: string[];
  settings?: Partial<ProbeSettingsInput>;
}

export interface ProbeOnSlurmDeps {
  extensionPath: string;
  memento: vscode.Memento;
  out: CnnLensOutput;
  /** Opens the merged probe.json (in the Concepts panel). */
  open: (resultFile: string) => Promise<void>;
}

/** 'here' to probe in this window; undefined when the user backed out or the job went to Slurm. */
export async function probeOnSlurm(a: ProbePlaceArgs, j: ProbeJobChoice, deps: ProbeOnSlurmDeps): Promise<'here' | undefined> {
  const where = a.where ?? (a.dataset !== undefined && a.kind !== undefined ? 'here' : await pickRunPlace(`Probe Concepts: ${j.model.name} · ${j.layer}`, a.searchPath));
  if (where !== 'slurm') return where;
  const monitor = slurmJobMonitor();
  if (!monitor) throw new Error('The Slurm job monitor is not running.');
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(j.dataset);
  const out = a.out ?? await vscode.window.showInputBox({
    title: 'Probe Concepts on Slurm: job folder', prompt: 'Shards, thresholds and probe.json go here (a folder every node sees)',
    value: path.join(base, `probe-${j.layer}-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`.replace(/[^\w./-]+/g, '_')),
    validateInput: (t) => (t.trim() ? undefined : 'A folder path'),
  });
  if (!out) return undefined;
  const dir = path.resolve(base, out.trim());
  const s = j.settings ?? {};
  const args = probeArgs({
    model: j.model.spec, dataset: j.dataset, layer: j.layer, kind: j.kind, concepts: j.concepts, categories: j.categories, out: dir,
    quantile: s.quantile, seed: s.segmentation?.seed ?? s.classification?.seed, epochs: s.segmentation?.epochs ?? s.classification?.epochs,
    filtersNeeded: s.filtersNeeded, batchSize: s.batchSize,
  });
  const slurm = a.slurm ?? await askSlurmOptions(deps.memento, 'Probe Concepts on Slurm');
  if (!slurm) return undefined;
  const jobs = await submitToSlurm(deps.extensionPath, args, slurm, deps.out, a.searchPath);
  const title = `probe ${j.model.name} · ${j.layer} on ${path.basename(j.dataset)}`;
  monitor.watch({ dir, kind: 'probe', title, open: deps.open });
  void vscode.window.showInformationMessage(`CNN Lens: submitted the ${title} as Slurm jobs ${jobs.map((x) => x.id).join(', ')}; progress in the status bar.`);
  return undefined;
}
