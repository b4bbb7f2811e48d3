// The engine's `probe` request (issue #5): settings checked before any work, then runProbe with the cached model.
import { backendInfo } from '../backend/backend';
import { resolvePreprocessing } from '../image/resolvePreprocessing';
import type { LoadedModel } from '../model/loadModel';
import { layerShape } from './activationStore';
import { openDataset, resolveProbeSettings, runProbe, type ProbeContext } from './probeRun';
import type { DatasetSpec, ProbeResult, ProbeSettingsInput } from './probeTypes';

export async function handleProbe(
  loaded: LoadedModel, req: { model: { path: string }; dataset: DatasetSpec; settings: ProbeSettingsInput }, ctx: ProbeContext,
): Promise<ProbeResult> {
  const settings = resolveProbeSettings(req.settings);
  layerShape(loaded.model, settings.layer); // unknown or non-spatial layer: fail before reading the dataset
  const pre = resolvePreprocessing(loaded.preprocessing, loaded.model.info.inputShape);
  const dataset = await openDataset(req.dataset, req.settings);
  return runProbe(loaded.model, pre, req.model.path, dataset, settings, ctx, backendInfo().backend);
}
