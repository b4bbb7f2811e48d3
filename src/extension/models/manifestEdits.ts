// Changes to the manifest as WorkspaceEdits (undoable, and they respect unsaved edits in an open manifest editor):
// append an entry, or set an existing entry's source link. Text edits come from jsonc-parser, which keeps the
// file's comments and formatting.
import * as vscode from 'vscode';
import { applyEdits, type Edit, modify } from './jsonc';
import type { ManifestEntry, ModelSourceLink } from './manifestTypes';

const FORMATTING = { insertSpaces: true, tabSize: 2, eol: '\n' };

/** The manifest text with `entry` appended to `models` (creating the array, or the whole manifest, if needed). */
export function textWithEntry(text: string | undefined, entry: ManifestEntry): string {
  if (text === undefined || !text.trim()) return `${JSON.stringify({ models: [entry] }, null, 2)}\n`;
  return applyEdits(text, editsForEntry(text, entry));
}

export function editsForEntry(text: string, entry: ManifestEntry): Edit[] {
  try {
    return modify(text, ['models', -1], entry, { formattingOptions: FORMATTING, isArrayInsertion: true });
  } catch {
    // "models" is missing or not an array: set it (modify throws when it cannot insert into a non-array).
    return modify(text, ['models'], [entry], { formattingOptions: FORMATTING });
  }
}

export function editsForSource(text: string, index: number, source: ModelSourceLink): Edit[] {
  return modify(text, ['models', index, 'source'], source, { formattingOptions: FORMATTING });
}

/**
 * A WorkspaceEdit applying `edits` to the manifest at `uri` (its open document if there is one), or creating the
 * file with `created` when it does not exist.
 */
export async function manifestWorkspaceEdit(uri: vscode.Uri, exists: boolean, edits: (text: string) => Edit[], created: string): Promise<vscode.WorkspaceEdit> {
  const we = new vscode.WorkspaceEdit();
  const meta = { label: 'CNN Lens: update model manifest', needsConfirmation: false };
  if (!exists) {
    we.createFile(uri, { contents: new TextEncoder().encode(created), ignoreIfExists: false }, meta);
    return we;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const text = doc.getText();
  for (const e of edits(text))
    we.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content, meta);
  return we;
}
