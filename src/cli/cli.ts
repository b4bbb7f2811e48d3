// `node dist/cli.js <command> …` — the engine from a shell. Contracts are in the README (CLI reference).
import * as path from 'node:path';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { EngineHost } from '../engine/host/engineHost';
import { EngineError } from '../engine/errors';
import { explain } from './explainCommand';
import { pointing } from './pointingCommand';
import { probe } from './probeCommand';
import { world } from './worldCommand';
import { writeDemoReport, type DemoEntry } from './demoReport';
import { similarity, SIMILARITY_USAGE } from './similarityCommand';
import { merge } from './mergeCommand';
import { slurm, SLURM_USAGE } from './slurmCommand';
import { status } from './statusCommand';
import { backendChoice, DEMO_MODEL, imageSource, modelSpec, positiveInt, UsageError, type Flags } from './args';

const USAGE = `CNN Lens — understand image CNNs.

Usage:
  node dist/cli.js predict --model PATH (--image PATH | --input-raw FILE.f32 --input-layout nchw|nhwc)
        [--labels FILE] [--input-range LO,HI | --mean R,G,B --std R,G,B] [--channels rgb|bgr]
        [--output-layer NAME] [--top K] [--backend tensorflow|wasm|cpu] [--json]
  node dist/cli.js info [--model PATH] [--backend …] [--json]
  node dist/cli.js demo [--out DIR (default demo-output)] [--iterations N] [--backend …]   (HTML report)
  node dist/cli.js world --out DIR [--count 200] [--seed 3001] [--size 64]   (synthetic dataset: Broden + VOC)
  node dist/cli.js explain [model/image/preprocessing flags as predict] [--method extremal|meaningful|gradient|guided|
        deconvnet|gradcam|linear|rise|occlusion] [--target INDEX] [--areas 0.05,0.1,0.2] [--variant preserve|delete|dual]
        [--perturbation blur|fade] [--reward simple|contrastive] [--iterations N] [--layer NAME] [--seed N]
        [--settings JSON (any other method setting by name)] --out DIR
  node dist/cli.js pointing [model/preprocessing flags] --images DIR --annotations DIR|FILE --class-map FILE
        --methods extremal,gradcam,… --out DIR [--difficult FILE] [--image-set FILE] [--limit N] [--tolerance PX]
        [--iterations N] [--areas …]
  ${SIMILARITY_USAGE}
  node dist/cli.js probe --model PATH --layer NAME --dataset DIR [--concepts a,b] [--categories c]
        [--kind segmentation|classification|both] [--quantile 0.005] [--epochs 30] [--seed N] [--skip-curve]
        [--cache DIR] [--batch-size N] [--out DIR] [--json]
  pointing|probe … --out DIR --shard I/N [--resume] [--phase stats|concepts (probe)]   (one shard of a dataset-scale job)
  node dist/cli.js merge --out DIR PART…            (shards' results → the unsharded result; PART = files or folders)
  node dist/cli.js status DIR                        (progress of a sharded job from its partial files)
  ${SLURM_USAGE}

Without --model the bundled demo model is used. Run 'node dist/cli.js <command> --help' for details.`;

const OPTIONS = {
  model: { type: 'string' }, image: { type: 'string' }, 'input-raw': { type: 'string' }, 'input-layout': { type: 'string' },
  labels: { type: 'string' }, 'input-range': { type: 'string' }, mean: { type: 'string' }, std: { type: 'string' },
  channels: { type: 'string' }, 'output-layer': { type: 'string' }, top: { type: 'string' }, backend: { type: 'string' },
  json: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  method: { type: 'string' }, target: { type: 'string' }, areas: { type: 'string' }, variant: { type: 'string' },
  perturbation: { type: 'string' }, reward: { type: 'string' }, iterations: { type: 'string' }, layer: { type: 'string' },
  seed: { type: 'string' }, settings: { type: 'string' }, images: { type: 'string' }, annotations: { type: 'string' }, 'class-map': { type: 'string' },
  methods: { type: 'string' }, difficult: { type: 'string' }, 'image-set': { type: 'string' }, limit: { type: 'string' },
  tolerance: { type: 'string' }, probe: { type: 'string' }, dataset: { type: 'string' }, concepts: { type: 'string' },
  categories: { type: 'string' }, kind: { type: 'string' }, quantile: { type: 'string' }, epochs: { type: 'string' },
  cache: { type: 'string' }, 'batch-size': { type: 'string' }, 'skip-curve': { type: 'boolean' }, count: { type: 'string' }, size: { type: 'string' },
  // Sharded jobs and Slurm (issue #9).
  shard: { type: 'string' }, resume: { type: 'boolean' }, phase: { type: 'string' }, array: { type: 'string' },
  partition: { type: 'string' }, 'cpus-per-task': { type: 'string' }, 'gpus-per-task': { type: 'string' }, time: { type: 'string' },
  submit: { type: 'boolean' }, node: { type: 'string' },
} as const;

function host(f: Flags): EngineHost {
  return new EngineHost({
    workerPath: path.join(__dirname, 'engineWorker.js'),
    backend: backendChoice(f),
    log: process.env.CNNLENS_VERBOSE ? (l) => process.stderr.write(l + '\n') : undefined,
  });
}

