// Full probe results (weights, losses, thresholds, unit labels — more than the panel keeps) saved in the extension's
// global storage, so "Export JSON" still has them after a window reload. Only the most recent ones are kept.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProbeResult } from '../../engine/probing/probeTypes';

const KEEP = 20;

export class ProbeResultStore {
  constructor(private readonly dir: string) {}

  private file(id: string): string {
    // Ids are the extension's own (validated as [\w-] by the panel protocol); never a path.
    if (!/^[\w-]{1,64}$/.test(id)) throw new Error(`invalid probe result id ${id}`);
    return path.join(this.dir, `${id}.json`);
  }

  async save(id: string, result: ProbeResult): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    await fs.promises.writeFile(this.file(id), JSON.stringify(result));
    const files = (await fs.promises.readdir(this.dir)).filter((f) => f.endsWith('.json'));
    if (files.length <= KEEP) return;
    const dated = await Promise.all(files.map(async (f) => ({ f, t: (await fs.promises.stat(path.join(this.dir, f))).mtimeMs })));
    for (const { f } of dated.sort((a, b) => b.t - a.t).slice(KEEP)) await fs.promises.rm(path.join(this.dir, f), { force: true });
  }

  async load(id: string): Promise<ProbeResult | undefined> {
    try {
      return JSON.parse(await fs.promises.readFile(this.file(id), 'utf8')) as ProbeResult;
    } catch {
      return undefined;
    }
  }
}
