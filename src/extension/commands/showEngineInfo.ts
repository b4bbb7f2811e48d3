// Command cnnLens.showEngineInfo: starts the engine if needed, loads the configured (or demo) model, and writes
// backend and model details to the CNN Lens output channel. Returns what it found so tests can check it.
import * as fs from 'node:fs';
import { EngineError, type EngineErrorCode } from '../../engine/errors';
import type { ModelInfo } from '../../engine/model/modelTypes';
import type { BackendInfo } from '../../engine/worker/protocol';
import type { EngineClient } from '../engineClient';
import { formatBackendInfo, formatModelInfo } from '../engineInfoFormat';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { MODEL_PATH_SETTING, modelLocation } from '../settings';

export interface EngineInfoReport {
  backend: BackendInfo;
  /** Absolute model path tried; undefined when the setting itself was unusable. */
  modelPath?: string;
  model: ModelInfo | null;
  labels: string[] | null;
  /** Why no model info is present. */
  modelError?: { code: EngineErrorCode | 'UNKNOWN'; message: string };
}

export async function showEngineInfo(
  client: EngineClient, out: CnnLensOutput, notifier: Notifier, extensionPath: string,
): Promise<EngineInfoReport | undefined> {
  let backend: BackendInfo;
  try {
    backend = await client.withProgress('Reading engine info', { type: 'info' });
  } catch (e) {
    notifier.error('Starting the analysis engine', e);
    out.show();
    return undefined;
  }
  for (const line of formatBackendInfo(backend)) out.info(line);

  const report: EngineInfoReport = { backend, model: null, labels: null };
  try {
    const where = modelLocation(extensionPath);
    report.modelPath = where.path;
    if (!fs.existsSync(where.path)) {
      // Checked here rather than left to the engine so the message can say which knob to turn.
      const why = where.source === 'demo'
        ? `The bundled demo model is missing (${where.path}); set ${MODEL_PATH_SETTING} to a model.json.`
        : `No model at ${where.path} (setting ${MODEL_PATH_SETTING}).`;
      throw new EngineError('MODEL_NOT_FOUND', why);
    }
    const loaded = await client.withProgress(`Loading ${where.source === 'demo' ? 'the demo model' : where.path}`,
      { type: 'loadModel', model: { path: where.path } });
    report.model = loaded.model;
    report.labels = loaded.labels;
    for (const line of formatModelInfo(loaded.model, loaded.labels)) out.info(line);
  } catch (e) {
    report.modelError = e instanceof EngineError ? { code: e.code, message: e.message } : { code: 'UNKNOWN', message: String(e) };
    if (e instanceof EngineError && e.code === 'MODEL_NOT_FOUND') notifier.warning(e.message);
    else notifier.error('Loading the model', e);
  }
  out.show();
  return report;
}
