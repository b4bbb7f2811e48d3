// The questions of "Run Pointing Game…" (METHODS.md §4): images folder, annotations (a VOC Annotations folder or a COCO
// instances .json), class map (the extension's media/classmaps/*.json proposed first), methods (multi-pick) and output
// folder. Each returns undefined when the user backs out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { METHODS } from '../explain/methodCatalog';

export const STEPS = 6;
export const stepTitle = (step: number, what: string) => `Run Pointing Game (${step}/${STEPS}): ${what}`;

const workspaceFolder = () => vscode.workspace.workspaceFolders?.[0]?.uri;

export async function pickImagesFolder(): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: false, canSelectFolders: true, canSelectMany: false, defaultUri: workspaceFolder(),
    title: stepTitle(2, 'images folder (e.g. VOC2007/JPEGImages)'), openLabel: 'Use these images',
  });
  return uris?.[0]?.fsPath;
}

export async function pickAnnotations(images: string): Promise<string | undefined> {
  // A VOC layout keeps Annotations/ beside JPEGImages/: propose it when it is there.
  const sibling = path.join(path.dirname(images), 'Annotations');
  type Item = vscode.QuickPickItem & { file?: string; browse?: 'folder' | 'coco' };
  const items: Item[] = [];
  if (fs.existsSync(sibling)) items.push({ label: 'Annotations', description: 'VOC XML files beside the images', detail: sibling, file: sibling });
  items.push(
    { label: '$(folder-opened) VOC Annotations folder…', browse: 'folder' },
    { label: '$(json) COCO instances .json…', browse: 'coco' },
  );
  const picked = await vscode.window.showQuickPick(items, { title: stepTitle(3, 'annotations'), placeHolder: 'Where are the ground-truth boxes or masks?' });
  if (!picked) return undefined;
  if (picked.file) return picked.file;
  const coco = picked.browse === 'coco';
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: coco, canSelectFolders: !coco, canSelectMany: false, defaultUri: vscode.Uri.file(path.dirname(images)),
    filters: coco ? { 'COCO annotations': ['json'] } : undefined, openLabel: 'Use these annotations',
  });
  return uris?.[0]?.fsPath;
}

/** The extension's class maps (media/classmaps/*.json), then a file dialog. */
export async function pickClassMap(extensionPath: string): Promise<string | undefined> {
  const dir = path.join(extensionPath, 'media', 'classmaps');
  const bundled = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  type Item = vscode.QuickPickItem & { file?: string };
  const items: Item[] = bundled.map((f) => ({ label: f, description: 'bundled with CNN Lens', detail: path.join(dir, f), file: path.join(dir, f) }));
  items.push({ label: '$(folder-opened) Browse for a class map…', detail: '{ "<dataset class>": [model output indices…] } (media/classmaps/README.md)', alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title: stepTitle(4, 'class map'), placeHolder: 'Which model outputs denote each dataset class?' });
  if (!picked) return undefined;
  if (picked.file) return picked.file;
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Class map': ['json'] }, defaultUri: workspaceFolder(), openLabel: 'Use this class map' });
  return uris?.[0]?.fsPath;
}

/** Attribution methods (the centre baseline is always scored). */
export async function pickMethods(): Promise<string[] | undefined> {
  const items = METHODS.map((m) => ({ label: m.label, description: m.name, detail: m.detail, picked: m.name === 'gradcam', name: m.name }));
  const picked = await vscode.window.showQuickPick(items, {
    title: stepTitle(5, 'methods'), placeHolder: 'Which methods should point? (the centre baseline is always included)', canPickMany: true, matchOnDescription: true,
  });
  return picked?.length ? picked.map((p) => p.name) : undefined;
}

export async function pickOutputFolder(images: string): Promise<string | undefined> {
  const base = workspaceFolder()?.fsPath ?? path.dirname(images);
  const proposal = path.join(base, `pointing-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`);
  const text = await vscode.window.showInputBox({
    title: stepTitle(6, 'output folder'), prompt: 'pointing.json and pointing.csv go here (on Slurm: the job folder, seen by every node)', value: proposal,
    validateInput: (t) => (t.trim() ? undefined : 'A folder path'),
  });
  if (text === undefined) return undefined;
  return path.isAbsolute(text.trim()) ? text.trim() : path.resolve(base, text.trim());
}
