"""flowlint: lint and fix per-execution package installs in Kestra flows."""

__version__ = "0.1.0"
