// The status bar item of submitted Slurm jobs (issue #9): polls `dist/cli.js status DIR --json` (progress read from the
// shards' partial files, so it works from any machine that sees the job folder), shows done/total items of the running
// phase, and opens the merged result once it appears. A job whose Slurm jobs all left the queue without a merged
// result (a task cancelled, failed or out of time) is reported once and stays listed as stopped: "Resume on Slurm"
// resubmits only its unfinished shards (`slurm resume DIR --submit`) and watches it again. Watched jobs are kept in
// the workspace state, so a window reload (or reconnecting a Remote-SSH window) goes on watching them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError, type Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import {
  afterPoll, parseSubmitted, restorableJobs, RESULT_FILE, summarizeStatus, type JobKind, type JobSummary, type SavedJob, type StatusJson, type WatchProgress,
} from './clusterCommandLine';
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

/** A stopped job (its Slurm jobs left the queue without a merged result) is still polled: a resume from a shell restarts it. */
interface Watch extends WatchProgress { job: WatchedJob; summary?: JobSummary }

export const SHOW_JOBS_COMMAND = 'cnnLens.cluster.showJobs';
const DEFAULT_POLL_MS = 15_000;
const STATE_KEY = 'cnnLens.cluster.watchedJobs';
const RESUME = 'Resume on Slurm';

let current: SlurmJobMonitor | undefined;
/** The monitor registered by registerClusterFeatures (the probe flow submits through it). */
export const slurmJobMonitor = (): SlurmJobMonitor | undefined => current;
export const setSlurmJobMonitor = (m: SlurmJobMonitor | undefined): void => { current = m; };

