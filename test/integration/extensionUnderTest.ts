// The extension under test, as the integration suites reach it: its id, its API, and the check that a command is
// contributed to the command palette in the CNN Lens category.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CnnLensApi } from '../../src/extension/api';

export const EXTENSION_ID = 'cnn-lens.cnn-lens';

export function extension(): vscode.Extension<CnnLensApi> {
  const e = vscode.extensions.getExtension<CnnLensApi>(EXTENSION_ID);
  assert.ok(e, `${EXTENSION_ID} is not loaded in this extension host`);
  return e;
}

/** `command` is contributed with `title` in the CNN Lens category, and no menu entry hides it from the palette. */
export function assertInPalette(command: string, title: string): void {
  const pkg = extension().packageJSON;
  const cmd = pkg.contributes.commands.find((c: { command: string }) => c.command === command);
  assert.equal(cmd?.title, title);
  assert.equal(cmd?.category, 'CNN Lens');
  const palette = (pkg.contributes.menus.commandPalette ?? []) as { command: string; when: string }[];
  assert.ok(!palette.some((m) => m.command === command && m.when === 'false'), 'hidden from the palette');
}
