import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alternativesParams,
  asAlternatives,
  asAppliedResult,
  fillHolesParams,
  isStatusParams,
  isStepParams,
  regenerateEnclosingParams,
  regenerateParams,
  rerollParams,
} from '../../src/protocol';

const doc = { uri: 'file:///tmp/a.py', version: 7 };
const range = { start: { line: 1, character: 4 }, end: { line: 2, character: 0 } };

test('each command sends one JSON object argument with uri and version', () => {
  assert.deepEqual(regenerateParams(doc, range), {
    command: 'unmask.regenerate',
    arguments: [{ uri: doc.uri, version: 7, range }],
  });
  assert.deepEqual(regenerateEnclosingParams(doc, range.start, 2), {
    command: 'unmask.regenerateEnclosing',
    arguments: [{ uri: doc.uri, version: 7, position: range.start, level: 2 }],
  });
  assert.deepEqual(fillHolesParams(doc), { command: 'unmask.fillHoles', arguments: [{ uri: doc.uri, version: 7 }] });
  assert.deepEqual(rerollParams(doc), { command: 'unmask.reroll', arguments: [{ uri: doc.uri, version: 7 }] });
  assert.deepEqual(alternativesParams(doc, range, 5), {
    command: 'unmask.alternatives',
    arguments: [{ uri: doc.uri, version: 7, range, count: 5 }],
  });
});

test('enclosing level defaults to 0 and rejects negatives; count must be positive', () => {
  assert.equal((regenerateEnclosingParams(doc, range.start).arguments?.[0] as { level: number }).level, 0);
  assert.throws(() => regenerateEnclosingParams(doc, range.start, -1), RangeError);
  assert.throws(() => regenerateEnclosingParams(doc, range.start, 1.5), RangeError);
  assert.throws(() => alternativesParams(doc, range, 0), RangeError);
});

test('applied results are read defensively', () => {
  assert.deepEqual(asAppliedResult({ applied: true }), { applied: true });
  assert.deepEqual(asAppliedResult({ applied: false, reason: 'stale version' }), { applied: false, reason: 'stale version' });
  assert.equal(asAppliedResult(null).applied, false);
  assert.equal(asAppliedResult({ applied: 'yes' }).applied, false);
});

test('alternatives drop malformed entries', () => {
  const good = { text: 'x = 1', score: -0.5, edit: { changes: {} } };
  assert.deepEqual(asAlternatives({ alternatives: [good, { text: 3 }, null, { text: 'y', score: 1 }] }), [good]);
  assert.deepEqual(asAlternatives(undefined), []);
  assert.deepEqual(asAlternatives({ alternatives: 'nope' }), []);
});

test('notification guards', () => {
  assert.ok(isStatusParams({ state: 'ready', model: 'unmask-tiny' }));
  assert.ok(!isStatusParams({ state: 'sleeping', model: 'm' }));
  assert.ok(!isStatusParams({ state: 'ready' }));
  const step = { uri: doc.uri, version: 1, ranges: [range], texts: ['x'], step: 1, total: 4 };
  assert.ok(isStepParams(step));
  assert.ok(!isStepParams({ ...step, texts: [] }), 'one text per range');
});
