"""From a file's text to its findings: parse, build each flow's facts, run the rules, apply the
suppression comments, then plan fixes for the findings that are kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property, lru_cache

from flowlint.records import TYPE_CHECKING, MutableRecord, NamedTuple, Record
from flowlint.source import DEFAULT_MAX_BYTES, Source, SourceError, decode

# The parser, the facts and the rules load on the first file actually checked: a run whose
# files all come from the result cache, and every module that only needs Settings or
# FileResult (the CLI, the reports, the cache), never imports them.
if TYPE_CHECKING:
    from flowlint.facts.flow_facts import FlowFacts
    from flowlint.findings import Finding, Fix, FixOutcome
    from flowlint.kestra.flow import Flow, Task
    from flowlint.remedies.fix_context import FixRequest
    from flowlint.remedies.fix_options import FixOptions
    from flowlint.suppressions import RuleCodes


class Settings(Record):
    """What decides the findings of a file (and so keys the result cache)."""

    _fields = ("rules", "target_version", "parameters", "max_bytes", "fix", "use_suppressions")
    __hash__ = None   # type: ignore[assignment] - the parameters are a mapping

    def __init__(self, rules: frozenset[str], target_version: tuple[int, int] = (1, 0),
                 parameters: Mapping[str, Mapping[str, object]] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES, fix: FixOptions | None = None,
                 use_suppressions: bool = True) -> None:
        self.rules = rules
        self.target_version = target_version
        self.parameters = {} if parameters is None else parameters
        self.max_bytes = max_bytes
        self.fix = fix   # plan fixes (for --fix, and for the `fix` field in reports)
        self.use_suppressions = use_suppressions   # False with --no-ignores (audits)

    @cached_property
    def cache_key(self) -> str:
        """A text that is equal for equal settings in every process: mappings and sets
        sorted, lists and tuples alike (a config's list and a default tuple of the same
        values are the same setting)."""
        return repr(_canonical([sorted(self.rules), self.target_version, self.parameters,
                                self.max_bytes, repr(self.fix), self.use_suppressions]))


def _canonical(value: object) -> object:
    """`value` with its containers as tuples tagged with their kind, in an order of their
    own, so its repr is the same in every process (a set's order changes with the process's
    hash seed) and no list reads as a table (`[{}]` and `[["mapping", []]]` differ)."""
    if isinstance(value, Mapping):
        return ("mapping", tuple(sorted(((_canonical(key), _canonical(item))
                                         for key, item in value.items()), key=repr)))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_canonical(item) for item in value))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((_canonical(item) for item in value), key=repr)))
    return value


class FileResult(MutableRecord):
    """A file's findings and what else a report says of it; rules and suppressions add to
    it while the file is checked."""

    _fields = ("path", "source", "findings", "error", "flows", "other_documents",
               "suppressed", "notes")
    __slots__ = _fields

    def __init__(self, path: str, source: Source | None = None,
                 findings: list[Finding] | None = None, error: str | None = None,
                 flows: int = 0, other_documents: int = 0, suppressed: int = 0,
                 notes: list[str] | None = None) -> None:
        self.path = path
        self.source = source
        self.findings = [] if findings is None else findings
        self.error = error
        self.flows = flows
        self.other_documents = other_documents
        self.suppressed = suppressed
        self.notes = [] if notes is None else notes   # what the rules left unchecked and why

def check_bytes(data: bytes, path: str, settings: Settings) -> FileResult:
    try:
        source = decode(data, path, settings.max_bytes)
    except SourceError as error:
        return FileResult(path, error=str(error))
    return check_source(source, settings)


def drop_details(result: FileResult) -> FileResult:
    """The result as reports and the result cache need it. A finding's detail holds the tasks
    and nodes its fix was planned from: kept, it would hold every parsed flow in memory until
    the report is written, and be pickled back from every worker process."""
    result.findings = [finding._replace(detail=None)
                       if finding.detail is not None else finding
                       for finding in result.findings]
    return result


class CheckedSource(NamedTuple):
    """A file's result, with each flow's facts and the findings the rules made of it."""

    result: FileResult
    flows: list[tuple[FlowFacts, list[Finding]]]
    kept: set[int]   # ids of the findings (in `flows`) that suppressions kept

    def kept_by_flow(self) -> Iterator[tuple[FlowFacts, list[Finding]]]:
        """Each flow's facts and its findings that suppressions kept."""
        for facts, findings in self.flows:
            yield facts, [finding for finding in findings if id(finding) in self.kept]


