// The Explain panel's HTML shell: a strict Content Security Policy (scripts only with this load's nonce, nothing
// fetched from outside the extension's dist/webview and the image's folder), and the bundled front end.
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

export function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function panelHtml(webview: vscode.Webview, scriptUri: vscode.Uri, title: string): string {
  const n = nonce();
  const csp = [
    "default-src 'none'",
    // Pictures arrive inside messages (data: URLs, canvases); no image is fetched.
    'img-src data: blob:',
    // Styles come as constructable stylesheets from the script (not subject to style-src) and from the webview host.
    `style-src ${webview.cspSource} 'nonce-${n}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${esc(title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="empty">Loading…</p></main>
<script nonce="${n}" src="${scriptUri.toString()}"></script>
</body>
</html>`;
}
