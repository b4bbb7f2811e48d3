// The status bar item of submitted Slurm jobs (issue #9): polls `dist/cli.js status DIR --json` (progress read from the
// shards' partial files, so it works from any machine that sees the job folder), shows done/total items of the running
// phase, and opens the merged result once it appears. A job whose Slurm jobs all left the queue without a merged
// result is reported once, with the command that resumes it. Watched jobs are kept in the workspace state, so a
// window reload (or reconnecting a Remote-SSH window) goes on watching them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError, type Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { RESULT_FILE, summarizeStatus, type JobKind, type JobSummary, type StatusJson } from './clusterCommandLine';
import { cliPath, runCli } from './cliProcess';

export interface WatchedJob {
  /** The job folder (the --out of `slurm pointing|probe`). */
  dir: string;
  kind: JobKind;
  /** Shown in the tooltip and the messages. */
  title: string;
  /** Opens the merged result (RESULT_FILE[kind] in dir). */
  open: (resultFile: string) => Promise<void>;
}

interface Watch { job: WatchedJob; summary?: JobSummary; seenQueued: boolean; emptyPolls: number }

export const SHOW_JOBS_COMMAND = 'cnnLens.cluster.showJobs';
const DEFAULT_POLL_MS = 15_000;
const STATE_KEY = 'cnnLens.cluster.watchedJobs';
/** Polls with no queued job and no result before the job counts as ended unfinished (the merge may just be writing). */
const EMPTY_POLLS_BEFORE_FAILED = 2;

let current: SlurmJobMonitor | undefined;
/** The monitor registered by registerClusterFeatures (the probe flow submits through it). */
export const slurmJobMonitor = (): SlurmJobMonitor | undefined => current;
export const setSlurmJobMonitor = (m: SlurmJobMonitor | undefined): void => { current = m; };

export class SlurmJobMonitor implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cnnLens.slurmJobs', vscode.StatusBarAlignment.Left, 50);
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  /**
   * `state` keeps the watched jobs across window reloads; `reopen` opens the result of a job restored from there (its
   * own `open` was a closure of the window that submitted it).
   */
  constructor(private readonly extensionPath: string, private readonly out: CnnLensOutput, private readonly notifier: Notifier,
    private readonly state?: vscode.Memento, reopen?: Record<JobKind, (resultFile: string) => Promise<void>>, private readonly pollMs = DEFAULT_POLL_MS) {
    this.item.name = 'CNN Lens: Slurm jobs';
    this.item.command = SHOW_JOBS_COMMAND;
    const saved = state?.get<Array<Omit<WatchedJob, 'open'>>>(STATE_KEY, []) ?? [];
    if (reopen) for (const j of saved) if (j && typeof j.dir === 'string' && (j.kind === 'pointing' || j.kind === 'probe')) this.watch({ ...j, open: reopen[j.kind] });
  }

  watch(job: WatchedJob): void {
    this.watches.set(path.resolve(job.dir), { job, seenQueued: false, emptyPolls: 0 });
    this.save();
    this.render();
    this.item.show();
    this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    void this.poll();
  }

  /** Watched jobs and their last summaries (the status bar's tooltip; also read by the integration tests). */
  jobs(): Array<{ dir: string; kind: JobKind; title: string; summary?: JobSummary }> {
    return [...this.watches.values()].map((w) => ({ dir: w.job.dir, kind: w.job.kind, title: w.job.title, summary: w.summary }));
  }

  get statusText(): string { return this.item.text; }

  stop(dir: string): void {
    this.watches.delete(path.resolve(dir));
    this.save();
    this.render();
  }

  private save(): void {
    void this.state?.update(STATE_KEY, [...this.watches.values()].map(({ job: { dir, kind, title } }) => ({ dir, kind, title })));
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [key, w] of [...this.watches]) {
        let s: StatusJson;
        try {
          s = JSON.parse((await runCli(this.extensionPath, ['status', w.job.dir, '--json'], this.out, { quiet: true })).stdout) as StatusJson;
        } catch (e) {
          this.out.warn(`Slurm job ${w.job.title}: status failed: ${describeError(e)}`);
          continue;
        }
        w.summary = summarizeStatus(w.job.kind, s);
        if (w.summary.finished) {
          this.watches.delete(key);
          const file = path.join(w.job.dir, RESULT_FILE[w.job.kind]);
          this.out.info(`Slurm job ${w.job.title} finished: ${file}`);
          try { await w.job.open(file); } catch (e) { this.notifier.error(`Opening the result of ${w.job.title}`, e); }
          continue;
        }
        if (w.summary.queued) { w.seenQueued = true; w.emptyPolls = 0; } else if (w.seenQueued) w.emptyPolls++;
        if (w.emptyPolls >= EMPTY_POLLS_BEFORE_FAILED) {
          this.watches.delete(key);
          this.notifier.warning(`The Slurm job ${w.job.title} left the queue without a merged result (${w.summary.text}). ` +
            `Resume it with: node ${cliPath(this.extensionPath)} slurm resume ${w.job.dir} --submit`);
        }
      }
    } finally {
      this.polling = false;
      this.save();
      this.render();
    }
  }

  /** The quick pick behind the status bar item: each job's progress; picking one stops watching it or opens its folder. */
  async showJobs(): Promise<void> {
    const items = this.jobs().map((j) => ({ label: j.title, description: j.summary?.text ?? 'waiting for status', detail: j.dir, dir: j.dir }));
    if (!items.length) { void vscode.window.showInformationMessage('CNN Lens: no Slurm job is being watched.'); return; }
    const picked = await vscode.window.showQuickPick(items, { title: 'CNN Lens: Slurm jobs', placeHolder: 'Pick a job to reveal its folder or stop watching it' });
    if (!picked) return;
    const action = await vscode.window.showQuickPick(['Reveal the job folder', 'Stop watching'], { title: picked.label });
    if (action === 'Stop watching') this.stop(picked.dir);
    else if (action) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(picked.dir));
  }

  private render(): void {
    const ws = [...this.watches.values()];
    if (!ws.length) {
      this.item.hide();
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const first = ws[0].summary;
    this.item.text = `$(server-process) ${first?.text ?? `${ws[0].job.kind} submitted`}${ws.length > 1 ? ` (+${ws.length - 1})` : ''}`;
    this.item.tooltip = ws.map((w) => `${w.job.title}: ${w.summary?.text ?? 'submitted'}${w.summary?.queued ? ` · ${w.summary.queued} Slurm jobs queued` : ''}\n${w.job.dir}`).join('\n\n');
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watches.clear();
    this.item.dispose();
  }
}
