// The Concepts panel's pure parts, run in the extension host with the rest of the suite (no UI needed): the mask
// run-length code, the panel protocol's validation, the engine result → report trimming, the table's sorting and
// filtering, and the mask compositing of the validation images.
import * as assert from 'node:assert/strict';
import { decodeRle, encodeRle } from '../../src/engine/probing/maskRle';
import type { ProbeResult, ProbeScores } from '../../src/engine/probing/probeTypes';
import { conceptsReport } from '../../src/extension/probing/conceptsReport';
import { outline, overlayMasks, PREDICTED_RGB, TRUTH_RGB } from '../../src/webview/concepts/maskOverlay';
import { curveTarget, kindsOf, tableRows } from '../../src/webview/concepts/tableModel';
import {
  CONCEPTS_STATE_VERSION, DEFAULT_CONCEPTS_VIEW, validateConceptsState, validateFromConcepts, validateToConcepts, type ConceptsReport,
} from '../../src/webview/conceptsPanelProtocol';

function scores(over: Partial<ProbeScores> = {}): ProbeScores {
  return {
    metric: 'iou', bestFilter: 3, bestFilterScore: 0.1, score: 0.3, gain: 0.2, gainRatio: 3, secondary: 0.25,
    topFilters: [{ filter: 3, weight: 0.5 }, { filter: 1, weight: -0.2 }], curve: [{ filters: 1, score: 0.1 }, { filters: 4, score: 0.3 }],
    filtersNeeded: 4, nearest: [{ concept: 'b', cosine: 0.5 }], weights: [0.1, -0.2, 0, 0.5], losses: [1, 0.5],
    examples: [{ image: 'i/1.png', file: '/d/i/1.png', iou: 0.5, predicted: encodeRle([0, 1, 1, 0], 2, 2), truth: encodeRle([0, 1, 0, 0], 2, 2) }],
    ...over,
  };
}

function result(): ProbeResult {
  const concept = (name: string, category: string, s?: Partial<ProbeScores>) => ({
    concept: name, number: 1, category, trainImages: 4, valImages: 2, netDissect: { filter: 2, iou: 0.05 }, notes: [],
    ...(s ? { segmentation: scores(s), classification: scores({ ...s, metric: 'ap' }) } : {}),
  });
  return {
    backend: 'wasm', model: { name: 'm', path: '/m/model.json' }, layer: 'relu3',
    dataset: { path: '/d', format: 'broden', images: 10, train: 7, val: 3 },
    activations: { h: 4, w: 4, filters: 4, cached: false, seconds: 1, imagesPerSecond: 10, cacheFile: '/c/x.f32' },
    quantile: 0.005, thresholds: [1, 2, 3, 4],
    units: [{ filter: 0, concept: 'a', category: 'color', iou: 0.05, detector: true }, { filter: 1, concept: 'b', category: 'color', iou: 0.01, detector: false }],
    concepts: [concept('a', 'color', { gain: 0.2 }), concept('b', 'shape', { gain: NaN, gainRatio: null }), concept('c', 'color', { gain: -0.1 }), concept('d', 'shape')],
    settings: { fraction: 0.8 }, timings: { activations: 1, thresholds: 0, dissection: 0, probes: 1 }, elapsedMs: 1234,
  };
}

