import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LANGUAGES,
  SERVER_OPTION_KEYS,
  enabledLanguages,
  resolveServerCommand,
  serverOptions,
  startFailureMessage,
} from '../../src/settings';

test('server options keep only the keys the server knows', () => {
  const section = {
    server: { command: ['unmask', 'serve'], python: '' },
    trace: { server: 'off' },
    inline: { enabled: true },
    backend: 'fake',
    steps: null,
    languages: [],
    temperature: 0.5,
  };
  assert.deepEqual(serverOptions(section), { backend: 'fake', steps: null, languages: [], temperature: 0.5 });
  assert.ok(SERVER_OPTION_KEYS.every((key) => !key.includes('.')));
});

test('enabled languages: empty means all supported', () => {
  assert.deepEqual(enabledLanguages([]), [...LANGUAGES]);
  assert.deepEqual(enabledLanguages(undefined), [...LANGUAGES]);
  assert.deepEqual(enabledLanguages(['python', 3, 'go']), ['python', 'go']);
});

test('server command: python wins, then the command, then the default', () => {
  assert.deepEqual(resolveServerCommand(['unmask', 'serve'], ' /venv/bin/python '), {
    command: '/venv/bin/python',
    args: ['-m', 'unmask.cli', 'serve'],
  });
  assert.deepEqual(resolveServerCommand(['/opt/unmask/bin/unmask', 'serve', '--log-file', '/tmp/u.log'], ''), {
    command: '/opt/unmask/bin/unmask',
    args: ['serve', '--log-file', '/tmp/u.log'],
  });
  assert.deepEqual(resolveServerCommand([], undefined), { command: 'unmask', args: ['serve'] });
  assert.deepEqual(resolveServerCommand('unmask serve', null), { command: 'unmask', args: ['serve'] });
});

test('start failures say what to do', () => {
  const missing = startFailureMessage({ command: 'unmask', args: ['serve'] }, new Error('spawn unmask ENOENT'));
  assert.match(missing, /`unmask` was not found/);
  assert.match(missing, /unmask\.server\.python/);
  assert.match(missing, /pip install torch==2\.13\.0 -e/);
  const other = startFailureMessage({ command: '/v/python', args: ['-m', 'unmask.cli', 'serve'] }, new Error('exit 3'));
  assert.match(other, /\/v\/python -m unmask\.cli serve/);
  assert.match(other, /unmask doctor/);
});
