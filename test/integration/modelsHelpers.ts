// Shared by the models*.test.ts suites: the fixture workspace, the manifest guard, and answering quick picks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const folder = (): vscode.WorkspaceFolder => {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('the integration tests need the fixture workspace open');
  return f;
};
export const fixture = (...p: string[]) => vscode.Uri.file(path.join(folder().uri.fsPath, ...p));
export const manifestUri = () => fixture('cnn-lens.json');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SnapshotRow {
  id: string; name: string; origin: 'manifest' | 'discovered'; path: string; format?: string;
  source?: { path: string; symbol: string };
  spec: { path: string; labels?: string; preprocessing?: Record<string, unknown>; outputLayer?: string };
  description?: string; contextValue?: string; children?: { label: string; description?: string }[];
}
export interface Snapshot { models: SnapshotRow[]; diagnostics: { uri: string; messages: string[] }[] }

export async function snapshot(opts: { discover?: boolean; expand?: string[]; markUsed?: string } = {}): Promise<Snapshot> {
  return (await vscode.commands.executeCommand<Snapshot>('cnnLens.models.snapshot', opts))!;
}

/** Polls until `f` returns a truthy value (or throws after `ms`). */
export async function until<T>(what: string, f: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Runs a command that asks questions, accepting the active (first) item of every quick pick or input box it shows,
 * as a keyboard user pressing Enter would.
 */
export async function acceptingDefaults<T>(run: Thenable<T>): Promise<T> {
  let done = false;
  const result = Promise.resolve(run).finally(() => { done = true; });
  while (!done) {
    await sleep(400);
    if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  return result;
}

/** Keeps the fixture manifest's bytes: tests that link or add models put them back afterwards. */
export class ManifestGuard {
  private readonly original = fs.readFileSync(manifestUri().fsPath, 'utf8');

  get text(): string {
    return this.original;
  }

  async restore(): Promise<void> {
    // Through the document when it is open (so no stale editor buffer writes the test's edits back later), then disk.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === manifestUri().fsPath);
    if (open && open.getText() !== this.original) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(open.uri, new vscode.Range(0, 0, open.lineCount, 0), this.original);
      await vscode.workspace.applyEdit(edit);
    }
    if (open?.isDirty) await open.save();
    if (fs.readFileSync(manifestUri().fsPath, 'utf8') !== this.original) fs.writeFileSync(manifestUri().fsPath, this.original);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('cnnLens.models.refresh');
  }
}
