/**
 * A minimal LSP client for the wire test: spawns the real `unmask serve` and does what vscode-languageclient
 * does for the requests the extension makes — declares the same capabilities, answers
 * workspace/configuration through `serverOptions()`, applies workspace/applyEdit to its in-memory documents
 * and then sends didChange with the next version, as VS Code does.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  ApplyWorkspaceEditParams,
  ApplyWorkspaceEditResult,
  ConfigurationParams,
  InitializeResult,
  ProgressToken,
  TextEdit,
  WorkDoneProgressBegin,
  WorkDoneProgressEnd,
  WorkDoneProgressReport,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { Notifications, isStatusParams, isStepParams, type StatusParams, type StepParams } from '../../src/protocol';
import { serverOptions } from '../../src/settings';

export const extensionRoot = path.resolve(__dirname, '..', '..', '..', '..');
export const repoRoot = path.resolve(extensionRoot, '..', '..');

/** The server command: $UNMASK_SERVER (JSON array), else the repo's venv Python; undefined if neither exists. */
export function serverCommand(): string[] | undefined {
  const fromEnv = process.env.UNMASK_SERVER;
  if (fromEnv) {
    return JSON.parse(fromEnv) as string[];
  }
  const python = path.join(repoRoot, '.venv', 'bin', 'python');
  return existsSync(python) ? [python, '-m', 'unmask.cli', 'serve'] : undefined;
}

/** The `unmask` section as VS Code would return it with nothing set: package.json defaults, nested keys. */
export function defaultSection(): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(path.join(extensionRoot, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default: unknown }> } };
  };
  const section: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(manifest.contributes.configuration.properties)) {
    const parts = key.split('.').slice(1);
    let target = section;
    for (const part of parts.slice(0, -1)) {
      target = (target[part] ??= {}) as Record<string, unknown>;
    }
    target[parts[parts.length - 1]] = schema.default;
  }
  return section;
}

/** The capabilities vscode-languageclient 11 declares that the server's features depend on. */
export const clientCapabilities = {
  workspace: {
    applyEdit: true,
    workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'] },
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    executeCommand: { dynamicRegistration: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
    completion: { dynamicRegistration: true, completionItem: { snippetSupport: true } },
    codeAction: { dynamicRegistration: true, resolveSupport: { properties: ['edit'] }, dataSupport: true },
    inlineCompletion: { dynamicRegistration: true },
  },
  window: { workDoneProgress: true, showMessage: {} },
  general: { positionEncodings: ['utf-16'] },
};

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export class WireClient {
  readonly connection: MessageConnection;
  readonly documents = new Map<string, TextDocument>();
  readonly statuses: StatusParams[] = [];
  readonly steps: StepParams[] = [];
  readonly progress: { token: ProgressToken; value: ProgressValue }[] = [];
  readonly messages: { type: number; message: string }[] = [];
  readonly appliedEdits: ApplyWorkspaceEditParams[] = [];
  stderr = '';
  /** Answer workspace/applyEdit with applied: false (as VS Code does when the user's edit raced it). */
  refuseEdits = false;
  private readonly process: ChildProcessWithoutNullStreams;
  private readonly waiters: (() => void)[] = [];

  constructor(
    command: string[],
    readonly section: Record<string, unknown>,
  ) {
    this.process = spawn(command[0], command.slice(1), { cwd: repoRoot, stdio: 'pipe' });
    this.process.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.connection = createMessageConnection(
      new StreamMessageReader(this.process.stdout),
      new StreamMessageWriter(this.process.stdin),
    );
    this.connection.onNotification(Notifications.status, (params: unknown) => {
      if (isStatusParams(params)) this.statuses.push(params);
      this.wake();
    });
    this.connection.onNotification(Notifications.step, (params: unknown) => {
      if (isStepParams(params)) this.steps.push(params);
      this.wake();
    });
    this.connection.onNotification('$/progress', (params: { token: ProgressToken; value: ProgressValue }) => {
      this.progress.push(params);
      this.wake();
    });
    this.connection.onNotification('window/showMessage', (params: { type: number; message: string }) => {
      this.messages.push(params);
    });
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.onRequest('window/showMessageRequest', (params: { type: number; message: string }) => {
      this.messages.push(params);
      return null;
    });
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/configuration', (params: ConfigurationParams) =>
      params.items.map((item) => (item.section === 'unmask' ? serverOptions(this.section) : null)),
    );
    this.connection.onRequest('workspace/applyEdit', (params: ApplyWorkspaceEditParams): ApplyWorkspaceEditResult => {
      if (this.refuseEdits) {
        return { applied: false, failureReason: 'refused by the test client' };
      }
      this.appliedEdits.push(params);
      const failure = this.applyWorkspaceEdit(params.edit);
      return failure === undefined ? { applied: true } : { applied: false, failureReason: failure };
    });
    this.connection.listen();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits until `condition` holds, re-checking at every notification (no timers: the test runner bounds it). */
  async until(condition: () => boolean): Promise<void> {
    while (!condition()) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async initialize(initializationOptions: Record<string, unknown>): Promise<InitializeResult> {
    const result = await this.connection.sendRequest<InitializeResult>('initialize', {
      processId: process.pid,
      clientInfo: { name: 'Visual Studio Code', version: '1.91.0' },
      rootUri: null,
      workspaceFolders: null,
      capabilities: clientCapabilities,
      initializationOptions,
    });
    await this.connection.sendNotification('initialized', {});
    return result;
  }

  async open(uri: string, languageId: string, text: string): Promise<TextDocument> {
    const document = TextDocument.create(uri, languageId, 1, text);
    this.documents.set(uri, document);
    await this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId, version: 1, text },
    });
    return document;
  }

  document(uri: string): TextDocument {
    const document = this.documents.get(uri);
    if (document === undefined) throw new Error(`${uri} is not open`);
    return document;
  }

  /** Replaces the whole text, bumping the version (a user edit). */
  async change(uri: string, text: string): Promise<void> {
    const document = this.document(uri);
    TextDocument.update(document, [{ text }], document.version + 1);
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: document.version },
      contentChanges: [{ text }],
    });
  }

  /** Applies a WorkspaceEdit like VS Code: refuse a versioned edit for another version, else apply + didChange. */
  applyWorkspaceEdit(edit: WorkspaceEdit): string | undefined {
    const perUri = new Map<string, TextEdit[]>();
    for (const change of edit.documentChanges ?? []) {
      if (!('textDocument' in change)) return 'resource operations are not expected';
      const document = this.documents.get(change.textDocument.uri);
      if (document === undefined) return `${change.textDocument.uri} is not open`;
      if (change.textDocument.version !== null && change.textDocument.version !== document.version) {
        return `version mismatch: edit for ${change.textDocument.version}, document at ${document.version}`;
      }
      perUri.set(change.textDocument.uri, change.edits.filter((item): item is TextEdit => 'newText' in item));
    }
    for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
      perUri.set(uri, edits);
    }
    for (const [uri, edits] of perUri) {
      const document = this.document(uri);
      const text = TextDocument.applyEdits(document, edits);
      TextDocument.update(document, [{ text }], document.version + 1);
      void this.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: document.version },
        contentChanges: [{ text }],
      });
    }
    return undefined;
  }

  async close(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.process.on('exit', (code) => resolve(code)));
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      this.process.kill();
    }
    const code = await exited;
    this.connection.dispose();
    return code;
  }
}
