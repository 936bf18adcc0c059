"""Checks a fixed text must pass before it may be written (CONTRIBUTING.md, promise 2)."""

from __future__ import annotations

import hashlib

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowlint.kestra.flow import is_flow
from flowlint.source import Source
from flowlint.yamlnodes import (
    compose,
    duplicate_keys,
    get_text,
    mapping_items,
    sequence_items,
    walk_nodes,
)


def task_ids(document: Node) -> set[str]:
    """Ids of every task-like mapping of a document."""
    ids: set[str] = set()
    for node in walk_nodes([document]):
        if isinstance(node, MappingNode):
            task_id, task_type = get_text(node, "id"), get_text(node, "type")
            if task_id is not None and task_type is not None and "." in task_type:
                ids.add(task_id)
    return ids


def fingerprint(node: Node, scope: frozenset[str], new_ids: frozenset[str],
                memo: dict[int, str] | None = None) -> str:
    """A digest of a document's data with the fixed tasks masked out.

    A fixed task counts only by its id; a new wrapper task (an id that did not exist)
    counts as the one task it wraps. Digests are memoised per node, so aliases (and alias
    bombs) cost one visit each.
    """
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = "cycle"
    digest = _digest(node, scope, new_ids, memo)
    memo[id(node)] = digest
    return digest


def _digest(node: Node, scope: frozenset[str], new_ids: frozenset[str],
            memo: dict[int, str]) -> str:
    if isinstance(node, ScalarNode):
        return _hash("s", node.value)
    if isinstance(node, SequenceNode):
        return _hash("l", *(fingerprint(item, scope, new_ids, memo) for item in node.value))
    task_id = get_text(node, "id")
    if task_id in scope:
        return _hash("task", task_id)
    if task_id in new_ids:
        children = sequence_items(dict((k, v) for k, _, v in mapping_items(node)).get("tasks"))
        if len(children) == 1:
            return fingerprint(children[0], scope, new_ids, memo)
    parts = sorted(f"{key}={fingerprint(value, scope, new_ids, memo)}"
                   for key, _, value in mapping_items(node))
    return _hash("m", *parts)


def _hash(*parts: str) -> str:
    return hashlib.sha1("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def verify_fixed_text(before: Source, after: Source, scope: frozenset[str]) -> str | None:
    """None when the fixed text is acceptable, else the reason it is not."""
    old_documents, _ = compose(before)
    new_documents, problem = compose(after)
    if problem is not None:
        return f"the fixed file does not parse ({problem.message})"
    if len(new_documents) != len(old_documents):
        return "the fixed file has a different number of YAML documents"
    for old, new in zip(old_documents, new_documents):
        if any(True for _ in duplicate_keys(new)):
            return "the fixed file has a duplicate key"
        if not is_flow(old):
            if fingerprint(old, frozenset(), frozenset()) != \
                    fingerprint(new, frozenset(), frozenset()):
                return "a document that is not a flow changed"
            continue
        old_ids, new_ids = task_ids(old), task_ids(new)
        if not old_ids <= new_ids:
            return f"task ids disappeared: {', '.join(sorted(old_ids - new_ids))}"
        added = frozenset(new_ids - old_ids)
        if fingerprint(old, scope, frozenset()) != fingerprint(new, scope, added):
            return "the fix changed data outside the tasks it fixes"
    return None
