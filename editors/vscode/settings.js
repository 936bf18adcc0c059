'use strict';
// The mapping from this extension's VS Code settings to what `flowlint server` reads
// (flowlint/lsp/workspace_config.py, parse_overrides). Pure JavaScript, no `vscode`
// import, so `node --test` can load it outside VS Code.

// VS Code setting (under the `flowlint` section) -> the server's key.
const SERVER_KEYS = Object.freeze({
  select: 'select',
  targetVersion: 'target-version',
  'fix.strategy': 'fix.strategy',
});

// Settings that start the server rather than configure it (never sent to it).
const LAUNCH_KEYS = Object.freeze(['path', 'args', 'trace.server']);

function lookup(settings, dotted) {
  if (settings === null || typeof settings !== 'object') {
    return undefined;
  }
  if (Object.prototype.hasOwnProperty.call(settings, dotted)) {
    return settings[dotted];
  }
  let value = settings;
  for (const part of dotted.split('.')) {
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    value = value[part];
  }
  return value;
}

function blank(value) {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * The `flowlint` settings object the server expects, from the `flowlint` section of the
 * VS Code settings (nested, as `workspace.getConfiguration().get('flowlint')` gives it, or
 * with dotted keys). Unset values are left out, so the config file's value applies:
 * an empty `select`, an empty or null `targetVersion`, a null `fix.strategy`.
 *
 * Output: { select?: string[], 'target-version'?: string, fix?: { strategy: string } }
 */
function toServerSettings(settings) {
  const result = {};
  const select = lookup(settings, 'select');
  if (typeof select === 'string' && select.trim() !== '') {
    result.select = select.split(',').map((item) => item.trim()).filter((item) => item !== '');
  } else if (Array.isArray(select)) {
    const items = select.filter((item) => typeof item === 'string' && item.trim() !== '');
    if (items.length > 0) {
      result.select = items.map((item) => item.trim());
    }
  }
  const targetVersion = lookup(settings, 'targetVersion');
  if (!blank(targetVersion)) {
    result[SERVER_KEYS.targetVersion] = String(targetVersion).trim();
  }
  const strategy = lookup(settings, 'fix.strategy');
  if (!blank(strategy)) {
    result.fix = { strategy: String(strategy) };
  }
  return result;
}

/**
 * The server's command line from `flowlint.path` (a string, or an array such as
 * ["python", "-m", "flowlint"]) and `flowlint.args` (default ["server"]).
 * Returns { command, args }.
 */
function serverCommand(path, args) {
  let parts;
  if (Array.isArray(path)) {
    parts = path.filter((item) => typeof item === 'string' && item !== '');
  } else if (typeof path === 'string' && path.trim() !== '') {
    parts = [path.trim()];
  } else {
    parts = [];
  }
  if (parts.length === 0) {
    parts = ['flowlint'];
  }
  const extra = Array.isArray(args) ? args.filter((item) => typeof item === 'string') : ['server'];
  return { command: parts[0], args: parts.slice(1).concat(extra) };
}

module.exports = { SERVER_KEYS, LAUNCH_KEYS, toServerSettings, serverCommand };
