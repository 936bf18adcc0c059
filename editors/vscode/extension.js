'use strict';
// flowlint for VS Code: starts `flowlint server` (stdio) for YAML files through
// vscode-languageclient. Everything the server does (diagnostics, quick fixes, fix-all,
// hover) comes from the server; this file only starts it and passes settings.

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
const { toServerSettings, serverCommand } = require('./settings');

const SECTION = 'flowlint';
const FIX_ALL = 'source.fixAll.flowlint';

let client;
let output;

function serverSettings(scope) {
  // `get(SECTION)` gives the nested object VS Code stores: { select, targetVersion, fix: { strategy }, ... }.
  return toServerSettings(vscode.workspace.getConfiguration(undefined, scope).get(SECTION));
}

function createClient() {
  const config = vscode.workspace.getConfiguration(SECTION);
  const { command, args } = serverCommand(config.get('path'), config.get('args'));
  output.appendLine(`Starting ${[command, ...args].join(' ')}`);
  const run = { command, args, transport: TransportKind.stdio };
  const serverOptions = { run, debug: run };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
    ],
    initializationOptions: serverSettings(undefined),
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
    middleware: {
      workspace: {
        // workspace/configuration: answer the `flowlint` section in the server's spellings
        // (target-version, fix.strategy), without the launch-only settings.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return answers.map((answer, index) => {
            const item = params.items[index] || {};
            if (item.section !== SECTION) {
              return answer;
            }
            return toServerSettings(answer);
          });
        },
        // workspace/didChangeConfiguration: the same object the server would pull, instead of
        // the raw VS Code section (the server then asks each folder for its own settings).
        didChangeConfiguration: async () => {
          if (instance) {
            await instance.sendNotification('workspace/didChangeConfiguration', {
              settings: { [SECTION]: serverSettings(undefined) },
            });
          }
        },
      },
    },
  };
  const instance = new LanguageClient(SECTION, 'flowlint', serverOptions, clientOptions);
  return instance;
}

async function start() {
  client = createClient();
  try {
    await client.start();
  } catch (error) {
    const message = error && error.message ? error.message : String(error);
    output.appendLine(`The flowlint server did not start: ${message}`);
    vscode.window.showErrorMessage(
      `flowlint: the server did not start (${message}). Is flowlint installed? ` +
        'Set "flowlint.path" to its executable, or to ["python", "-m", "flowlint"].',
    );
  }
}

async function stop() {
  const stopping = client;
  client = undefined;
  if (stopping) {
    try {
      await stopping.stop();
    } catch (error) {
      output.appendLine(`Stopping the server: ${error && error.message ? error.message : error}`);
    }
  }
}

async function restart() {
  await stop();
  await start();
}

async function fixAll() {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'yaml') {
    vscode.window.showInformationMessage('flowlint: open a YAML flow to fix.');
    return;
  }
  if (!client || !client.isRunning()) {
    vscode.window.showWarningMessage('flowlint: the server is not running (flowlint: Restart server).');
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(new vscode.Position(0, 0), document.lineAt(document.lineCount - 1).range.end);
  // Asks every provider for this kind; the server makes the edit when the action is resolved
  // (itemResolveCount 1).
  const actions = (await vscode.commands.executeCommand(
    'vscode.executeCodeActionProvider', document.uri, whole, FIX_ALL, 1)) || [];
  const action = actions.find((item) => item.kind && item.kind.value === FIX_ALL);
  if (!action || (!action.edit && !action.command)) {
    vscode.window.setStatusBarMessage('flowlint: nothing to fix', 3000);
    return;
  }
  if (action.edit && !(await vscode.workspace.applyEdit(action.edit))) {
    vscode.window.showWarningMessage('flowlint: the fixes were not applied (the document changed meanwhile?).');
    return;
  }
  if (action.command) {
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments || []));
  }
}

async function activate(context) {
  // A log channel: vscode-languageclient 11 traces the protocol into it when its log level
  // is Trace, as messages or verbose after `flowlint.trace.server`.
  output = vscode.window.createOutputChannel('flowlint', { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('flowlint.fixAll', fixAll),
    vscode.commands.registerCommand('flowlint.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('flowlint.path') || event.affectsConfiguration('flowlint.args')) {
        restart();
      }
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
