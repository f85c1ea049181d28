/**
 * The wire protocol of `unmask serve`, as the extension speaks it (see docs/protocol.md).
 *
 * Pure data: no `vscode` import, so the unit tests and the wire test (which drives the real server over
 * stdio from plain node) build exactly the requests the extension sends. Positions and ranges are LSP ones:
 * zero-based lines, UTF-16 code-unit columns — the same units as `vscode.Position`.
 */
import type { ExecuteCommandParams, Position, Range, WorkspaceEdit } from 'vscode-languageserver-protocol';

export const Commands = {
  regenerate: 'unmask.regenerate',
  regenerateEnclosing: 'unmask.regenerateEnclosing',
  fillHoles: 'unmask.fillHoles',
  alternatives: 'unmask.alternatives',
  reroll: 'unmask.reroll',
} as const;
export type ServerCommand = (typeof Commands)[keyof typeof Commands];

export const Notifications = {
  status: 'unmask/status',
  step: 'unmask/step',
} as const;

/** The document a command works on: its URI and the version the client last sent in didOpen/didChange. */
export interface DocumentRef {
  uri: string;
  version: number;
}

export function regenerateParams(doc: DocumentRef, range: Range): ExecuteCommandParams {
  return { command: Commands.regenerate, arguments: [{ uri: doc.uri, version: doc.version, range }] };
}

/** `level` 0 is the smallest named node around `position`; each level up is the next enclosing one. */
export function regenerateEnclosingParams(doc: DocumentRef, position: Position, level = 0): ExecuteCommandParams {
  if (!Number.isInteger(level) || level < 0) {
    throw new RangeError(`level must be a non-negative integer, not ${level}`);
  }
  return {
    command: Commands.regenerateEnclosing,
    arguments: [{ uri: doc.uri, version: doc.version, position, level }],
  };
}

export function fillHolesParams(doc: DocumentRef): ExecuteCommandParams {
  return { command: Commands.fillHoles, arguments: [{ uri: doc.uri, version: doc.version }] };
}

export function alternativesParams(doc: DocumentRef, range: Range, count = 3): ExecuteCommandParams {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`count must be a positive integer, not ${count}`);
  }
  return { command: Commands.alternatives, arguments: [{ uri: doc.uri, version: doc.version, range, count }] };
}

export function rerollParams(doc: DocumentRef): ExecuteCommandParams {
  return { command: Commands.reroll, arguments: [{ uri: doc.uri, version: doc.version }] };
}

/** What the edit-applying commands return. */
export interface AppliedResult {
  applied: boolean;
  reason?: string;
}

export interface Alternative {
  text: string;
  score: number;
  edit: WorkspaceEdit;
}

export interface AlternativesResult {
  alternatives: Alternative[];
}

export type ServerState = 'loading' | 'ready' | 'busy' | 'error';

export interface StatusParams {
  state: ServerState;
  model: string;
  message?: string;
}

export interface StepParams {
  uri: string;
  version: number;
  ranges: Range[];
  texts: string[];
  step: number;
  total: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Reads a command result defensively: the server is another process, maybe another version. */
export function asAppliedResult(value: unknown): AppliedResult {
  if (isObject(value) && typeof value.applied === 'boolean') {
    return typeof value.reason === 'string'
      ? { applied: value.applied, reason: value.reason }
      : { applied: value.applied };
  }
  return { applied: false, reason: 'the server returned no result' };
}

export function asAlternatives(value: unknown): Alternative[] {
  if (!isObject(value) || !Array.isArray(value.alternatives)) {
    return [];
  }
  return value.alternatives.filter(
    (item: unknown): item is Alternative =>
      isObject(item) && typeof item.text === 'string' && typeof item.score === 'number' && isObject(item.edit),
  );
}

const STATES: readonly string[] = ['loading', 'ready', 'busy', 'error'];

export function isStatusParams(value: unknown): value is StatusParams {
  return isObject(value) && typeof value.state === 'string' && STATES.includes(value.state) && typeof value.model === 'string';
}

export function isStepParams(value: unknown): value is StepParams {
  return (
    isObject(value) &&
    typeof value.uri === 'string' &&
    typeof value.version === 'number' &&
    Array.isArray(value.ranges) &&
    Array.isArray(value.texts) &&
    value.ranges.length === value.texts.length &&
    typeof value.step === 'number' &&
    typeof value.total === 'number'
  );
}
