// The "CNN Lens" output channel. Keeps a bounded copy of what was written so the test API can read it back
// (VS Code offers no way to read an output channel's contents).
import * as vscode from 'vscode';

const KEEP_LINES = 5000;

export class CnnLensOutput implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;
  private readonly kept: string[] = [];

  constructor() {
    this.channel = vscode.window.createOutputChannel('CNN Lens', { log: true });
  }

  info(line: string): void {
    this.keep(line);
    this.channel.info(line);
  }

  warn(line: string): void {
    this.keep(line);
    this.channel.warn(line);
  }

  error(line: string): void {
    this.keep(line);
    this.channel.error(line);
  }

  /** Reveals the channel without taking focus from the editor. */
  show(): void {
    this.channel.show(true);
  }

  lines(): string[] {
    return [...this.kept];
  }

  dispose(): void {
    this.channel.dispose();
  }

  private keep(line: string) {
    this.kept.push(line);
    if (this.kept.length > KEEP_LINES) this.kept.splice(0, this.kept.length - KEEP_LINES);
  }
}
