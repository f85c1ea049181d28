/**
 * The settings contributed in package.json must carry the server's own defaults, read from the server's
 * settings module (unmask/server/settings.py) through Python. Skips when no Python with unmask is found.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { LANGUAGES, SERVER_OPTION_KEYS } from '../../src/settings';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const repo = path.resolve(root, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: {
    configuration: { properties: Record<string, { default: unknown }> };
    commands: { command: string }[];
    keybindings: { command: string; when?: string }[];
  };
};

function serverDefaults(): Record<string, unknown> | string {
  const candidates = [process.env.UNMASK_PYTHON, path.join(repo, '.venv', 'bin', 'python'), 'python3'];
  for (const python of candidates) {
    if (!python || (python.includes(path.sep) && !existsSync(python))) continue;
    try {
      const out = execFileSync(
        python,
        ['-c', 'import json; from unmask.server.settings import Settings, settings_to_json; print(json.dumps(settings_to_json(Settings())))'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return JSON.parse(out) as Record<string, unknown>;
    } catch {
      continue;
    }
  }
  return 'no Python with unmask.server.settings found (set UNMASK_PYTHON)';
}

const defaults = serverDefaults();

test('package.json defaults equal the server defaults', { skip: typeof defaults === 'string' ? defaults : false }, () => {
  const server = defaults as Record<string, unknown>;
  const properties = manifest.contributes.configuration.properties;
  for (const key of SERVER_OPTION_KEYS) {
    assert.ok(key in server, `the server has no option ${key}`);
    assert.ok(`unmask.${key}` in properties, `package.json does not contribute unmask.${key}`);
    assert.deepEqual(properties[`unmask.${key}`].default, server[key], `default of unmask.${key}`);
  }
  // Every user-facing server option is mirrored (the fake* knobs are for tests only).
  const userFacing = Object.keys(server).filter((key) => !key.startsWith('fake'));
  assert.deepEqual([...userFacing].sort(), [...SERVER_OPTION_KEYS].sort());
});

test('activation is per language, never "*"', () => {
  assert.deepEqual(manifest.activationEvents, LANGUAGES.map((language) => `onLanguage:${language}`));
});

test('every keybinding is gated by a when clause on a contributed command', () => {
  const contributed = new Set(manifest.contributes.commands.map((command) => command.command));
  for (const binding of manifest.contributes.keybindings) {
    assert.ok(contributed.has(binding.command), binding.command);
    assert.match(binding.when ?? '', /unmask\.running/);
  }
});