/** Ctrl-C cancels the running request (the engine stops within about a second). */
function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGINT', () => { process.stderr.write('\ncancelling…\n'); ac.abort(); });
  return ac.signal;
}

async function predict(f: Flags) {
  const spec = modelSpec(f);
  const image = imageSource(f);
  const top = positiveInt('top', f.top, 5);
  const h = host(f);
  try {
    const r = await h.request({ type: 'predict', model: spec, image, top }, { signal: interruptSignal() });
    if (f.json) {
      process.stdout.write(JSON.stringify({ backend: r.backend, predictions: r.predictions, logits: r.logits }) + '\n');
    } else {
      process.stdout.write(`model ${r.model.name} (${r.model.format}, ${r.model.numClasses} classes, scores from ${r.model.scoreLayer}) on backend ${r.backend}\n`);
      for (const p of r.predictions)
        process.stdout.write(`${String(p.index).padStart(5)}  ${(p.probability * 100).toFixed(2).padStart(6)} %  ${p.label}\n`);
    }
  } finally { await h.dispose(); }
}

async function info(f: Flags) {
  const h = host(f);
  try {
    const b = await h.request({ type: 'info' });
    const m = await h.request({ type: 'loadModel', model: modelSpec(f) });
    if (f.json) { process.stdout.write(JSON.stringify({ backend: b, model: m.model }, null, 1) + '\n'); return; }
    process.stdout.write(`backend: ${b.backend} (${b.reason}); tfjs ${b.tfjsVersion}\n`);
    const i = m.model;
    process.stdout.write(`model: ${i.name} [${i.format}] ${i.path}\n  input ${i.inputShape.join('×')} ${i.layout}, ${i.numClasses} classes, scores from '${i.scoreLayer}', ` +
      `${i.parameters} parameters, BatchNorm ${i.batchNormFolded ? 'folded' : 'not folded'}\n`);
    for (const l of i.layers) process.stdout.write(`  ${l.name.padEnd(32)} ${l.type.padEnd(24)} [${l.outputShape.join(',')}]\n`);
  } finally { await h.dispose(); }
}

/** The main job on the bundled default: explanations of the bundled model on the bundled images, as an HTML report. */
async function demo(f: Flags) {
  const dir = path.resolve(__dirname, '..', 'media', 'demo-images');
  const index = path.join(dir, 'index.json');
  if (!fs.existsSync(DEMO_MODEL) || !fs.existsSync(index)) throw new UsageError('the bundled demo model or images are missing (run npm run train-demo)');
  const entries = JSON.parse(fs.readFileSync(index, 'utf8')) as DemoEntry[] | { images: DemoEntry[] };
  const list = Array.isArray(entries) ? entries : entries.images;
  const out = path.resolve((f.out as string | undefined) ?? 'demo-output');
  const iterations = positiveInt('iterations', f.iterations, 200);
  const h = host(f);
  try {
    const b = await h.backendInfo();
    process.stdout.write(`CNN Lens demo — bundled model on ${list.length} bundled images (backend ${b.backend})\n`);
    const report = await writeDemoReport(h, f.model ? path.resolve(f.model as string) : DEMO_MODEL, dir, list, out, iterations, interruptSignal());
    process.stdout.write(`\nReport: ${report}\n`);
  } finally { await h.dispose(); }
}

/** `--input-range -1,1`: values may start with a dash, which parseArgs alone would take for a flag. */
function joinValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : '';
    const opt = (OPTIONS as Record<string, { type: string }>)[name];
    if (opt?.type === 'string' && i + 1 < args.length) out.push(`--${name}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') { process.stdout.write(USAGE + '\n'); return command ? 0 : 2; }
  let values: Flags;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: joinValues(rest), options: OPTIONS, strict: true, allowPositionals: true }) as { values: Flags; positionals: string[] });
    // Only merge, status and slurm take positional arguments.
    if (positionals.length && !['merge', 'status', 'slurm'].includes(command)) throw new Error(`unexpected argument '${positionals[0]}'`);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(USAGE + '\n'); return 0; }
  try {
    switch (command) {
      case 'predict': await predict(values); break;
      case 'info': await info(values); break;
      case 'demo': await demo(values); break;
      case 'world': await world(values); break;
      case 'explain': { const h = host(values); try { await explain(values, h, interruptSignal()); } finally { await h.dispose(); } break; }
      case 'pointing': { const h = host(values); try { await pointing(values, h, interruptSignal()); } finally { await h.dispose(); } break; }
      case 'similarity': { const h = host(values); try { await similarity(values, h, interruptSignal()); } finally { await h.dispose(); } break; }
      case 'probe': { const h = host(values); try { await probe(values, h, interruptSignal()); } finally { await h.dispose(); } break; }
      case 'merge': merge(values, positionals); break;
      case 'status': status(values, positionals); break;
      case 'slurm': slurm(values, positionals); break;
      default: throw new UsageError(`unknown command '${command}'`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`error: ${e.message}\n`); return 2; }
    if (e instanceof EngineError) { process.stderr.write(`error [${e.code}]: ${e.message}\n`); return e.code === 'CANCELLED' ? 130 : 1; }
    process.stderr.write(`internal error: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

if (require.main === module) main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
