/**
 * The extension's settings: which of them go to the server, and how the server process is started.
 *
 * Pure logic (no `vscode` import). `extension.ts` reads the configuration through `vscodeapi.ts` and
 * hands plain values here.
 */

/** Settings under `unmask.*` that the server reads (initializationOptions and workspace/configuration). */
export const SERVER_OPTION_KEYS = [
  'modelPath',
  'backend',
  'device',
  'compile',
  'steps',
  'threshold',
  'temperature',
  'maxHoleTokens',
  'candidates',
  'holeMarker',
  'languages',
  'logLevel',
] as const;
export type ServerOptionKey = (typeof SERVER_OPTION_KEYS)[number];
export type ServerOptions = Partial<Record<ServerOptionKey, unknown>>;

/** Languages the extension activates on and attaches the client to (VS Code language ids). */
export const LANGUAGES = ['python', 'javascript', 'typescript', 'go', 'rust', 'java', 'c', 'cpp'] as const;

/**
 * Picks the server options out of the `unmask` configuration section. Client-only keys (`server.*`,
 * `trace.*`, `inline.*`) stay here, so the server never sees settings it does not know.
 */
export function serverOptions(section: Readonly<Record<string, unknown>>): ServerOptions {
  const options: ServerOptions = {};
  for (const key of SERVER_OPTION_KEYS) {
    if (key in section && section[key] !== undefined) {
      options[key] = section[key];
    }
  }
  return options;
}

/** The VS Code language ids the client attaches to: the `languages` setting, or all supported if empty. */
export function enabledLanguages(setting: unknown): string[] {
  const wanted = Array.isArray(setting) ? setting.filter((item): item is string => typeof item === 'string') : [];
  return wanted.length === 0 ? [...LANGUAGES] : wanted;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

/**
 * How to start the server. `python` (the `unmask.server.python` setting), when set, wins: it runs the
 * module, which works in any virtual environment where unmask is installed even if its `bin/` is not on
 * PATH. Otherwise `command` (`unmask.server.command`, default `["unmask", "serve"]`).
 */
export function resolveServerCommand(command: unknown, python: unknown): ServerCommand {
  if (typeof python === 'string' && python.trim() !== '') {
    return { command: python.trim(), args: ['-m', 'unmask.cli', 'serve'] };
  }
  if (Array.isArray(command)) {
    const parts = command.filter((part): part is string => typeof part === 'string' && part !== '');
    if (parts.length > 0) {
      return { command: parts[0], args: parts.slice(1) };
    }
  }
  return { command: 'unmask', args: ['serve'] };
}

export function describeCommand(server: ServerCommand): string {
  return [server.command, ...server.args].map((part) => (/\s/.test(part) ? JSON.stringify(part) : part)).join(' ');
}

/** One actionable sentence for when the server process cannot start or dies at once. */
export function startFailureMessage(server: ServerCommand, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  const shown = describeCommand(server);
  if (/ENOENT/.test(detail)) {
    return (
      `unmask: cannot start the server: \`${server.command}\` was not found. ` +
      'Install it from a checkout with `pip install torch==2.13.0 -e /path/to/unmask` in the environment you use, ' +
      'then set "unmask.server.python" ' +
      'to that environment\'s Python (or "unmask.server.command" to the full path of `unmask serve`).'
    );
  }
  if (/EACCES/.test(detail)) {
    return `unmask: cannot start the server: \`${server.command}\` is not executable. Check "unmask.server.command".`;
  }
  return (
    `unmask: the server (\`${shown}\`) failed to start: ${detail}. ` +
    'Run `unmask doctor` in a terminal to see what is missing, and check the "unmask" output channel.'
  );
}
