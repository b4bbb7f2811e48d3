// User-facing notifications: one clear sentence, mirrored to the output channel, never awaited
// (a notification promise only settles when the user dismisses it). Recent ones are kept for the test API.
import * as vscode from 'vscode';
import { EngineError } from '../engine/errors';
import type { CnnLensOutput } from './output';

const SHOW_OUTPUT = 'Show Output';
const KEEP = 50;

export interface ShownNotification {
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** "CANCELLED" is the user's own doing: it is logged, not raised as an error. */
export function isCancellation(e: unknown): boolean {
  return e instanceof EngineError && e.code === 'CANCELLED';
}

/** The message to show for any thrown value; engine errors carry their code for bug reports. */
export function describeError(e: unknown): string {
  if (e instanceof EngineError) return `${e.message} [${e.code}]`;
  if (e instanceof Error) return e.message;
  return String(e);
}

export class Notifier {
  private readonly shown: ShownNotification[] = [];

  constructor(private readonly out: CnnLensOutput) {}

  /** Reports a failed action: "<what> failed: <why>". Cancellations are only logged. */
  error(what: string, e: unknown): void {
    if (isCancellation(e)) {
      this.out.info(`${what}: cancelled.`);
      return;
    }
    const message = `CNN Lens: ${what} failed: ${describeError(e)}`;
    this.out.error(message);
    this.record('error', message);
    void vscode.window.showErrorMessage(message, SHOW_OUTPUT).then((c) => c === SHOW_OUTPUT && this.out.show());
  }

  warning(message: string): void {
    const text = `CNN Lens: ${message}`;
    this.out.warn(text);
    this.record('warning', text);
    void vscode.window.showWarningMessage(text, SHOW_OUTPUT).then((c) => c === SHOW_OUTPUT && this.out.show());
  }

  history(): ShownNotification[] {
    return [...this.shown];
  }

  private record(severity: ShownNotification['severity'], message: string) {
    this.shown.push({ severity, message });
    if (this.shown.length > KEEP) this.shown.shift();
  }
}
