// Reads a TF.js model (model.json + weight shards) from disk, with a specific error for each way it can be broken.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';

export interface ModelFiles {
  json: any;
  artifacts: io.ModelArtifacts;
  format: 'tfjs-layers' | 'tfjs-graph';
  dir: string;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, string: 0 };

function bytesOf(spec: io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  if (q) return n * (q.dtype === 'uint8' ? 1 : 2);
  return n * (DTYPE_BYTES[spec.dtype] ?? 4);
}

/** `modelPath` is a model.json file or a folder holding one. */
export function readModelFiles(modelPath: string): ModelFiles {
  let file = modelPath;
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'model.json');
  if (!fs.existsSync(file)) throw new EngineError('MODEL_NOT_FOUND', `Model not found: ${file}`);
  const dir = path.dirname(file);
  let json: any;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new EngineError('MODEL_CORRUPT', `${file} is not valid JSON (${(e as Error).message}); is it a TensorFlow.js model.json?`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new EngineError('MODEL_CORRUPT', `${file} is JSON but not a TensorFlow.js model.json: it needs "modelTopology" and "weightsManifest".`);
  const topo = json.modelTopology;
  const isLayers = json.format === 'layers-model' || !!topo.model_config || !!topo.class_name || !!topo.config;
  const isGraph = json.format === 'graph-model' || Array.isArray(topo.node);
  if (!isLayers && !isGraph)
    throw new EngineError('MODEL_CORRUPT', `${file}: unrecognised modelTopology (neither a Keras layers model nor a TF graph).`);

  const specs: io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest as io.WeightsManifestConfig) {
    const expected = group.weights.reduce((s, w) => s + bytesOf(w), 0);
    const parts: Buffer[] = [];
    for (const p of group.paths) {
      const shard = path.join(dir, decodeURIComponent(p));
      if (!fs.existsSync(shard))
        throw new EngineError('MODEL_SHARD_MISSING', `Weight shard missing: ${shard} (listed in ${path.basename(file)}; copy every shard next to model.json).`);
      parts.push(fs.readFileSync(shard));
    }
    const buf = Buffer.concat(parts);
    if (buf.length < expected)
      throw new EngineError('MODEL_SHARD_TRUNCATED',
        `Weight shard(s) ${group.paths.join(', ')} truncated: ${buf.length} bytes, the manifest declares ${expected} for ${group.weights.length} weights (incomplete download or copy?).`);
    if (buf.length > expected)
      throw new EngineError('MODEL_CORRUPT', `Weight shard(s) ${group.paths.join(', ')} hold ${buf.length} bytes, the manifest declares ${expected}: they do not belong to this model.json.`);
    specs.push(...group.weights);
    buffers.push(buf);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const artifacts: io.ModelArtifacts = {
    modelTopology: topo, weightSpecs: specs, weightData, format: json.format, generatedBy: json.generatedBy,
    convertedBy: json.convertedBy, signature: json.signature, userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
  };
  return { json, artifacts, format: isGraph && !isLayers ? 'tfjs-graph' : 'tfjs-layers', dir };
}