describe('Concepts panel logic', () => {
  it('codes binary masks as run lengths and back, exactly, and refuses runs that do not cover the mask', () => {
    for (const mask of [[0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 1, 1, 0, 0], [0, 1, 0, 1, 0, 1]]) {
      const r = encodeRle(mask, mask.length / 2, 2);
      assert.deepEqual(Array.from(decodeRle(r)), mask);
      assert.equal(r.runs.reduce((a, b) => a + b, 0), mask.length);
    }
    assert.deepEqual(encodeRle([1, 1, 0], 3, 1).runs, [0, 2, 1]);
    assert.throws(() => decodeRle({ width: 2, height: 2, runs: [1, 2] }), /cover 3 of 4/);
    assert.throws(() => decodeRle({ width: 2, height: 2, runs: [3, 2] }), /exceed/);
  });

  it('trims the engine result to the report: scores that are not numbers become null, weights and losses stay out', () => {
    const r = conceptsReport('p1', 'Model', result());
    assert.equal(r.detectors, 1);
    assert.equal(r.fraction, 0.8);
    const b = r.concepts.find((c) => c.concept === 'b')!;
    assert.equal(b.segmentation!.gain, null);
    assert.equal(b.segmentation!.gainRatio, null);
    assert.ok(!('weights' in b.segmentation!) && !('losses' in b.segmentation!));
    assert.equal(r.concepts.find((c) => c.concept === 'd')!.segmentation, undefined);
    // What the extension sends must pass the webview's own validation (JSON round trip, as postMessage does).
    assert.equal(validateToConcepts(JSON.parse(JSON.stringify({ type: 'report', report: r }))).type, 'report');
  });

  it('validates messages in both directions and refuses anything else', () => {
    const report = conceptsReport('p1', 'Model', result());
    assert.deepEqual(validateFromConcepts({ type: 'exportCsv', extra: 1 }), { type: 'exportCsv' });
    assert.deepEqual(validateFromConcepts({ type: 'rendered', reportId: 'p1', rows: 3, kind: 'segmentation' }), { type: 'rendered', reportId: 'p1', rows: 3, kind: 'segmentation' });
    for (const bad of [null, 'ready', {}, { type: 'exec' }, { type: 'requestImages', reportId: '../../etc', concept: 'a' },
      { type: 'rendered', reportId: 'p1', rows: -1, kind: 'segmentation' }, { type: 'rendered', reportId: 'p1', rows: 1, kind: 'both' }])
      assert.throws(() => validateFromConcepts(bad), /invalid concepts panel message/, JSON.stringify(bad));
    const broken = (f: (r: ConceptsReport) => void) => { const r = JSON.parse(JSON.stringify(report)) as ConceptsReport; f(r); return { type: 'report', report: r }; };
    for (const bad of [
      broken((r) => { r.concepts[0].segmentation!.examples![0].truth.runs = [1, 1]; }),
      broken((r) => { (r.concepts[0].segmentation as unknown as Record<string, unknown>).score = 'high'; }),
      broken((r) => { (r as unknown as Record<string, unknown>).datasetFormat = 'coco'; }),
      broken((r) => { r.id = 'a/b'; }),
      { type: 'images', reportId: 'p1', concept: 'a', images: [{ image: 'x', src: 'javascript:alert(1)' }] },
    ]) assert.throws(() => validateToConcepts(bad), /invalid concepts panel message/);
    assert.equal(validateToConcepts({ type: 'images', reportId: 'p1', concept: 'a', images: [{ image: 'x', src: 'data:image/png;base64,iVBORw0KGgo=' }, { image: 'y', src: null }] }).type, 'images');
  });

  it('restores a saved state, with a sane view, and drops states of another version', () => {
    const report = conceptsReport('p1', 'Model', result());
    const s = validateConceptsState({ version: CONCEPTS_STATE_VERSION, report, view: { kind: 'classification', sort: 'nonsense', descending: false, filter: 'co', category: '', selected: 'a' } });
    assert.ok(s);
    assert.deepEqual(s.view, { kind: 'classification', sort: DEFAULT_CONCEPTS_VIEW.sort, descending: false, filter: 'co', category: '', selected: 'a' });
    assert.equal(validateConceptsState({ version: CONCEPTS_STATE_VERSION + 1, report, view: {} }), null);
    assert.equal(validateConceptsState({ version: CONCEPTS_STATE_VERSION, report: { id: 'p1' }, view: {} }), null);
  });

  it('sorts (missing scores last, both ways) and filters the table', () => {
    const report = conceptsReport('p1', 'Model', result());
    assert.deepEqual(kindsOf(report), ['segmentation', 'classification']);
    const names = (v: Partial<typeof DEFAULT_CONCEPTS_VIEW>) => tableRows(report, { ...DEFAULT_CONCEPTS_VIEW, ...v }).map((r) => r.concept);
    assert.deepEqual(names({ sort: 'gain', descending: true }), ['a', 'c', 'b', 'd']);
    assert.deepEqual(names({ sort: 'gain', descending: false }), ['c', 'a', 'b', 'd']);
    assert.deepEqual(names({ sort: 'concept', descending: true }), ['d', 'c', 'b', 'a']);
    assert.deepEqual(names({ sort: 'concept', descending: false, category: 'shape' }), ['b', 'd']);
    assert.deepEqual(names({ sort: 'concept', descending: false, filter: 'COL' }), ['a', 'c']);
    assert.deepEqual(names({ sort: 'concept', descending: false, filter: ' D ' }), ['d']);
  });

  it('computes the filters-needed target as METHODS.md §5.7 states it', () => {
    const curve = [{ filters: 1, score: 0.6 }, { filters: 8, score: 0.9 }];
    assert.ok(Math.abs(curveTarget('segmentation', curve, 0.9)! - 0.81) < 1e-12);
    assert.ok(Math.abs(curveTarget('classification', curve, 0.9)! - (0.5 + 0.9 * 0.4)) < 1e-12);
    assert.equal(curveTarget('segmentation', [{ filters: 1, score: null }], 0.9), null);
  });

  it('draws the predicted mask as a fill and the true mask as its outline, scaled to the picture', () => {
    const truth = Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]); // 4×4, a 2×2 square
    assert.deepEqual(Array.from(outline(truth, 4, 4)), Array.from(truth)); // a 2×2 square is all edge
    const big = new Uint8Array(36); for (const i of [7, 8, 9, 10, 13, 14, 15, 16, 19, 20, 21, 22, 25, 26, 27, 28]) big[i] = 1; // 6×6, 4×4 square
    assert.equal(outline(big, 6, 6).reduce((a, b) => a + b, 0), 12, 'a 4×4 square has 12 edge pixels');
    const predicted = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const grey = new Uint8ClampedArray(8 * 8 * 4).fill(100);
    const out = overlayMasks(grey, 8, 8, predicted, truth, 4, 4);
    const px = (x: number, y: number) => Array.from(out.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4));
    assert.deepEqual(px(0, 0).slice(0, 3), PREDICTED_RGB.map((c) => Math.round(100 * 0.5 + c * 0.5))); // predicted top-left cell, scaled 2×
    assert.deepEqual(px(1, 1).slice(0, 3), px(0, 0).slice(0, 3));
    assert.deepEqual(px(2, 2).slice(0, 3), [...TRUTH_RGB]); // the square's corner, on its outline
    assert.deepEqual(px(3, 3), [100, 100, 100, 255]); // inside the 4×4 (scaled) square: not on the outline
    assert.deepEqual(px(7, 7), [100, 100, 100, 255]);
  });
});
