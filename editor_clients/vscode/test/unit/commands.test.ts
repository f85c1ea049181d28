import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecuteCommandParams, WorkspaceEdit } from 'vscode-languageserver-protocol';
import {
  alternativeItems,
  fillHoles,
  regenerateEnclosing,
  regenerateSelection,
  reroll,
  showAlternatives,
  type CommandHost,
  type EditorSnapshot,
  type PickItem,
} from '../../src/commands';

/** A host that records what the command logic asks of VS Code; the server's answers are scripted. */
class RecordingHost implements CommandHost {
  editor: EditorSnapshot | undefined;
  enabled = true;
  replies: unknown[] = [];
  /** Thrown by the next execute() instead of replying. */
  failure: Error | undefined;
  sent: ExecuteCommandParams[] = [];
  picked: number | undefined = 0;
  pickedFrom: PickItem[] = [];
  applied: WorkspaceEdit[] = [];
  warnings: string[] = [];
  infos: string[] = [];
  /** Runs while the quick pick is open (e.g. the user types). */
  duringPick: (() => void) | undefined;

  constructor(editor?: EditorSnapshot) {
    this.editor = editor;
  }
  activeEditor(): EditorSnapshot | undefined {
    return this.editor === undefined ? undefined : { ...this.editor };
  }
  isEnabledFor(): boolean {
    return this.enabled;
  }
  execute(params: ExecuteCommandParams): Promise<unknown> {
    this.sent.push(params);
    if (this.failure !== undefined) {
      return Promise.reject(this.failure);
    }
    return Promise.resolve(this.replies.shift());
  }
  pick(items: PickItem[]): Promise<number | undefined> {
    this.pickedFrom = items;
    this.duringPick?.();
    return Promise.resolve(this.picked);
  }
  applyEdit(edit: WorkspaceEdit): Promise<boolean> {
    this.applied.push(edit);
    return Promise.resolve(true);
  }
  info(message: string): void {
    this.infos.push(message);
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
}

const position = { line: 4, character: 8 };
const editor = (selection = { start: position, end: position }): EditorSnapshot => ({
  uri: 'file:///w/a.py',
  version: 12,
  languageId: 'python',
  selection,
  cursor: selection.end,
});
const selected = { start: { line: 3, character: 0 }, end: { line: 5, character: 0 } };

test('regenerate selection sends the selection; an empty selection means the node at the cursor', async () => {
  const host = new RecordingHost(editor(selected));
  host.replies = [{ applied: true }];
  assert.equal(await regenerateSelection(host), 'applied');
  assert.deepEqual(host.sent, [{ command: 'unmask.regenerate', arguments: [{ uri: 'file:///w/a.py', version: 12, range: selected }] }]);

  const empty = new RecordingHost(editor());
  empty.replies = [{ applied: true }];
  await regenerateSelection(empty);
  assert.deepEqual(empty.sent[0].arguments, [{ uri: 'file:///w/a.py', version: 12, position, level: 0 }]);
});

test('a result the server did not apply is reported with its reason', async () => {
  const host = new RecordingHost(editor());
  host.replies = [{ applied: false, reason: 'the document changed (version 12, now 13)' }];
  assert.equal(await fillHoles(host), 'not-applied');
  assert.deepEqual(host.warnings, ['unmask: nothing applied: the document changed (version 12, now 13)']);
});

test('enclosing, holes and re-roll send the documented commands', async () => {
  const host = new RecordingHost(editor());
  host.replies = [{ applied: true }, { applied: true }, { applied: true }];
  await regenerateEnclosing(host, 2);
  await fillHoles(host);
  await reroll(host);
  assert.deepEqual(
    host.sent.map((params): unknown[] => [params.command, params.arguments?.[0] as unknown]),
    [
      ['unmask.regenerateEnclosing', { uri: 'file:///w/a.py', version: 12, position, level: 2 }],
      ['unmask.fillHoles', { uri: 'file:///w/a.py', version: 12 }],
      ['unmask.reroll', { uri: 'file:///w/a.py', version: 12 }],
    ],
  );
});

test('no editor or a disabled language sends nothing', async () => {
  const none = new RecordingHost(undefined);
  assert.equal(await fillHoles(none), 'no-editor');
  const disabled = new RecordingHost(editor());
  disabled.enabled = false;
  assert.equal(await reroll(disabled), 'no-editor');
  assert.deepEqual([...none.sent, ...disabled.sent], []);
  assert.match(disabled.warnings[0], /not enabled for python/);
});

const edit = (text: string): WorkspaceEdit => ({
  changes: { 'file:///w/a.py': [{ range: selected, newText: text }] },
});

test('alternatives: pick one, apply exactly its edit', async () => {
  const host = new RecordingHost(editor(selected));
  host.replies = [
    {
      alternatives: [
        { text: 'return a + b\n', score: -0.1, edit: edit('return a + b\n') },
        { text: 'total = a + b\nreturn total\n', score: -0.7, edit: edit('total = a + b\nreturn total\n') },
      ],
    },
  ];
  host.picked = 1;
  assert.equal(await showAlternatives(host, 2), 'applied');
  assert.deepEqual(host.sent[0].arguments, [{ uri: 'file:///w/a.py', version: 12, range: selected, count: 2 }]);
  assert.deepEqual(host.applied, [edit('total = a + b\nreturn total\n')]);
  assert.equal(host.pickedFrom[1].label, '2. total = a + b');
});

test('alternatives: Esc applies nothing; a document edited during the pick applies nothing', async () => {
  const escaped = new RecordingHost(editor(selected));
  escaped.replies = [{ alternatives: [{ text: 'x', score: 0, edit: edit('x') }] }];
  escaped.picked = undefined;
  assert.equal(await showAlternatives(escaped), 'cancelled');

  const typed = new RecordingHost(editor(selected));
  typed.replies = [{ alternatives: [{ text: 'x', score: 0, edit: edit('x') }] }];
  typed.duringPick = () => {
    if (typed.editor) typed.editor.version += 1;
  };
  assert.equal(await showAlternatives(typed), 'not-applied');
  assert.deepEqual([...escaped.applied, ...typed.applied], []);
});

test('alternative rows: first non-blank line, score, rest in detail', () => {
  const items = alternativeItems([
    { text: '\nif x:\n    return 1\n', score: -0.25, edit: {} },
    { text: '', score: -2, edit: {} },
  ]);
  assert.deepEqual(items[0], { label: '1. if x:', description: 'score -0.25 · 4 lines', detail: 'if x: \u23ce return 1' });
  assert.equal(items[1].label, '2. (empty)');
  assert.equal(items[1].detail, undefined);
});

test('expected refusals (invalid params, content modified) are warnings; other errors propagate', async () => {
  const host = new RecordingHost(editor());
  host.failure = Object.assign(new Error('nothing to re-roll: no fill has run'), { code: -32602 });
  assert.equal(await reroll(host), 'not-applied');
  assert.deepEqual(host.warnings, ['unmask: nothing to re-roll: no fill has run']);

  const broken = new RecordingHost(editor(selected));
  broken.failure = Object.assign(new Error('internal error'), { code: -32603 });
  await assert.rejects(showAlternatives(broken), /internal error/);
});
