// Proves the harness itself: the suite really runs in VS Code's Node extension host with the fixture folder open,
// and a failing test makes the run fail (HARNESS_FAIL=1 npm run test:integration must exit non-zero).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import * as vscode from 'vscode';

describe('Integration harness', () => {
  it('runs in a Node extension host with the fixture workspace open', () => {
    assert.match(process.versions.node, /^\d+\./);
    assert.ok(isMainThread, 'expected the extension host main thread');
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder open');
    assert.equal(path.basename(folder.uri.fsPath), 'workspace');
    assert.equal(folder.uri.scheme, 'file');
  });

  it('deliberate failure when HARNESS_FAIL=1 (proves a failing test fails the run)', function () {
    if (process.env.HARNESS_FAIL !== '1') this.skip();
    assert.fail('HARNESS_FAIL=1 asked for this failure');
  });
});
