// How long the CodeLens scanners take on large files (issue #3: a 5,000-line Python file gets lenses in well under
// 100 ms). Prints one line per case: lines, definitions found, median and worst of several runs.
import { scanPython } from '../src/extension/codelens/pythonModelScanner';
import { scanScript } from '../src/extension/codelens/scriptModelScanner';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function pythonFile(lines: number): string {
  const parts = ['import torch\nfrom torch import nn\nfrom tensorflow import keras\n'];
  let count = 3;
  for (let i = 0; count < lines; i++) {
    // A model class with a docstring, comments with brackets, long and nested calls; every 5th a Keras Sequential,
    // every 7th a broken line (unclosed bracket) as while typing.
    const block = i % 5 === 4
      ? `\nseq_${i} = keras.Sequential([\n    keras.layers.Conv2D(${i + 1}, 3),  # (unbalanced in a comment\n    keras.layers.Dense(10),\n])\nseq_${i}.save("file://exports/seq_${i}")\n`
      : `\n\nclass Block${i}(nn.Module):\n    """Block ${i}: a docstring with class Fake(nn.Module) inside."""\n\n    def __init__(self, c=${i + 1}):\n        super().__init__()\n        self.conv = nn.Sequential(nn.Conv2d(c, 8, 3), nn.ReLU())  # ( [\n        self.head = nn.Linear(8, 10)\n\n    def forward(self, x):\n        return self.head(self.conv(x).mean(dim=(2, 3)))${i % 7 === 6 ? '\n    def broken(self, x:\n        return [' : ''}\n`;
    parts.push(block);
    count += block.split('\n').length - 1;
  }
  parts.push('\ntorch.onnx.export(Block0(), torch.zeros(1, 1, 32, 32), "exports/block0.onnx")\n');
  return parts.join('');
}

function scriptFile(lines: number): string {
  const parts = ["import * as tf from '@tensorflow/tfjs';\n"];
  for (let i = 0; parts.length < lines / 6; i++)
    parts.push(`\n// model ${i} (\nconst model${i} = tf.sequential({ layers: [tf.layers.dense({ units: ${i + 1}, inputShape: [4] })] });\nawait model${i}.save('file://out/model-${i}');\n/* a block comment with tf.sequential( inside */\n`);
  return parts.join('');
}

function measure(name: string, text: string, scan: (t: string) => { definitions: unknown[]; exports: unknown[] }) {
  const times: number[] = [];
  let found = { definitions: [] as unknown[], exports: [] as unknown[] };
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    found = scan(text);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const first = times[0];
  times.sort((a, b) => a - b);
  const lines = text.split('\n').length;
  console.log(`${name}: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB, ${found.definitions.length} definitions, ${found.exports.length} exports; ` +
    `first (cold) ${first.toFixed(2)} ms, median ${times[RUNS >> 1].toFixed(2)} ms, worst ${times[RUNS - 1].toFixed(2)} ms over ${RUNS} runs`);
  return { first, median: times[RUNS >> 1] };
}

console.log('[bench] CodeLens scanners (src/extension/codelens)');
const py = measure('python 5,000 lines', pythonFile(5000), scanPython);
measure('python 50,000 lines', pythonFile(50_000), scanPython);
measure('typescript 5,000 lines', scriptFile(5000), scanScript);
console.log(`[bench] 5,000-line Python file: median ${py.median.toFixed(2)} ms, first ${py.first.toFixed(2)} ms (target: well under 100 ms) ${py.median < 100 ? 'OK' : 'TOO SLOW'}`);
