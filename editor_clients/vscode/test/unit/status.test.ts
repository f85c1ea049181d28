import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusModel } from '../../src/status';

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

test('status follows unmask/status', () => {
  const status = new StatusModel();
  assert.equal(status.render().severity, 'busy');
  status.onStatus({ state: 'loading', model: 'unmask-small' });
  assert.match(status.render().text, /loading/);
  status.onStatus({ state: 'ready', model: 'unmask-small' });
  assert.deepEqual(status.render(), {
    text: '$(check) unmask unmask-small',
    tooltip: 'unmask: ready (model unmask-small)',
    severity: 'normal',
  });
  status.onStatus({ state: 'error', model: 'unmask-small', message: 'weights missing' });
  assert.equal(status.render().severity, 'error');
  assert.match(status.render().tooltip, /weights missing/);
});

test('progress shows percentage while a fill runs and clears at end', () => {
  const status = new StatusModel();
  status.onStatus({ state: 'ready', model: 'm' });
  status.onProgress('tok', { kind: 'begin', title: 'Regenerating', percentage: 0 });
  assert.equal(status.render().text, '$(sync~spin) unmask: Regenerating 0%');
  status.onProgress('tok', { kind: 'report', percentage: 50, message: 'step 2/4' });
  assert.equal(status.render().text, '$(sync~spin) unmask: Regenerating 50%');
  assert.match(status.render().tooltip, /step 2\/4/);
  status.onProgress('tok', { kind: 'end' });
  assert.equal(status.render().text, '$(check) unmask m');
});

test('steps alone give a percentage; ready clears it', () => {
  const status = new StatusModel();
  status.onStatus({ state: 'busy', model: 'm' });
  status.onStep({ uri: 'file:///a', version: 1, ranges: [range], texts: ['x'], step: 3, total: 4 });
  assert.equal(status.render().text, '$(sync~spin) unmask: filling 75%');
  status.onStatus({ state: 'ready', model: 'm' });
  assert.equal(status.render().severity, 'normal');
});

test('a stopped server forgets its progress', () => {
  const status = new StatusModel();
  status.onProgress(1, { kind: 'begin', title: 'Filling' });
  status.onStopped('crashed');
  assert.equal(status.render().text, '$(debug-disconnect) unmask');
  assert.match(status.render().tooltip, /crashed/);
});
