// Plain-text lines for the "Show Engine Info" report (ENGINE_NOTES §8.6: what to report for bug reports).
import type { ModelInfo } from '../engine/model/modelTypes';
import type { BackendInfo } from '../engine/worker/protocol';

const label = (name: string) => `  ${(name + ':').padEnd(14)}`;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

export function formatBackendInfo(b: BackendInfo): string[] {
  const simd = b.simd === undefined ? 'n/a' : b.simd ? 'yes' : 'no';
  return [
    'Engine',
    `${label('backend')}${b.backend} (setting: ${b.requested})`,
    `${label('reason')}${b.reason}`,
    `${label('TF.js')}${b.tfjsVersion}`,
    `${label('SIMD')}${simd}`,
    `${label('grad kernels')}${b.gradKernels ? 'registered' : 'built-in only'}`,
    `${label('memory')}${b.memory.numTensors} tensors, ${formatBytes(b.memory.numBytes)}`,
  ];
}

const shape = (s: number[]) => `[${s.join(', ')}]`;

export function formatModelInfo(m: ModelInfo, labels: string[] | null): string[] {
  const lines = [
    `Model ${m.name}`,
    `${label('path')}${m.path}`,
    `${label('format')}${m.format}`,
    `${label('input')}${shape(m.inputShape)} (H, W, C; ${m.layout})`,
    `${label('classes')}${m.numClasses}${labels ? ` (${labels.length} labels)` : ' (no labels file)'}`,
    `${label('score layer')}${m.scoreLayer}`,
    `${label('parameters')}${m.parameters.toLocaleString('en-US')}${m.batchNormFolded ? ' (BatchNorm folded)' : ''}`,
    `${label('layers')}${m.layers.length}`,
  ];
  const nameW = Math.max(4, ...m.layers.map((l) => l.name.length));
  const typeW = Math.max(4, ...m.layers.map((l) => l.type.length));
  lines.push(`    ${'name'.padEnd(nameW)}  ${'type'.padEnd(typeW)}  output shape`);
  for (const l of m.layers) lines.push(`    ${l.name.padEnd(nameW)}  ${l.type.padEnd(typeW)}  ${shape(l.outputShape)}`);
  return lines;
}
