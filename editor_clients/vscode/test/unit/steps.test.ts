import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASK_GLYPH, PREVIEW_CHARS, StepOverlay, previewText } from '../../src/steps';

const range = { start: { line: 2, character: 4 }, end: { line: 3, character: 0 } };
const step = (version: number, text: string) => ({
  uri: 'file:///a.py',
  version,
  ranges: [range],
  texts: [text],
  step: 1,
  total: 4,
});

test('previews are one line, masked runs shortened, long text cut', () => {
  assert.equal(previewText('if x:\n    return 1\n'), 'if x: \u23ce return 1');
  assert.equal(previewText(`a = ${MASK_GLYPH.repeat(10)}`), `a = ${MASK_GLYPH.repeat(3)}\u2026`);
  const long = previewText('x'.repeat(500));
  assert.equal(long.length, PREVIEW_CHARS);
  assert.ok(long.endsWith('\u2026'));
});

test('overlay keeps the latest step per document', () => {
  const overlay = new StepOverlay();
  assert.equal(overlay.onStep(step(3, 'a'), 3), 'file:///a.py');
  overlay.onStep(step(3, 'ab'), 3);
  assert.deepEqual(overlay.decorations('file:///a.py'), [{ range, preview: 'ab', full: 'ab' }]);
  assert.equal(overlay.clear('file:///a.py'), true);
  assert.deepEqual(overlay.decorations('file:///a.py'), []);
});

test('steps for another version are ignored and drop a stale overlay', () => {
  const overlay = new StepOverlay();
  overlay.onStep(step(3, 'a'), 3);
  assert.equal(overlay.onStep(step(3, 'ab'), 4), 'file:///a.py');
  assert.deepEqual(overlay.decorations('file:///a.py'), []);
  assert.equal(overlay.onStep(step(3, 'abc'), 4), undefined);
});

test('typing into the document drops its overlay', () => {
  const overlay = new StepOverlay();
  overlay.onStep(step(3, 'a'), undefined);
  assert.equal(overlay.onDocumentChanged('file:///a.py', 3), false);
  assert.equal(overlay.onDocumentChanged('file:///a.py', 4), true);
  assert.deepEqual(overlay.clearAll(), []);
});
