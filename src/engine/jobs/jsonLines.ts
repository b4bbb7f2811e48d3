// JSON lines for job results: one record a line, each written with a single write and synced to disk before the
// next item starts, so a task killed at any moment leaves every finished item on disk and at most one torn line at
// the end (which reading ignores and appending first cuts off).
import * as fs from 'node:fs';
import { EngineError } from '../errors';

export interface JsonLinesContent {
  records: unknown[];
  /** Bytes up to the end of the last complete line. */
  validBytes: number;
  /** A last line without its newline (a write interrupted by a kill) was ignored. */
  torn: boolean;
}

export function readJsonLines(file: string): JsonLinesContent {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch {
    throw new EngineError('BAD_ARGUMENT', `Cannot read the results file "${file}".`);
  }
  const end = text.lastIndexOf('\n') + 1;
  const records: unknown[] = [];
  text.slice(0, end).split('\n').forEach((line, n) => {
    if (!line.trim()) return;
    try { records.push(JSON.parse(line)); } catch {
      throw new EngineError('INPUT_INVALID', `${file}: line ${n + 1} is not valid JSON (the file was edited or corrupted).`);
    }
  });
  return { records, validBytes: Buffer.byteLength(text.slice(0, end)), torn: end < text.length };
}

/** Appends records; `keepBytes` first cuts the file there (drops a torn last line before resuming). */
export class JsonLinesAppender {
  private fd: number;

  constructor(readonly file: string, keepBytes?: number) {
    this.fd = fs.openSync(file, 'a');
    if (keepBytes !== undefined && fs.fstatSync(this.fd).size !== keepBytes) fs.ftruncateSync(this.fd, keepBytes);
  }

  append(record: unknown): void {
    fs.writeSync(this.fd, JSON.stringify(record) + '\n');
    fs.fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
