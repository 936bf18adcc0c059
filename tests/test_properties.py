"""Property tests over generated flows (tests/flowgen.py).

1. check never raises and gives a FileResult;
2. fix_source, for every strategy, never raises; what it returns parses, changes lines only
   inside the tasks it fixed, keeps scripts, BOM and newlines, and fixing again changes
   nothing;
3. the findings, as (rule, task id) pairs, do not depend on the layout: indentation,
   sequence indentation, quoting, CRLF, comments.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from flowgen import Layout, flow_specs, layouts, render, restyled
from helpers import assert_changes_only_inside, parse, tasks_by_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowlint.catalogue import load_catalogue
from flowlint.kestra.flow import is_flow
from flowlint.lint import FileResult, Settings, check_bytes, check_source
from flowlint.remedies.fix_options import FixOptions
from flowlint.run.fix_loop import fix_source
from flowlint.source import Source, decode
from flowlint.yamlnodes import scalar_text

CATALOGUE = load_catalogue()
PARAMETERS = {code: dict(rule.parameters) for code, rule in CATALOGUE.items()}
STRATEGIES = ("auto", "dependencies", "working-dir-cache", "custom-image", "process-runner")
IMAGE = "reg/{flow}:1"
# FLOWLINT_EXAMPLES=2000 for a long hunt; 60 keeps the suite fast.
EXAMPLES = int(os.environ.get("FLOWLINT_EXAMPLES", "60"))
FAST = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def settings_for(strategy: str | None) -> Settings:
    fix = FixOptions(strategy, IMAGE) if strategy else None
    return Settings(frozenset(CATALOGUE), (1, 0), PARAMETERS, fix=fix)


CHECK = settings_for(None)
FIX = {strategy: settings_for(strategy) for strategy in STRATEGIES}


def finding_keys(result: FileResult) -> Counter:
    return Counter((finding.rule, finding.task_id) for finding in result.findings)


def finding_lines(result: FileResult) -> Counter:
    """(rule, task id, first line, last line): quoting and CRLF move no finding to another
    line, so their spans must not either."""
    source = result.source
    return Counter((finding.rule, finding.task_id, source.position(finding.span.start)[0],
                    source.position(max(finding.span.end - 1, finding.span.start))[0])
                   for finding in result.findings)


# --- the generator itself ------------------------------------------------------------------


@FAST
@given(flow_specs(), layouts)
def test_generated_flows_are_valid_yaml_flows(spec, layout) -> None:
    text = render(spec, layout)
    (document,) = parse(text)
    assert is_flow(document)
    assert scalar_text(document.value[0][1]) == spec["id"]


# --- 1. check ------------------------------------------------------------------------------


@FAST
@given(flow_specs(), layouts, st.booleans())
def test_check_never_raises(spec, layout, bom) -> None:
    data = render(spec, layout).encode()
    if bom:
        data = b"\xef\xbb\xbf" + data
    result = check_bytes(data, "flow.yaml", CHECK)
    assert isinstance(result, FileResult)
    assert result.error is None
    assert result.flows == 1
    assert all(finding.rule != "FL000" for finding in result.findings), result.findings


# --- 2. fix --------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_fix_is_verified_and_idempotent(strategy: str) -> None:
    @FAST
    @given(flow_specs(), layouts, st.booleans())
    def prop(spec, layout: Layout, bom: bool) -> None:
        text = render(spec, layout)
        source = Source.from_text("flow.yaml", text, bom)
        run = fix_source(source, FIX[strategy], unsafe=True)
        assert run.result is not None and run.result.error is None
        if not run.changed:
            assert not run.applied
            return
        assert run.applied
        parse(run.text)
        # Newline style and BOM stay; no bare LF in a CRLF file.
        if layout.newline == "\r\n":
            assert run.text.count("\n") == run.text.count("\r\n")
        assert decode(source.encode(run.text), "x").bom == bom
        scope = set().union(*(fixed.fix.scope for fixed in run.applied))
        assert_changes_only_inside(source, run.text, scope)
        # A script with no install in it is no fix's business.
        before, after = tasks_by_id(text), tasks_by_id(run.text)
        assert set(before) <= set(after)
        for task_id, task in before.items():
            script = task.prop_text("script")
            if script is not None and " install " not in script:
                assert after[task_id].prop_text("script") == script, task_id
        # The findings fixed are gone, and a second run has nothing left to do.
        remaining = finding_keys(check_source(Source.from_text("flow.yaml", run.text, bom),
                                              FIX[strategy]))
        for fix in run.applied:
            assert (fix.rule, fix.task_id) not in remaining
        again = fix_source(Source.from_text("flow.yaml", run.text, bom), FIX[strategy],
                           unsafe=True)
        assert not again.changed, "fixing again changed the text"
        assert not again.applied

    prop()


# --- 3. findings do not depend on the layout -----------------------------------------------


@FAST
@given(flow_specs(), layouts, st.data())
def test_findings_do_not_depend_on_layout(spec, layout: Layout, data) -> None:
    base = finding_keys(check_bytes(render(spec, layout).encode(), "flow.yaml", CHECK))
    variants = {
        "indent": restyled(layout, indent=6 - layout.indent),
        "sequences": restyled(layout, indent_sequences=not layout.indent_sequences),
        "quotes": restyled(layout, quote=data.draw(st.sampled_from(
            [quote for quote in ("plain", "single", "double") if quote != layout.quote]))),
        "newline": restyled(layout, newline="\n" if layout.newline == "\r\n" else "\r\n"),
        "comments": restyled(layout, comments=not layout.comments),
        "flow-lists": restyled(layout, flow_lists=not layout.flow_lists),
    }
    for name, variant in variants.items():
        other = finding_keys(check_bytes(render(spec, variant).encode(), "flow.yaml", CHECK))
        assert other == base, f"{name}: {dict(base)} != {dict(other)}"
    # Quotes and newlines change no line: the findings stay on theirs.
    lines = finding_lines(check_bytes(render(spec, layout).encode(), "flow.yaml", CHECK))
    for name in ("quotes", "newline"):
        other = finding_lines(check_bytes(render(spec, variants[name]).encode(), "flow.yaml",
                                          CHECK))
        assert other == lines, f"{name}: {sorted(lines)} != {sorted(other)}"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_fix_outcome_does_not_depend_on_layout(strategy: str) -> None:
    """Which findings get fixed does not depend on the layout either."""

    @settings(max_examples=max(EXAMPLES // 2, 25), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(flow_specs(), layouts)
    def prop(spec, layout: Layout) -> None:
        layout = restyled(layout, quote_keys=False)   # fixes refuse some quoted keys
        variants = {"base": layout, "crlf": restyled(layout, newline="\r\n"),
                    "indent": restyled(layout, indent=6 - layout.indent),
                    "final-newline": restyled(layout, final_newline=not layout.final_newline),
                    "quotes": restyled(layout, quote="double" if layout.quote == "plain"
                                       else "plain"),
                    "comments": restyled(layout, comments=not layout.comments),
                    "blank-lines": restyled(layout, blank_lines=not layout.blank_lines)}
        applied = {}
        for name, variant in variants.items():
            run = fix_source(Source.from_text("flow.yaml", render(spec, variant)),
                             FIX[strategy], unsafe=True)
            applied[name] = Counter((fix.rule, fix.task_id) for fix in run.applied)
            assert applied[name] == applied["base"], (name, applied, run.failed)

    prop()


@given(st.text(alphabet="ab \t\n\r\u00e9", max_size=60), st.data())
@settings(max_examples=EXAMPLES * 10, deadline=None, database=None)
def test_positions_counted_without_the_line_index_are_the_index_s(text: str, data) -> None:
    """A source answers its first positions by counting line breaks (a cached report asks for
    a few); the answers are the line index's, for every offset, with LF, CRLF or CR."""
    indexed = Source.from_text("f.yaml", text)
    indexed.line_starts   # built now: every answer below comes from it
    offsets = data.draw(st.lists(st.integers(0, len(text)), max_size=40))
    counted = Source.from_text("f.yaml", text)
    for offset in offsets:
        line, column = indexed.position(offset)
        assert counted.position(offset) == (line, column)
        assert Source.from_text("f.yaml", text).line_at(offset) == indexed.line_text(line)
    assert list(counted.line_starts) == list(indexed.line_starts)