export class SlurmJobMonitor implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cnnLens.slurmJobs', vscode.StatusBarAlignment.Left, 50);
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** After dispose (window closing or reloading) nothing is saved: a poll still running must not erase the list. */
  private disposed = false;

  /**
   * `state` keeps the watched jobs across window reloads; `reopen` opens the result of a job restored from there (its
   * own `open` was a closure of the window that submitted it).
   */
  constructor(private readonly extensionPath: string, private readonly out: CnnLensOutput, private readonly notifier: Notifier,
    private readonly state?: vscode.Memento, reopen?: Record<JobKind, (resultFile: string) => Promise<void>>, private readonly pollMs = DEFAULT_POLL_MS) {
    this.item.name = 'CNN Lens: Slurm jobs';
    this.item.command = SHOW_JOBS_COMMAND;
    // A restored job keeps whether its Slurm jobs were seen queued, so one that ended unfinished while the window was
    // closed is still reported (with the resume command) instead of being watched forever.
    if (reopen) for (const j of restorableJobs(state?.get(STATE_KEY))) {
      this.watch({ dir: j.dir, kind: j.kind, title: j.title, open: reopen[j.kind] }, { seenQueued: !!j.seenQueued, stopped: !!j.stopped });
    }
  }

  watch(job: WatchedJob, restored: { seenQueued: boolean; stopped: boolean } = { seenQueued: false, stopped: false }): void {
    if (this.disposed) return;
    this.watches.set(path.resolve(job.dir), { job, ...restored, emptyPolls: 0 });
    this.save();
    this.render();
    this.item.show();
    this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    void this.poll();
  }

  /** Watched jobs and their last summaries (the status bar's tooltip; also read by the integration tests). */
  jobs(): Array<{ dir: string; kind: JobKind; title: string; summary?: JobSummary; stopped: boolean }> {
    return [...this.watches.values()].map((w) => ({ dir: w.job.dir, kind: w.job.kind, title: w.job.title, summary: w.summary, stopped: w.stopped }));
  }

  get statusText(): string { return this.item.text; }

  stop(dir: string): void {
    this.watches.delete(path.resolve(dir));
    this.save();
    this.render();
  }

  private save(): void {
    if (this.disposed) return;
    const saved: SavedJob[] = [...this.watches.values()].map(({ job: { dir, kind, title }, seenQueued, stopped }) => ({ dir, kind, title, seenQueued, stopped }));
    void this.state?.update(STATE_KEY, saved);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [key, w] of [...this.watches]) {
        if (this.disposed) return;
        let s: StatusJson;
        try {
          s = JSON.parse((await runCli(this.extensionPath, ['status', w.job.dir, '--json'], this.out, { quiet: true })).stdout) as StatusJson;
        } catch (e) {
          this.out.warn(`Slurm job ${w.job.title}: status failed: ${describeError(e)}`);
          continue;
        }
        // Disposed while `status` ran, or the job was dropped meanwhile ("Stop watching"): its result is not ours to open.
        if (this.disposed || this.watches.get(key) !== w) continue;
        w.summary = summarizeStatus(w.job.kind, s);
        if (w.summary.finished) {
          this.watches.delete(key);
          const file = path.join(w.job.dir, RESULT_FILE[w.job.kind]);
          this.out.info(`Slurm job ${w.job.title} finished: ${file}`);
          try { await w.job.open(file); } catch (e) { this.notifier.error(`Opening the result of ${w.job.title}`, e); }
          continue;
        }
        const { report, ...progress } = afterPoll(w, w.summary.queued);
        Object.assign(w, progress);
        if (report) {
          this.notifier.warning(`The Slurm job ${w.job.title} left the queue without a merged result (${w.summary.text}). ` +
            `Resume it from the Slurm jobs in the status bar ("Resume on Slurm"), or with: node ${cliPath(this.extensionPath)} slurm resume ${w.job.dir} --submit`);
        }
      }
    } finally {
      this.polling = false;
      if (!this.disposed) {
        this.save();
        this.render();
      }
    }
  }

  /**
   * Resubmits what a stopped job left undone (`slurm resume DIR --submit`: only the unfinished shards, each with
   * --resume, then the merges after them) and watches it again; resolves with the new job ids (none when the job
   * turned out complete: its merged result opens on the next poll).
   */
  async resume(dir: string): Promise<Array<{ name: string; id: string }>> {
    const w = this.watches.get(path.resolve(dir));
    if (!w) throw new Error(`${dir} is not a watched Slurm job`);
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CNN Lens: resubmitting ${w.job.title} to Slurm…` },
      () => runCli(this.extensionPath, ['slurm', 'resume', w.job.dir, '--submit'], this.out));
    const ids = parseSubmitted(r.stdout);
    this.out.info(ids.length ? `Resubmitted ${w.job.title}: ${ids.map((j) => `${j.name} as job ${j.id}`).join(', ')}.` : r.stdout.trim());
    if (this.watches.get(path.resolve(dir)) === w) {
      Object.assign(w, { stopped: false, seenQueued: ids.length > 0, emptyPolls: 0 });
      this.save();
      this.render();
      void this.poll();
    }
    return ids;
  }

  /** The quick pick behind the status bar item: each job's progress; picking one resumes it, reveals its folder or stops watching it. */
  async showJobs(): Promise<void> {
    const items = this.jobs().map((j) => ({
      label: `${j.stopped ? '$(warning) ' : ''}${j.title}`, description: `${j.summary?.text ?? 'waiting for status'}${j.stopped ? ' · stopped' : ''}`,
      detail: j.dir, dir: j.dir, stopped: j.stopped,
    }));
    if (!items.length) { void vscode.window.showInformationMessage('CNN Lens: no Slurm job is being watched.'); return; }
    const picked = await vscode.window.showQuickPick(items, { title: 'CNN Lens: Slurm jobs', placeHolder: 'Pick a job to resume it, reveal its folder or stop watching it' });
    if (!picked) return;
    const actions = [...(picked.stopped ? [RESUME] : []), 'Reveal the job folder', 'Stop watching'];
    const action = await vscode.window.showQuickPick(actions, { title: picked.label });
    if (action === 'Stop watching') this.stop(picked.dir);
    else if (action === RESUME) {
      try { await this.resume(picked.dir); } catch (e) { this.notifier.error(`Resuming ${picked.label}`, e); }
    } else if (action) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(picked.dir));
  }

  private render(): void {
    const ws = [...this.watches.values()];
    if (!ws.length) {
      this.item.hide();
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    // A stopped job is what needs the user: it goes first.
    const first = ws.find((w) => w.stopped) ?? ws[0];
    const text = first.summary?.text ?? (first.stopped ? first.job.kind : `${first.job.kind} submitted`);
    this.item.text = `${first.stopped ? `$(warning) ${text} stopped` : `$(server-process) ${text}`}${ws.length > 1 ? ` (+${ws.length - 1})` : ''}`;
    this.item.tooltip = ws.map((w) => `${w.job.title}: ${w.summary?.text ?? 'submitted'}${w.summary?.queued ? ` · ${w.summary.queued} Slurm jobs queued` : ''}` +
      `${w.stopped ? ' · stopped: click to resume' : ''}\n${w.job.dir}`).join('\n\n');
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watches.clear();
    this.item.dispose();
  }
}
