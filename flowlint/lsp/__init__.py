"""The language server (`flowlint server`): diagnostics, code actions and hover over LSP."""
