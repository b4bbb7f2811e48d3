// "Run here" or "Run on Slurm…" (issue #9), the few questions a submission needs (array size, partition, time) and
// the submission itself: `dist/cli.js slurm pointing|probe … --submit` writes the sbatch scripts into the job folder,
// submits the array and its merge job, and prints the job ids.
import * as vscode from 'vscode';
import type { CnnLensOutput } from '../output';
import { checkArraySize, checkTimeLimit, findExecutable, nodeForJobs, parseSubmitted, runPlaces, slurmArgs, type RunPlace, type SlurmOptions } from './clusterCommandLine';
import { runCli } from './cliProcess';

export interface PlaceItem extends vscode.QuickPickItem { place: RunPlace }

/** The choices offered; "Run on Slurm…" only when sbatch is on the search path (process PATH unless given). */
export function placeItems(searchPath: string | undefined = process.env.PATH): PlaceItem[] {
  const sbatch = findExecutable('sbatch', searchPath);
  return runPlaces(searchPath).map((place): PlaceItem => place === 'here'
    ? { place, label: '$(play) Run here', detail: 'In a background process on this machine, with a cancellable progress notification' }
    : { place, label: '$(server-process) Run on Slurm…', detail: `A sharded job array and a merge job, submitted with ${sbatch}; progress in the status bar` });
}

/** Asks only when there is a choice. */
export async function pickRunPlace(title: string, searchPath?: string): Promise<RunPlace | undefined> {
  const items = placeItems(searchPath);
  if (items.length === 1) return items[0].place;
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'Where should the job run?' }))?.place;
}

const LAST_KEY = 'cnnLens.cluster.lastSlurmOptions';

/** Array size, partition and time limit; the last answers are proposed again. */
export async function askSlurmOptions(memento: vscode.Memento, title: string): Promise<Omit<SlurmOptions, 'node'> | undefined> {
  const last = memento.get<{ array?: number; partition?: string; time?: string }>(LAST_KEY, {});
  const array = await vscode.window.showInputBox({
    title: `${title}: shards`, prompt: 'How many array tasks (shards) should share the work?', value: String(last.array ?? 8), validateInput: checkArraySize,
  });
  if (array === undefined) return undefined;
  const partition = await vscode.window.showInputBox({ title: `${title}: partition`, prompt: 'Slurm partition (empty: the cluster\'s default)', value: last.partition ?? '' });
  if (partition === undefined) return undefined;
  const time = await vscode.window.showInputBox({
    title: `${title}: time limit`, prompt: 'Time limit per task, e.g. 04:00:00 (empty: the partition\'s default)', value: last.time ?? '', validateInput: checkTimeLimit,
  });
  if (time === undefined) return undefined;
  const o = { array: Number(array.trim()), partition: partition.trim() || undefined, time: time.trim() || undefined };
  await memento.update(LAST_KEY, o);
  return o;
}

/** Submits `slurm <commandArgs> …` (sbatch looked up on searchPath); resolves with the submitted job ids. */
export async function submitToSlurm(extensionPath: string, commandArgs: string[], o: Omit<SlurmOptions, 'node'>, out: CnnLensOutput,
  searchPath: string | undefined = process.env.PATH): Promise<Array<{ name: string; id: string }>> {
  const node = nodeForJobs(process.execPath, !!process.versions.electron, searchPath);
  if (!node) throw new Error('The Slurm scripts need a node binary on the PATH (VS Code\'s own runtime cannot run there); install Node.js 20 or run from a Remote-SSH window.');
  const args = slurmArgs(commandArgs, { ...o, node });
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'CNN Lens: submitting to Slurm…' },
    () => runCli(extensionPath, args, out, { env: { PATH: searchPath } }));
  const ids = parseSubmitted(r.stdout);
  if (!ids.length) throw new Error(`sbatch reported no job id: ${r.stdout.trim()}`);
  out.info(`Submitted ${ids.map((j) => `${j.name} as job ${j.id}`).join(', ')}.`);
  return ids;
}