def check_source(source: Source, settings: Settings) -> FileResult:
    return check_flows(source, settings).result


def check_flows(source: Source, settings: Settings) -> CheckedSource:
    from flowlint.facts.flow_facts import FlowFacts

    result = FileResult(source.path, source)
    documents, flows = parse_flows(source, settings, result)
    checked = [(FlowFacts(flow), []) for flow in flows]
    for facts, findings in checked:
        document = facts.flow.document_index
        findings.extend(finding._replace(document=document)
                        for finding in check_flow(facts, settings))
        result.findings.extend(findings)
        result.notes.extend(flow_notes(facts, settings))
    result.flows = len(flows)
    if settings.use_suppressions and "flowlint" in source.text:
        _apply_suppressions(source, documents, flows, settings, result)
    kept = {id(finding) for finding in result.findings}
    if settings.fix is not None and result.findings:
        result.findings = _with_fixes(result.findings, checked, settings.fix)
    result.findings.sort(key=lambda finding: (finding.span.start, finding.rule))
    return CheckedSource(result, checked, kept)


def check_flow(facts: FlowFacts, settings: Settings) -> list[Finding]:
    from flowlint.rules import flow_rules

    findings: list[Finding] = []
    for module in flow_rules(settings.rules):
        findings.extend(module.check(facts, settings.parameters.get(module.CODE, {})))
    return findings


def flow_notes(facts: FlowFacts, settings: Settings) -> list[str]:
    """What the rules say they did not check in the flow, and why (shown with --verbose):
    from the rules that define `notes(facts)`."""
    from flowlint.rules import flow_rules

    return [note for module in flow_rules(settings.rules) if hasattr(module, "notes")
            for note in module.notes(facts)]


def parse_flows(source: Source, settings: Settings,
                result: FileResult) -> tuple[list, list[Flow]]:
    """The documents and flows of a file; FL000 findings for what cannot be read go into
    `result`."""
    from flowlint.kestra.flow import build_flow, is_flow
    from flowlint.rules import fl000_invalid_yaml as invalid_yaml
    from flowlint.yamlnodes import compose, duplicate_keys

    documents, problem = compose(source)
    report_syntax = invalid_yaml.CODE in settings.rules
    if problem is not None and report_syntax:
        result.findings.append(invalid_yaml.syntax_error(problem))
    flows = []
    for index, document in enumerate(documents):
        duplicates = list(duplicate_keys(document))
        if report_syntax:
            result.findings.extend(invalid_yaml.duplicate_key(source, key) for key in duplicates)
        if not is_flow(document):
            result.other_documents += 1
        elif not duplicates:
            flows.append(build_flow(source, document, index, settings.target_version))
    return documents, flows


def _apply_suppressions(source: Source, documents: list, flows: list[Flow],
                        settings: Settings, result: FileResult) -> None:
    """`# flowlint: ignore[...]` comments: suppressed findings are neither shown nor fixed."""
    from flowlint.rules import fl900_unused_suppression as unused_suppression
    from flowlint.suppressions import apply_inline_suppressions

    tasks = [(task.id, task.span) for flow in flows for task in flow.tasks]
    report_unused = unused_suppression.findings if unused_suppression.CODE in settings.rules \
        else None
    if "flowlint" not in source.text:   # nearly every file
        return
    outcome = apply_inline_suppressions(source, documents, tasks, result.findings,
                                        settings.rules, report_unused,
                                        _script_spans(source, flows), known_rules())
    result.findings = list(outcome.kept)
    result.suppressed = len(outcome.suppressed)


