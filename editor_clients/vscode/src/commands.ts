/**
 * What each user command does, written against a small `CommandHost` so it runs without VS Code.
 *
 * The server applies the edits of regenerate / enclosing / holes / re-roll itself (workspace/applyEdit,
 * which VS Code turns into one undo step). Show Alternatives is the one command whose edit the client
 * applies: the server returns candidates, the user picks one, and we apply its WorkspaceEdit.
 */
import type { ExecuteCommandParams, Position, Range, WorkspaceEdit } from 'vscode-languageserver-protocol';
import {
  alternativesParams,
  asAlternatives,
  asAppliedResult,
  fillHolesParams,
  regenerateEnclosingParams,
  regenerateParams,
  rerollParams,
  type Alternative,
  type DocumentRef,
} from './protocol';

/** The active editor, in LSP units. */
export interface EditorSnapshot extends DocumentRef {
  languageId: string;
  selection: Range;
  cursor: Position;
}

export interface PickItem {
  label: string;
  description?: string;
  detail?: string;
}

export interface CommandHost {
  activeEditor(): EditorSnapshot | undefined;
  /** Whether the client is attached to this language (the `languages` setting). */
  isEnabledFor(languageId: string): boolean;
  /** workspace/executeCommand on the running client; rejects if the server is not running. */
  execute(params: ExecuteCommandParams, uri: string): Promise<unknown>;
  pick(items: PickItem[], placeholder: string): Promise<number | undefined>;
  applyEdit(edit: WorkspaceEdit): Promise<boolean>;
  info(message: string): void;
  warn(message: string): void;
}

export type Outcome = 'applied' | 'not-applied' | 'cancelled' | 'no-editor';

function isEmpty(range: Range): boolean {
  return range.start.line === range.end.line && range.start.character === range.end.character;
}

function editorOrWarn(host: CommandHost): EditorSnapshot | undefined {
  const editor = host.activeEditor();
  if (editor === undefined) {
    host.warn('unmask: open a file first.');
    return undefined;
  }
  if (!host.isEnabledFor(editor.languageId)) {
    host.warn(`unmask: not enabled for ${editor.languageId} (see the "unmask.languages" setting).`);
    return undefined;
  }
  return editor;
}

/**
 * LSP errors that mean "not now" rather than "broken": invalid params (e.g. nothing to re-roll), content
 * modified (the document changed under the request), request cancelled. Shown as warnings.
 */
export const EXPECTED_ERROR_CODES: readonly number[] = [-32602, -32801, -32800];

function expectedError(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const { code, message } = error;
    if (typeof code === 'number' && EXPECTED_ERROR_CODES.includes(code) && typeof message === 'string') {
      return message;
    }
  }
  return undefined;
}

/** Runs a server command; expected refusals become a warning and `undefined`, other errors propagate. */
async function executeOrWarn(host: CommandHost, params: ExecuteCommandParams, uri: string): Promise<{ value: unknown } | undefined> {
  try {
    return { value: await host.execute(params, uri) };
  } catch (error) {
    const message = expectedError(error);
    if (message === undefined) {
      throw error;
    }
    host.warn(`unmask: ${message}`);
    return undefined;
  }
}

async function runApplying(host: CommandHost, params: ExecuteCommandParams, uri: string): Promise<Outcome> {
  const answer = await executeOrWarn(host, params, uri);
  if (answer === undefined) {
    return 'not-applied';
  }
  const result = asAppliedResult(answer.value);
  if (!result.applied) {
    host.warn(`unmask: nothing applied${result.reason ? `: ${result.reason}` : '.'}`);
    return 'not-applied';
  }
  return 'applied';
}

/** Regenerates the selection (the server snaps it to whole nodes); with no selection, the node at the cursor. */
export async function regenerateSelection(host: CommandHost): Promise<Outcome> {
  const editor = editorOrWarn(host);
  if (editor === undefined) {
    return 'no-editor';
  }
  const params = isEmpty(editor.selection)
    ? regenerateEnclosingParams(editor, editor.cursor, 0)
    : regenerateParams(editor, editor.selection);
  return runApplying(host, params, editor.uri);
}

/** Regenerates the named node around the cursor; `level` n is n nodes further out. */
export async function regenerateEnclosing(host: CommandHost, level = 0): Promise<Outcome> {
  const editor = editorOrWarn(host);
  if (editor === undefined) {
    return 'no-editor';
  }
  return runApplying(host, regenerateEnclosingParams(editor, editor.cursor, level), editor.uri);
}

export async function fillHoles(host: CommandHost): Promise<Outcome> {
  const editor = editorOrWarn(host);
  if (editor === undefined) {
    return 'no-editor';
  }
  return runApplying(host, fillHolesParams(editor), editor.uri);
}

export async function reroll(host: CommandHost): Promise<Outcome> {
  const editor = editorOrWarn(host);
  if (editor === undefined) {
    return 'no-editor';
  }
  return runApplying(host, rerollParams(editor), editor.uri);
}

/** Quick-pick rows for alternatives: the first line as label, score and line count aside, more in detail. */
export function alternativeItems(alternatives: readonly Alternative[]): PickItem[] {
  return alternatives.map((alternative, index) => {
    const lines = alternative.text.split(/\r?\n/);
    const first = lines.find((line) => line.trim() !== '')?.trim() ?? '(empty)';
    const rest = lines
      .slice(1)
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .join(' \u23ce ');
    return {
      label: `${index + 1}. ${first}`,
      description: `score ${alternative.score.toFixed(2)}${lines.length > 1 ? ` · ${lines.length} lines` : ''}`,
      detail: rest === '' ? undefined : rest.length > 200 ? rest.slice(0, 199) + '\u2026' : rest,
    };
  });
}

export async function showAlternatives(host: CommandHost, count = 3): Promise<Outcome> {
  const editor = editorOrWarn(host);
  if (editor === undefined) {
    return 'no-editor';
  }
  const answer = await executeOrWarn(host, alternativesParams(editor, editor.selection, count), editor.uri);
  if (answer === undefined) {
    return 'not-applied';
  }
  const alternatives = asAlternatives(answer.value);
  if (alternatives.length === 0) {
    host.info('unmask: no alternatives for this range.');
    return 'not-applied';
  }
  const chosen = await host.pick(alternativeItems(alternatives), 'Pick a rewrite (Esc keeps the code as it is)');
  if (chosen === undefined) {
    return 'cancelled';
  }
  const current = host.activeEditor();
  if (current === undefined || current.uri !== editor.uri || current.version !== editor.version) {
    host.warn('unmask: the document changed while you picked; run Show Alternatives again.');
    return 'not-applied';
  }
  if (!(await host.applyEdit(alternatives[chosen].edit))) {
    host.warn('unmask: VS Code refused the edit (the document may have changed).');
    return 'not-applied';
  }
  return 'applied';
}
