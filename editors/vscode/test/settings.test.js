'use strict';
// node --test: the mapping from VS Code settings to the server's keys (settings.js), and
// that every setting package.json contributes is either sent to the server or used to start it.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { SERVER_KEYS, LAUNCH_KEYS, toServerSettings, serverCommand } = require('../settings');

const manifest = require(path.join(__dirname, '..', 'package.json'));
const properties = manifest.contributes.configuration.properties;

test('the defaults send nothing, so the config file decides', () => {
  // What `getConfiguration().get('flowlint')` gives with nothing set.
  const defaults = { path: 'flowlint', args: ['server'], select: [], targetVersion: null,
    fix: { strategy: null }, trace: { server: 'off' } };
  assert.deepEqual(toServerSettings(defaults), {});
  assert.deepEqual(toServerSettings(undefined), {});
  assert.deepEqual(toServerSettings(null), {});
  assert.deepEqual(toServerSettings({ targetVersion: '  ', select: ['', ' '], fix: {} }), {});
});

test('VS Code spellings become the server spellings', () => {
  const settings = { path: ['python', '-m', 'flowlint'], args: ['server'], select: ['FL001', 'FL004'],
    targetVersion: '0.19', fix: { strategy: 'custom-image' }, trace: { server: 'verbose' } };
  assert.deepEqual(toServerSettings(settings), {
    select: ['FL001', 'FL004'],
    'target-version': '0.19',
    fix: { strategy: 'custom-image' },
  });
});

test('dotted keys, a comma list and a number are read too', () => {
  assert.deepEqual(toServerSettings({ 'fix.strategy': 'auto', select: 'FL001, FL004', targetVersion: 0.18 }),
    { select: ['FL001', 'FL004'], 'target-version': '0.18', fix: { strategy: 'auto' } });
});

test('launch settings are never sent to the server', () => {
  const sent = toServerSettings({ path: 'x', args: ['y'], trace: { server: 'messages' } });
  assert.deepEqual(sent, {});
});

test('every contributed setting is a server key or a launch key', () => {
  const contributed = Object.keys(properties).map((key) => key.replace(/^flowlint\./, ''));
  assert.deepEqual(contributed.sort(), [...Object.keys(SERVER_KEYS), ...LAUNCH_KEYS].sort());
  assert.deepEqual(SERVER_KEYS, { select: 'select', targetVersion: 'target-version', 'fix.strategy': 'fix.strategy' });
});

test('the contributed defaults map to no override', () => {
  const nested = {};
  for (const [key, spec] of Object.entries(properties)) {
    const parts = key.replace(/^flowlint\./, '').split('.');
    let at = nested;
    for (const part of parts.slice(0, -1)) {
      at = at[part] = at[part] || {};
    }
    at[parts[parts.length - 1]] = spec.default;
  }
  assert.deepEqual(toServerSettings(nested), {});
  assert.deepEqual(serverCommand(nested.path, nested.args), { command: 'flowlint', args: ['server'] });
});

test('the server command from flowlint.path and flowlint.args', () => {
  assert.deepEqual(serverCommand('flowlint', ['server']), { command: 'flowlint', args: ['server'] });
  assert.deepEqual(serverCommand('/venv/bin/flowlint', ['server']), { command: '/venv/bin/flowlint', args: ['server'] });
  assert.deepEqual(serverCommand(['python', '-m', 'flowlint'], ['server']),
    { command: 'python', args: ['-m', 'flowlint', 'server'] });
  assert.deepEqual(serverCommand('', undefined), { command: 'flowlint', args: ['server'] });
  assert.deepEqual(serverCommand([], []), { command: 'flowlint', args: [] });
});

test('the manifest', () => {
  assert.equal(manifest.name, 'flowlint');
  assert.equal(manifest.main, './extension.js');
  assert.deepEqual(manifest.activationEvents, ['onLanguage:yaml']);
  const commands = manifest.contributes.commands.map((command) => command.command).sort();
  assert.deepEqual(commands, ['flowlint.fixAll', 'flowlint.restartServer']);
  assert.deepEqual(properties['flowlint.fix.strategy'].enum.filter((value) => value !== null),
    ['auto', 'dependencies', 'working-dir-cache', 'custom-image', 'process-runner']);
});