def _script_spans(source: Source, flows: list[Flow]) -> list[tuple[int, int]]:
    """The content of the block scalars that hold a task's script or shell commands, where a
    `# flowlint: ignore[...]` comment of the script's own language is read line by line."""
    from ruamel.yaml.nodes import ScalarNode, SequenceNode

    from flowlint.yamlnodes import node_span

    spans = []
    for flow in flows:
        for task in flow.tasks:
            for key in ("script", "beforeCommands", "commands"):
                prop = task.properties.get(key)
                if prop is None or prop.origin != "task":
                    continue
                nodes = prop.node.value if isinstance(prop.node, SequenceNode) else [prop.node]
                for node in nodes:
                    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
                        end = node_span(source, node).end
                        spans.append((source.offset(node.start_mark.line + 1, 0), end))
    return spans


@lru_cache(maxsize=1)
def known_rules() -> RuleCodes:
    """The codes a suppression may name, and the rule names that stand for them (read from
    the rule modules' file names: no rule is imported for this)."""
    from flowlint.rules import module_names
    from flowlint.suppressions import RuleCodes

    return RuleCodes(frozenset(module_names()),
                     {module[len("fl000_"):].replace("_", "-"): code
                      for code, module in module_names().items()})


# ----------------------------------------------------------------------------- fixes

def _with_fixes(kept: list[Finding], checked: list[tuple[FlowFacts, list[Finding]]],
                options: FixOptions) -> list[Finding]:
    """The kept findings, those of fixable rules with their fix (or the reason there is none).

    A rule's fix covers all of its kept findings on one task, so it is planned once per rule
    and task, from those findings alone: a suppressed finding is neither fixed nor re-found.
    """
    # The fixing code loads only when there is something to fix.
    from flowlint.remedies.fix_context import FixRequest
    from flowlint.remedies.yaml_text import read_style
    from flowlint.rules import rule_module

    kept_ids = {id(finding) for finding in kept}
    planned: dict[int, tuple[Fix | None, FixOutcome]] = {}
    for facts, findings in checked:
        groups: dict[tuple[str, str], list[Finding]] = {}
        for finding in findings:
            if id(finding) in kept_ids and finding.task_id is not None \
                    and hasattr(rule_module(finding.rule), "fix"):
                groups.setdefault((finding.rule, finding.task_id), []).append(finding)
        style = read_style(facts.source, facts.flow.root) if groups else None
        first_by_id: dict[str, Task] = {}   # one pass, not a scan of the tasks per group
        for task in facts.tasks:
            first_by_id.setdefault(task.id, task)
        for (rule, task_id), group in groups.items():
            task = first_by_id[task_id]
            request = FixRequest(facts, task, rule, tuple(group), options, style)
            outcome = _plan(request)
            planned.update((id(finding), outcome) for finding in group)
    return [finding._replace(fix=planned[id(finding)][0],
                                fix_outcome=planned[id(finding)][1])
            if id(finding) in planned else finding for finding in kept]


def _plan(request: FixRequest) -> tuple[Fix | None, FixOutcome]:
    from flowlint.findings import FixOutcome, FixRefused
    from flowlint.rules import rule_module

    module = rule_module(request.rule)
    default_name = getattr(module, "FIX_NAME", request.options.strategy)
    try:
        fix: Fix = module.fix(request)
    except FixRefused as refusal:
        return None, FixOutcome(refusal.strategy or default_name, "", False, False, str(refusal))
    except RecursionError:
        raise   # the whole file is too deep: reported for the file, not for one fix
    except Exception as error:  # noqa: BLE001 - a bug in one fix must not hide the findings
        return None, FixOutcome(default_name, "", False, False,
                                f"internal error in the fix ({type(error).__name__}: {error}); "
                                "please report it with this file")
    name = fix.strategy or default_name
    return fix._replace(strategy=name), FixOutcome(name, fix.title, fix.safe, True)
