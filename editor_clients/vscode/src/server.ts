/**
 * Starting, stopping and restarting the language client that runs `unmask serve` over stdio.
 */
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  type ExecuteCommandParams,
  type LanguageClientOptions,
  type ServerOptions as ClientServerOptions,
} from 'vscode-languageclient/node';
import { Notifications, isStatusParams, isStepParams, type StatusParams, type StepParams } from './protocol';
import { enabledLanguages, resolveServerCommand, serverOptions, startFailureMessage, type ServerCommand } from './settings';
import type { WorkDoneValue } from './status';
import * as vscodeapi from './vscodeapi';

export interface ClientEvents {
  onStatus(params: StatusParams): void;
  onStep(params: StepParams): void;
  onProgress(token: string | number, value: WorkDoneValue): void;
  onRunning(running: boolean, message?: string): void;
}

/** The `unmask` section as a plain object. */
export function readSection(): Record<string, unknown> {
  const config = vscodeapi.getConfiguration('unmask');
  const section: Record<string, unknown> = {};
  for (const key of Object.keys(config)) {
    const value: unknown = config.get(key);
    if (typeof value !== 'function') {
      section[key] = value;
    }
  }
  return section;
}

function currentServerCommand(): ServerCommand {
  const config = vscodeapi.getConfiguration('unmask');
  return resolveServerCommand(config.get('server.command'), config.get('server.python'));
}

export class UnmaskClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly subscriptions: { dispose(): unknown }[] = [];

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly events: ClientEvents,
  ) {}

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  async start(): Promise<boolean> {
    const command = currentServerCommand();
    const section = readSection();
    const languages = enabledLanguages(section.languages);
    const executable: ClientServerOptions = { command: command.command, args: command.args };
    const clientOptions: LanguageClientOptions = {
      documentSelector: languages.flatMap((language) => [
        { scheme: 'file', language },
        { scheme: 'untitled', language },
      ]),
      outputChannel: this.output,
      initializationOptions: serverOptions(section),
      middleware: {
        handleWorkDoneProgress: (token, params, next) => {
          this.events.onProgress(token, params);
          next(token, params);
        },
        workspace: {
          // The server pulls section "unmask": give it only the options it knows.
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            return result.map((value: unknown, index) =>
              params.items[index]?.section === 'unmask' && typeof value === 'object' && value !== null
                ? serverOptions(value as Record<string, unknown>)
                : value,
            );
          },
        },
        provideInlineCompletionItems: (document, position, context, token, next) =>
          vscodeapi.getConfiguration('unmask', document).get<boolean>('inline.enabled', true)
            ? next(document, position, context, token)
            : undefined,
      },
      initializationFailedHandler: (error) => {
        this.output.error(`initialize failed: ${String(error)}`);
        return false;
      },
    };
    const client = new LanguageClient('unmask', 'unmask', executable, clientOptions);
    this.subscriptions.push(
      client.onNotification(Notifications.status, (params: unknown) => {
        if (isStatusParams(params)) {
          this.events.onStatus(params);
        }
      }),
      client.onNotification(Notifications.step, (params: unknown) => {
        if (isStepParams(params)) {
          this.events.onStep(params);
        }
      }),
      client.onDidChangeState((event) => {
        if (event.newState === State.Stopped) {
          this.events.onRunning(false);
        }
      }),
    );
    this.client = client;
    this.output.info(`starting ${[command.command, ...command.args].join(' ')}`);
    try {
      await client.start();
    } catch (error) {
      const message = startFailureMessage(command, error);
      this.output.error(message);
      this.events.onRunning(false, message);
      void this.offerFix(message);
      return false;
    }
    this.events.onRunning(true);
    return true;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    while (this.subscriptions.length > 0) {
      this.subscriptions.pop()?.dispose();
    }
    if (client !== undefined && client.state !== State.Stopped) {
      try {
        await client.stop(2000);
      } catch (error) {
        this.output.warn(`stopping the server: ${String(error)}`);
      }
    }
    this.events.onRunning(false);
  }

  async restart(): Promise<boolean> {
    await this.stop();
    return this.start();
  }

  async execute(params: ExecuteCommandParams): Promise<unknown> {
    if (this.client === undefined || !this.running) {
      throw new Error('the unmask server is not running (run "unmask: Restart Server")');
    }
    return this.client.sendRequest(ExecuteCommandRequest.type, params);
  }

  /** Converts an LSP WorkspaceEdit (e.g. an alternative's) into VS Code's. */
  async toCodeEdit(edit: Parameters<LanguageClient['protocol2CodeConverter']['asWorkspaceEdit']>[0]): Promise<vscode.WorkspaceEdit | undefined> {
    return this.client?.protocol2CodeConverter.asWorkspaceEdit(edit);
  }

  /** Pushes changed server options (no restart needed for them). */
  async sendConfiguration(): Promise<void> {
    if (this.client !== undefined && this.running) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { unmask: serverOptions(readSection()) },
      });
    }
  }

  private async offerFix(message: string): Promise<void> {
    const choice = await vscodeapi.showErrorMessage(message, 'Set Python Interpreter', 'Open Settings', 'Show Log');
    if (choice === 'Set Python Interpreter') {
      const python = await vscodeapi.showInputBox({
        prompt: 'Path to the Python where unmask is installed (e.g. /path/to/.venv/bin/python)',
        placeHolder: '/path/to/.venv/bin/python',
      });
      if (python) {
        await vscodeapi
          .getConfiguration('unmask')
          .update('server.python', python, vscodeapi.ConfigurationTarget.Global);
        await this.restart();
      }
    } else if (choice === 'Open Settings') {
      await vscodeapi.executeCommand('workbench.action.openSettings', 'unmask.server');
    } else if (choice === 'Show Log') {
      this.output.show();
    }
  }

  dispose(): void {
    void this.stop();
  }
}
