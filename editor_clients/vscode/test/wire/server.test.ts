/**
 * Drives the real `unmask serve` over stdio with exactly the requests the extension sends (built by
 * src/protocol.ts and src/settings.ts), on the deterministic fake engine. The initializationOptions are the
 * package.json defaults passed through `serverOptions()`, as the extension sends them, plus the fake
 * backend's test knobs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InitializeResult, InlineCompletionList } from 'vscode-languageserver-protocol';
import {
  Commands,
  alternativesParams,
  asAlternatives,
  asAppliedResult,
  fillHolesParams,
  regenerateEnclosingParams,
  regenerateParams,
  rerollParams,
} from '../../src/protocol';
import { serverOptions } from '../../src/settings';
import { WireClient, defaultSection, serverCommand } from './harness';

const FILL = 'return 0';
const SOURCE = [
  'def add(a, b):', //           line 0
  '    return a + b', //         line 1
  '',
  '',
  'def scale(xs, k):', //        line 4
  '    ___', //                  line 5: a hole
  '',
  '',
  'def main():', //              line 8
  '    print(add(1, 2))', //     line 9
  '',
].join('\n');
const URI = 'file:///work/example.py';

const command = serverCommand();

describe('unmask serve over the wire (fake engine)', { skip: command === undefined ? 'no server command found' : false }, () => {
  let client: WireClient;
  let init: InitializeResult;

  before(async () => {
    const section = { ...defaultSection(), backend: 'fake' };
    client = new WireClient(command ?? [], section);
    init = await client.initialize({ ...serverOptions(section), fakeText: FILL });
    await client.open(URI, 'python', SOURCE);
    await client.until(() => client.statuses.some((status) => status.state === 'ready'));
  });

  after(async () => {
    const code = await client.close();
    assert.equal(code, 0, `server exit code (stderr: ${client.stderr.slice(-2000)})`);
  });

  test('advertises the commands and inline completion the extension uses', () => {
    const commands = init.capabilities.executeCommandProvider?.commands ?? [];
    for (const name of Object.values(Commands)) {
      assert.ok(commands.includes(name), `${name} in ${commands.join(', ')}`);
    }
    assert.ok(init.capabilities.inlineCompletionProvider, 'inlineCompletionProvider');
    assert.equal(init.capabilities.textDocumentSync !== undefined, true);
  });

  test('the package.json defaults are accepted without a settings complaint', () => {
    assert.deepEqual(
      client.messages.filter((message) => /option|setting/i.test(message.message)),
      [],
    );
    assert.equal(client.statuses.at(-1)?.model, 'fake');
  });

  test('regenerate selection: one versioned edit, step notifications and progress on the way', async () => {
    const document = client.document(URI);
    const range = { start: { line: 1, character: 4 }, end: { line: 1, character: 16 } };
    const before = client.steps.length;
    const raw = await client.connection.sendRequest('workspace/executeCommand', regenerateParams(document, range));
    assert.deepEqual(asAppliedResult(raw), { applied: true });
    assert.equal(client.document(URI).getText().split('\n')[1], `    ${FILL}`);
    assert.equal(client.document(URI).version, 2);
    const applied = client.appliedEdits.at(-1)?.edit.documentChanges?.[0];
    assert.ok(applied && 'textDocument' in applied && applied.textDocument.version === 1, 'edit is for version 1');

    const steps = client.steps.slice(before);
    assert.ok(steps.length > 0, 'unmask/step notifications');
    assert.deepEqual(steps.at(-1)?.ranges, [range]);
    assert.equal(steps.at(-1)?.step, steps.at(-1)?.total);
    assert.ok(steps.every((step) => step.uri === URI && step.version === 1));
    const kinds = client.progress.map((item) => item.value.kind);
    assert.ok(kinds.includes('begin') && kinds.includes('end'), `progress kinds: ${kinds.join(',')}`);
  });

  test('a request for an old version is never applied', async () => {
    const stale = { uri: URI, version: 1 };
    const edits = client.appliedEdits.length;
    const raw = await client.connection.sendRequest('workspace/executeCommand', fillHolesParams(stale));
    const result = asAppliedResult(raw);
    assert.equal(result.applied, false);
    assert.match(result.reason ?? '', /version|changed/);
    assert.equal(client.appliedEdits.length, edits);
  });

  test('fill holes replaces the marker', async () => {
    const raw = await client.connection.sendRequest('workspace/executeCommand', fillHolesParams(client.document(URI)));
    assert.deepEqual(asAppliedResult(raw), { applied: true });
    const lines = client.document(URI).getText().split('\n');
    assert.equal(lines[5], `    ${FILL}`);
    assert.ok(!client.document(URI).getText().includes('___'));
  });

  test('re-roll right after a fill re-generates its uncertain tokens', async () => {
    const raw = await client.connection.sendRequest('workspace/executeCommand', rerollParams(client.document(URI)));
    assert.equal(typeof (raw as { applied?: unknown }).applied, 'boolean', JSON.stringify(raw));
    const result = asAppliedResult(raw);
    assert.ok(result.applied || result.reason, 'a reason when nothing was applied');
  });

  test('re-roll after the user edited the fill is refused with a message', async () => {
    const text = client.document(URI).getText();
    await client.change(URI, text + '# edited\n');
    await assert.rejects(
      client.connection.sendRequest('workspace/executeCommand', rerollParams(client.document(URI))),
      (error: Error) => /re-roll/.test(error.message),
    );
  });

  test('regenerate enclosing: level 1 is the node around level 0; a refused edit is reported', async () => {
    const document = client.document(URI);
    const text = document.getText();
    const position = { line: 9, character: 14 }; // inside `add(1, 2)`
    const rangesFor = async (level: number) => {
      const before = client.steps.length;
      const raw = await client.connection.sendRequest(
        'workspace/executeCommand',
        regenerateEnclosingParams(client.document(URI), position, level),
      );
      const steps = client.steps.slice(before);
      assert.ok(steps.length > 0, `steps for level ${level}`);
      return { result: asAppliedResult(raw), range: steps[0].ranges[0] };
    };
    client.refuseEdits = true;
    try {
      const inner = await rangesFor(0);
      const outer = await rangesFor(1);
      // Nothing is applied, and each refusal says why: the client refused the edit, or the fake engine's
      // 'return 0' does not parse in that place (the server never applies such a fill), or it changes nothing.
      for (const { result } of [inner, outer]) {
        assert.equal(result.applied, false);
        assert.match(result.reason ?? '', /refused by the test client|parses|no change/);
      }
      const offset = (p: { line: number; character: number }) => document.offsetAt(p);
      assert.ok(offset(outer.range.start) <= offset(inner.range.start), 'outer starts before inner');
      assert.ok(offset(outer.range.end) >= offset(inner.range.end), 'outer ends after inner');
      assert.ok(offset(outer.range.end) - offset(outer.range.start) > offset(inner.range.end) - offset(inner.range.start));
      assert.ok(offset(inner.range.start) <= offset(position) && offset(position) <= offset(inner.range.end));
    } finally {
      client.refuseEdits = false;
    }
    assert.equal(client.document(URI).getText(), text, 'refused edits leave the document as it was');
  });

  test('alternatives come back with edits and apply nothing by themselves', async () => {
    const document = client.document(URI);
    const version = document.version;
    const line = document.getText().split('\n')[1];
    const range = { start: { line: 1, character: 4 }, end: { line: 1, character: line.length } };
    const raw = await client.connection.sendRequest('workspace/executeCommand', alternativesParams(document, range, 2));
    const alternatives = asAlternatives(raw);
    assert.ok(alternatives.length >= 1, JSON.stringify(raw));
    assert.equal(client.document(URI).version, version, 'nothing applied by the server');
    // The extension applies the picked alternative's WorkspaceEdit itself.
    assert.equal(client.applyWorkspaceEdit(alternatives[0].edit), undefined);
    assert.ok(client.document(URI).getText().includes(alternatives[0].text.trim()));
  });

  test('inline completion at the end of a line', async () => {
    const document = client.document(URI);
    const lines = document.getText().split('\n');
    const last = lines.length - 1;
    const list = await client.connection.sendRequest<InlineCompletionList>('textDocument/inlineCompletion', {
      textDocument: { uri: URI },
      position: { line: last, character: lines[last].length },
      context: { triggerKind: 1 },
    });
    assert.ok(list.items.length >= 1, JSON.stringify(list));
    const inserted = list.items[0].insertText;
    assert.match(typeof inserted === 'string' ? inserted : inserted.value, /return 0/);
  });
});
