from flowlint.cli import entry

entry()
