/**
 * Wiring only: creates the status bar, the step overlay and the client, and registers the commands.
 * The logic lives in commands.ts, status.ts, steps.ts and settings.ts (testable without VS Code).
 */
import * as vscode from 'vscode';
import type { WorkspaceEdit } from 'vscode-languageserver-protocol';
import * as commands from './commands';
import { UnmaskClient } from './server';
import { enabledLanguages } from './settings';
import { StatusModel } from './status';
import { StepOverlay } from './steps';
import * as vscodeapi from './vscodeapi';

/** VS Code command ids (distinct from the server's `unmask.regenerate` etc., which the client registers). */
export const CommandIds = {
  restartServer: 'unmask.restartServer',
  showLog: 'unmask.showLog',
  regenerateSelection: 'unmask.regenerateSelection',
  regenerateEnclosing: 'unmask.regenerateEnclosingNode',
  fillHoles: 'unmask.fillHolesInFile',
  showAlternatives: 'unmask.showAlternatives',
  reroll: 'unmask.rerollUncertain',
} as const;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscodeapi.createOutputChannel('unmask');
  const statusItem = vscodeapi.createStatusBarItem('unmask.status', 100);
  statusItem.name = 'unmask';
  statusItem.command = CommandIds.showLog;
  const status = new StatusModel();
  const overlay = new StepOverlay();
  const stepDecoration = vscodeapi.createDecorationType({
    opacity: '0.45',
    after: { color: vscodeapi.themeColor('editorGhostText.foreground'), margin: '0 0 0 1em', fontStyle: 'italic' },
  });

  const paintStatus = (): void => {
    const rendered = status.render();
    statusItem.text = rendered.text;
    statusItem.tooltip = rendered.tooltip;
    statusItem.backgroundColor =
      rendered.severity === 'error' ? vscodeapi.themeColor('statusBarItem.errorBackground') : undefined;
    statusItem.show();
  };
  const paintOverlay = (uri: string): void => {
    const options: vscode.DecorationOptions[] = overlay.decorations(uri).map((decoration) => ({
      range: vscodeapi.toRange(
        decoration.range.start.line,
        decoration.range.start.character,
        decoration.range.end.line,
        decoration.range.end.character,
      ),
      hoverMessage: vscodeapi.markdown('**unmask** (denoising)\n\n```\n' + decoration.full + '\n```'),
      renderOptions: { after: { contentText: decoration.preview } },
    }));
    for (const editor of vscodeapi.visibleTextEditors()) {
      if (editor.document.uri.toString() === uri) {
        editor.setDecorations(stepDecoration, options);
      }
    }
  };
  const documentVersion = (uri: string): number | undefined =>
    vscodeapi.visibleTextEditors().find((editor) => editor.document.uri.toString() === uri)?.document.version;

  const client = new UnmaskClient(output, {
    onStatus: (params) => {
      status.onStatus(params);
      paintStatus();
    },
    onStep: (params) => {
      status.onStep(params);
      paintStatus();
      const changed = overlay.onStep(params, documentVersion(params.uri));
      if (changed !== undefined) {
        paintOverlay(changed);
      }
    },
    onProgress: (token, value) => {
      status.onProgress(token, value);
      paintStatus();
    },
    onRunning: (running, message) => {
      void vscodeapi.setContext('unmask.running', running);
      if (!running) {
        status.onStopped(message);
        overlay.clearAll().forEach(paintOverlay);
      }
      paintStatus();
    },
  });

  const host: commands.CommandHost = {
    activeEditor: () => {
      const editor = vscodeapi.activeTextEditor();
      if (editor === undefined) {
        return undefined;
      }
      const { selection, document } = editor;
      return {
        uri: document.uri.toString(),
        version: document.version,
        languageId: document.languageId,
        selection: {
          start: { line: selection.start.line, character: selection.start.character },
          end: { line: selection.end.line, character: selection.end.character },
        },
        cursor: { line: selection.active.line, character: selection.active.character },
      };
    },
    isEnabledFor: (languageId) => enabledLanguages(vscodeapi.getConfiguration('unmask').get('languages')).includes(languageId),
    execute: async (params, uri) => {
      try {
        return await client.execute(params);
      } finally {
        // The final edit (or none) has landed: the intermediate text is obsolete either way.
        if (overlay.clear(uri)) {
          paintOverlay(uri);
        }
      }
    },
    pick: async (items, placeholder) => {
      const indexed = items.map((item, index) => ({ ...item, index }));
      const chosen = await vscodeapi.showQuickPick(indexed, { placeHolder: placeholder, matchOnDetail: true });
      return chosen?.index;
    },
    applyEdit: async (edit: WorkspaceEdit) => {
      const converted = await client.toCodeEdit(edit);
      return converted !== undefined && (await vscodeapi.applyEdit(converted));
    },
    info: (message) => void vscodeapi.showInformationMessage(message),
    warn: (message) => void vscodeapi.showWarningMessage(message),
  };

  const guarded =
    (run: (...args: unknown[]) => Promise<unknown>) =>
    async (...args: unknown[]): Promise<void> => {
      try {
        await run(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        output.error(message);
        void vscodeapi.showErrorMessage(`unmask: ${message}`);
      }
    };
  const levelArg = (arg: unknown): number => {
    const level = typeof arg === 'number' ? arg : (arg as { level?: unknown } | undefined)?.level;
    return typeof level === 'number' && Number.isInteger(level) && level >= 0 ? level : 0;
  };
  const countArg = (): number => vscodeapi.getConfiguration('unmask').get<number>('alternatives.count', 3);

  context.subscriptions.push(
    output,
    statusItem,
    stepDecoration,
    client,
    vscodeapi.registerCommand(CommandIds.restartServer, guarded(() => client.restart())),
    vscodeapi.registerCommand(CommandIds.showLog, () => output.show()),
    vscodeapi.registerCommand(CommandIds.regenerateSelection, guarded(() => commands.regenerateSelection(host))),
    vscodeapi.registerCommand(CommandIds.regenerateEnclosing, guarded((arg) => commands.regenerateEnclosing(host, levelArg(arg)))),
    vscodeapi.registerCommand(CommandIds.fillHoles, guarded(() => commands.fillHoles(host))),
    vscodeapi.registerCommand(CommandIds.showAlternatives, guarded(() => commands.showAlternatives(host, countArg()))),
    vscodeapi.registerCommand(CommandIds.reroll, guarded(() => commands.reroll(host))),
    vscodeapi.onDidChangeTextDocument((event) => {
      const uri = event.document.uri.toString();
      if (overlay.onDocumentChanged(uri, event.document.version)) {
        paintOverlay(uri);
      }
    }),
    vscodeapi.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('unmask')) {
        return;
      }
      void vscodeapi.setContext('unmask.languageIds', enabledLanguages(vscodeapi.getConfiguration('unmask').get('languages')));
      // The process and the document selector are fixed at start; everything else the server re-reads.
      if (event.affectsConfiguration('unmask.server') || event.affectsConfiguration('unmask.languages')) {
        void client.restart();
      } else {
        void client.sendConfiguration();
      }
    }),
  );
  await vscodeapi.setContext('unmask.languageIds', enabledLanguages(vscodeapi.getConfiguration('unmask').get('languages')));
  status.onStarting();
  paintStatus();
  await client.start();
}

export function deactivate(): void {
  // The client is in context.subscriptions; VS Code disposes it, which stops the server.
}
