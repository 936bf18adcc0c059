"""FL000: the file is not valid YAML, or a mapping repeats a key (Kestra rejects both).

Judged while the file is read, before there is a flow: flowlint.lint calls these for the
composer's error and for each duplicate key.
"""

from __future__ import annotations

from ruamel.yaml.nodes import ScalarNode

from flowlint.findings import Finding, Span
from flowlint.source import Source
from flowlint.yamlnodes import YamlProblem, node_span

CODE = "FL000"
NAME = "invalid-yaml"


def syntax_error(problem: YamlProblem) -> Finding:
    return Finding(CODE, Span(problem.offset, problem.offset), problem.message)


def duplicate_key(source: Source, key: ScalarNode) -> Finding:
    return Finding(CODE, node_span(source, key),
                   f"invalid YAML: duplicate key '{key.value}' (Kestra rejects the flow)")
