'use strict';
// node --test: extension.js loaded with stand-ins for the `vscode` module and
// vscode-languageclient's LanguageClient (VS Code itself is not run): the client options it
// builds, and what its middleware answers and sends.
const test = require('node:test');
const assert = require('node:assert/strict');
const Module = require('node:module');

function fakeVscode(stored) {
  const commands = new Map();
  const configuration = (section) => ({
    get(key, fallback) {
      let value = section === undefined ? stored : stored[section];
      for (const part of key.split('.')) {
        value = value === undefined || value === null ? undefined : value[part];
      }
      return value === undefined ? fallback : value;
    },
  });
  return {
    commands,
    module: {
      workspace: {
        getConfiguration: (section) => configuration(section),
        onDidChangeConfiguration: () => ({ dispose() {} }),
      },
      window: {
        createOutputChannel: (name, options) => ({ name, options, lines: [], appendLine(line) { this.lines.push(line); }, dispose() {} }),
        showErrorMessage() {}, showWarningMessage() {}, showInformationMessage() {}, setStatusBarMessage() {},
      },
      commands: { registerCommand: (id, handler) => { commands.set(id, handler); return { dispose() {} }; } },
    },
  };
}

function loadExtension(stored) {
  const vscode = fakeVscode(stored);
  const clients = [];
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, sent: [], running: false });
      clients.push(this);
    }
    async start() { this.running = true; }
    async stop() { this.running = false; }
    isRunning() { return this.running; }
    async sendNotification(method, params) { this.sent.push({ method, params }); }
  }
  const stubs = {
    vscode: vscode.module,
    'vscode-languageclient/node': { LanguageClient, TransportKind: { stdio: 0 } },
  };
  const originalLoad = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (Object.prototype.hasOwnProperty.call(stubs, request)) {
      return stubs[request];
    }
    return originalLoad.call(this, request, parent, isMain);
  };
  const file = require.resolve('../extension');
  delete require.cache[file];
  try {
    return { extension: require(file), clients, commands: vscode.commands };
  } finally {
    Module._load = originalLoad;
  }
}

const SETTINGS = { flowlint: { path: ['python', '-m', 'flowlint'], args: ['server'], select: ['FL001'],
  targetVersion: '0.19', fix: { strategy: 'dependencies' }, trace: { server: 'off' } } };

test('the client: stdio command, YAML documents, settings in the server spellings', async () => {
  const { extension, clients, commands } = loadExtension(SETTINGS);
  await extension.activate({ subscriptions: [] });
  assert.equal(clients.length, 1);
  const [client] = clients;
  assert.equal(client.id, 'flowlint');   // so vscode-languageclient reads flowlint.trace.server
  assert.equal(client.running, true);
  assert.deepEqual(client.serverOptions.run, { command: 'python', args: ['-m', 'flowlint', 'server'], transport: 0 });
  assert.deepEqual(client.clientOptions.documentSelector,
    [{ scheme: 'file', language: 'yaml' }, { scheme: 'untitled', language: 'yaml' }]);
  assert.deepEqual(client.clientOptions.synchronize, { configurationSection: 'flowlint' });
  assert.deepEqual(client.clientOptions.initializationOptions,
    { select: ['FL001'], 'target-version': '0.19', fix: { strategy: 'dependencies' } });
  assert.equal(client.clientOptions.outputChannel.name, 'flowlint');
  assert.deepEqual([...commands.keys()].sort(), ['flowlint.fixAll', 'flowlint.restartServer']);

  // workspace/configuration: the `flowlint` section renamed, other sections untouched.
  const middleware = client.clientOptions.middleware.workspace;
  const params = { items: [{ scopeUri: 'file:///w', section: 'flowlint' }, { section: 'yaml' }] };
  const answers = await middleware.configuration(params, undefined,
    () => [SETTINGS.flowlint, { schemas: {} }]);
  assert.deepEqual(answers, [
    { select: ['FL001'], 'target-version': '0.19', fix: { strategy: 'dependencies' } },
    { schemas: {} },
  ]);

  // workspace/didChangeConfiguration: the mapped settings, not the raw section.
  await middleware.didChangeConfiguration(['flowlint'], () => assert.fail('raw settings sent'));
  assert.deepEqual(client.sent, [{ method: 'workspace/didChangeConfiguration', params: { settings: {
    flowlint: { select: ['FL001'], 'target-version': '0.19', fix: { strategy: 'dependencies' } } } } }]);

  // Restart: a new client, the old one stopped.
  await commands.get('flowlint.restartServer')();
  assert.equal(clients.length, 2);
  assert.equal(clients[0].running, false);
  assert.equal(clients[1].running, true);
  await extension.deactivate();
  assert.equal(clients[1].running, false);
});

test('unset settings send nothing', async () => {
  const { extension, clients } = loadExtension({ flowlint: { path: 'flowlint', args: ['server'], select: [],
    targetVersion: null, fix: { strategy: null }, trace: { server: 'off' } } });
  await extension.activate({ subscriptions: [] });
  assert.deepEqual(clients[0].serverOptions.run.command, 'flowlint');
  assert.deepEqual(clients[0].clientOptions.initializationOptions, {});
  await extension.deactivate();
});
