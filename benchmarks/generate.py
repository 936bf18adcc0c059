"""Write a synthetic corpus of realistic Kestra flows, for benchmarking flowlint.

    python benchmarks/generate.py OUTDIR --count N --seed S [--lines 40]

The same (count, seed) always gives the same files, byte for byte: each flow is built from its
own random generator, seeded with (seed, index), so the first N flows of a bigger corpus are
the N flows of a smaller one.

The flows are written here, not copied from anywhere: the shapes follow real flows (ids,
namespaces, inputs, labels, Schedule triggers, nested flowables, script tasks with and without
`pip install`, task runners, pluginDefaults, SQL in `|` blocks, Pebble expressions, comments,
both sequence indentation styles, a few CRLF files) and the sizes follow real flows too
(mostly 30 to 150 lines, some 300 to 600).

The YAML is emitted by a small writer of our own rather than a YAML library, because a library
cannot write comments, mixed sequence styles or `|` blocks the way people do.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------------
# A small YAML writer.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A literal block scalar (`key: |`), the way scripts, SQL and descriptions are written."""

    text: str


@dataclass(frozen=True)
class Flow:
    """A flow-style sequence (`key: [a, b]`), common for beforeCommands and values."""

    items: tuple[Any, ...]


@dataclass(frozen=True)
class Quoted:
    """A scalar written with the given quote character even where plain would do."""

    text: str
    quote: str = '"'


@dataclass(frozen=True)
class Inline:
    """A scalar followed by an end-of-line comment."""

    value: Any
    comment: str


@dataclass(eq=False)
class Comment:
    """A full-line comment: as a mapping key (value ignored) or as a sequence item.

    eq=False keeps identity hashing, so several comments can sit in one dict."""

    text: str


# Plain scalars we allow: start with a letter, `_`, `/`, `.` or `$`; no `#`, `: `, quotes up
# front, flow indicators or a trailing colon. Anything else is double-quoted.
_PLAIN = re.compile(r"^[A-Za-z_/.$][\w./@+=$():*-]*( [\w./@+=$():*'-]+)*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    """One scalar as YAML text: plain where that reads back as the same string, else quoted."""
    if isinstance(value, Quoted):
        if value.quote == "'":
            return "'" + value.text.replace("'", "''") + "'"
        return json.dumps(value.text, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if (_PLAIN.match(text) and text.lower() not in _RESERVED and ": " not in text
            and not text.endswith(":")):
        return text
    # JSON strings are valid YAML double-quoted scalars.
    return json.dumps(text, ensure_ascii=False)


class Writer:
    """Renders nested dicts/lists to YAML lines.

    seq_style: "indented" (`key:` then `  - item`), "flush" (`key:` then `- item`, same column
    as the key, also valid YAML and common in Kestra flows) or "mixed" (chosen per sequence)."""

    def __init__(self, rng: random.Random, seq_style: str) -> None:
        self.rng = rng
        self.seq_style = seq_style

    def _seq_offset(self) -> int:
        if self.seq_style == "indented":
            return 2
        if self.seq_style == "flush":
            return 0
        return 2 if self.rng.random() < 0.6 else 0

    def mapping(self, data: dict[Any, Any], indent: int) -> list[str]:
        pad = " " * indent
        lines: list[str] = []
        for key, value in data.items():
            if isinstance(key, Comment):
                lines.append(f"{pad}# {key.text}")
                continue
            lines.extend(self._entry(f"{pad}{key}:", value, indent))
        return lines

    def _entry(self, head: str, value: Any, indent: int) -> list[str]:
        """`key: value` where value may need lines of its own."""
        if isinstance(value, Inline):
            return [f"{head} {scalar(value.value)}  # {value.comment}"]
        if isinstance(value, Block):
            body = [(" " * (indent + 2) + line) if line else "" for line in value.text.split("\n")]
            return [f"{head} |"] + body
        if isinstance(value, Flow):
            return [f"{head} [" + ", ".join(scalar(item) for item in value.items) + "]"]
        if isinstance(value, dict):
            return [f"{head}"] + self.mapping(value, indent + 2) if value else [f"{head} {{}}"]
        if isinstance(value, list):
            if not value:
                return [f"{head} []"]
            return [head] + self.sequence(value, indent + self._seq_offset())
        return [f"{head} {scalar(value)}"]

    def sequence(self, items: list[Any], indent: int) -> list[str]:
        pad = " " * indent
        lines: list[str] = []
        for item in items:
            if isinstance(item, Comment):
                lines.append(f"{pad}# {item.text}")
            elif isinstance(item, dict):
                # Leading comments go above the dash; the first key shares the dash's line.
                keys = list(item)
                while keys and isinstance(keys[0], Comment):
                    lines.append(f"{pad}# {keys.pop(0).text}")
                body = self.mapping({key: item[key] for key in keys}, indent + 2)
                lines.append(f"{pad}- " + body[0][indent + 2:])
                lines.extend(body[1:])
            else:
                lines.append(f"{pad}- {scalar(item)}")
        return lines


# --------------------------------------------------------------------------------------------
# Vocabulary.
# --------------------------------------------------------------------------------------------

COMPANIES = ["acme", "company", "globex", "initech", "umbrella", "dev", "prod", "hooli"]
TEAMS = ["sales", "marketing", "finance", "ops", "data", "analytics", "platform", "ml", "hr",
         "supply", "product", "security"]
AREAS = ["ingest", "reporting", "etl", "quality", "exports", "models", "sync", "alerts"]
VERBS = ["load", "sync", "export", "refresh", "extract", "ingest", "score", "clean", "publish",
         "aggregate", "backfill", "check", "notify", "archive", "train", "transform"]
NOUNS = ["orders", "customers", "payments", "events", "sessions", "inventory", "invoices",
         "leads", "tickets", "metrics", "shipments", "products", "users", "campaigns", "reviews"]
TARGETS = ["bigquery", "snowflake", "postgres", "s3", "gcs", "duckdb", "warehouse", "lake",
           "slack", "api", "sheets", "clickhouse"]
COLUMNS = ["id", "customer_id", "order_id", "amount", "currency", "status", "created_at",
           "updated_at", "country", "channel", "quantity", "unit_price", "email", "region",
           "product_id", "discount", "event_type", "session_id", "total"]
PY_PACKAGES = ["pandas", "requests", "polars", "pyarrow", "duckdb", "sqlalchemy", "boto3",
               "google-cloud-bigquery", "scikit-learn", "numpy", "kestra", "dlt", "openpyxl",
               "psycopg2-binary", "httpx", "pydantic", "great-expectations", "matplotlib",
               "dbt-duckdb", "beautifulsoup4", "s3fs", "xgboost"]
PINS = ["==2.2.3", "==2.32.3", ">=1.0", "==0.10.2", "<3", "==1.26.4", ""]
IMAGES = ["python:3.11-slim", "python:3.12-slim", "python:3.13-slim",
          "ghcr.io/kestra-io/pydata:latest", "ghcr.io/kestra-io/kestrapy:latest",
          "registry.example.com/data/etl:1.4.2", "python:3.10"]
SHELL_IMAGES = ["ubuntu:22.04", "alpine:3.20", "curlimages/curl:8.8.0", "ubuntu"]
CRONS = ["0 9 * * *", "*/15 * * * *", "0 * * * *", "30 2 * * 1-5", "0 6 1 * *", "0 0 * * 0",
         "15 4 * * *", "@daily", "0 */6 * * *"]
TIMEZONES = ["Europe/Paris", "America/New_York", "UTC", "Asia/Tokyo", "Europe/Berlin"]

TYPES_NEW = {
    "Parallel": "io.kestra.plugin.core.flow.Parallel",
    "Sequential": "io.kestra.plugin.core.flow.Sequential",
    "If": "io.kestra.plugin.core.flow.If",
    "Switch": "io.kestra.plugin.core.flow.Switch",
    "WorkingDirectory": "io.kestra.plugin.core.flow.WorkingDirectory",
    "ForEach": "io.kestra.plugin.core.flow.ForEach",
    "Dag": "io.kestra.plugin.core.flow.Dag",
    "AllowFailure": "io.kestra.plugin.core.flow.AllowFailure",
    "Log": "io.kestra.plugin.core.log.Log",
    "Request": "io.kestra.plugin.core.http.Request",
    "Download": "io.kestra.plugin.core.http.Download",
    "Schedule": "io.kestra.plugin.core.trigger.Schedule",
    "Subflow": "io.kestra.plugin.core.flow.Subflow",
    "Sleep": "io.kestra.plugin.core.flow.Sleep",
}
# Flows written before the 0.17 renames (still accepted through aliases).
TYPES_OLD = {
    "Parallel": "io.kestra.core.tasks.flows.Parallel",
    "Sequential": "io.kestra.core.tasks.flows.Sequential",
    "If": "io.kestra.core.tasks.flows.If",
    "Switch": "io.kestra.core.tasks.flows.Switch",
    "WorkingDirectory": "io.kestra.core.tasks.flows.WorkingDirectory",
    "ForEach": "io.kestra.core.tasks.flows.EachSequential",
    "Dag": "io.kestra.core.tasks.flows.Dag",
    "AllowFailure": "io.kestra.core.tasks.flows.AllowFailure",
    "Log": "io.kestra.core.tasks.log.Log",
    "Request": "io.kestra.plugin.fs.http.Request",
    "Download": "io.kestra.plugin.fs.http.Download",
    "Schedule": "io.kestra.core.models.triggers.types.Schedule",
    "Subflow": "io.kestra.core.tasks.flows.Flow",
    "Sleep": "io.kestra.core.tasks.flows.Pause",
}
DOCKER_RUNNER = "io.kestra.plugin.scripts.runner.docker.Docker"
PROCESS_RUNNER = "io.kestra.plugin.core.runner.Process"


# --------------------------------------------------------------------------------------------
# One flow.
# --------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What one flow's tasks share: its random generator, its style and the ids used so far."""

    rng: random.Random
    legacy: bool  # pre-0.17 type names, taskDefaults, `runner:`
    pip_flow: bool  # this flow installs packages with pip somewhere
    legacy_requirements: bool  # this flow has a legacy Python task with `requirements:`
    input_ids: list[str]
    ids: set[str] = field(default_factory=set)
    outputs: list[str] = field(default_factory=list)  # ids of tasks that produce a file
    pip_done: bool = False
    legacy_done: bool = False

    def t(self, name: str) -> str:
        return (TYPES_OLD if self.legacy else TYPES_NEW)[name]

    def task_id(self, base: str) -> str:
        name = base
        n = 2
        while name in self.ids:
            name = f"{base}_{n}"
            n += 1
        self.ids.add(name)
        return name

    def ref(self) -> str:
        """A Pebble expression pointing at an earlier task's output file, or an input."""
        rng = self.rng
        if self.outputs and rng.random() < 0.7:
            return "{{ outputs." + rng.choice(self.outputs) + ".uri }}"
        if self.input_ids:
            return "{{ inputs." + rng.choice(self.input_ids) + " }}"
        return "{{ execution.id }}"


def _packages(rng: random.Random, low: int = 1, high: int = 4) -> list[str]:
    picked = rng.sample(PY_PACKAGES, rng.randint(low, high))
    return [name + (rng.choice(PINS) if rng.random() < 0.3 else "") for name in picked]


def _date_expr(rng: random.Random) -> str:
    return rng.choice([
        "{{ trigger.date ?? execution.startDate | date('yyyy-MM-dd') }}",
        "{{ execution.startDate | dateAdd(-1, 'DAYS') | date('yyyy-MM-dd') }}",
        "{{ inputs.date }}",
        "{{ now() | date('yyyy-MM-dd') }}",
    ])


def sql_text(rng: random.Random, statements: int = 1) -> str:
    parts = []
    for _ in range(statements):
        table, other = rng.sample(NOUNS, 2)
        cols = rng.sample(COLUMNS, rng.randint(3, 8))
        kind = rng.random()
        if kind < 0.6:
            lines = ["SELECT"]
            lines += [f"    t.{c}," for c in cols[:-1]]
            lines.append(f"    SUM(t.{cols[-1]}) AS total_{cols[-1]}")
            lines.append(f"FROM {rng.choice(['analytics', 'raw', 'staging'])}.{table} AS t")
            if rng.random() < 0.5:
                lines.append(f"LEFT JOIN staging.{other} AS o ON o.id = t.{rng.choice(COLUMNS)}")
            lines.append(f"WHERE t.created_at >= '{_date_expr(rng)}'")
            if rng.random() < 0.5:
                lines.append("  AND t.status IN ('paid', 'shipped', 'refunded')")
            lines.append("GROUP BY " + ", ".join(str(i + 1) for i in range(len(cols) - 1)))
            if rng.random() < 0.5:
                lines.append("ORDER BY 1 DESC")
            lines[-1] += ";"
        elif kind < 0.8:
            lines = [f"CREATE TABLE IF NOT EXISTS staging.{table} ("]
            sql_types = ["VARCHAR", "INTEGER", "NUMERIC(12, 2)", "TIMESTAMP"]
            lines += [f"    {c} {rng.choice(sql_types)}," for c in cols[:-1]]
            lines.append(f"    {cols[-1]} VARCHAR")
            lines.append(");")
        else:
            lines = [f"INSERT INTO analytics.{table}_daily ({', '.join(cols[:3])})",
                     f"SELECT {', '.join(cols[:3])}",
                     f"FROM staging.{table}",
                     "WHERE updated_at > '{{ inputs.since ?? \"2024-01-01\" }}';"]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def python_text(ctx: Context) -> str:
    """A python script body: imports, a few functions, a main, Kestra outputs."""
    rng = ctx.rng
    noun = rng.choice(NOUNS)
    lines = ["import json", "import os"]
    if rng.random() < 0.6:
        lines.append("import pandas as pd")
    if rng.random() < 0.5:
        lines.append("import requests")
    if rng.random() < 0.5:
        lines.append("from kestra import Kestra")
    lines.append("")
    for _ in range(rng.randint(0, 3)):
        fname = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
        lines += ["", f"def {fname}(rows):",
                  f'    """{fname.replace("_", " ").capitalize()} before writing."""',
                  "    result = []",
                  "    for row in rows:",
                  f"        if row.get(\"{rng.choice(COLUMNS)}\") is None:",
                  "            continue",
                  f"        row[\"{rng.choice(COLUMNS)}\"] = "
                  f"str(row.get(\"{rng.choice(COLUMNS)}\", \"\")).strip()",
                  "        result.append(row)",
                  "    return result", ""]
    url = rng.choice(["https://api.example.com/v1/", "https://dummyjson.com/",
                      "https://data.example.org/"])
    if rng.random() < 0.5:
        fetch = [f'url = "{url}{noun}"',
                 f'response = requests.get(url, params={{"date": "{_date_expr(rng)}"}}, timeout=30)',
                 "response.raise_for_status()",
                 "data = response.json()"]
    else:
        fetch = [f'with open("{noun}.json") as handle:', "    data = json.load(handle)"]
    lines += [""] + fetch + [f'rows = data.get("{noun}", [])',
                             f'print(f"fetched {{len(rows)}} {noun}")']
    if rng.random() < 0.5:
        lines += ["df = pd.DataFrame(rows)",
                  f"df = df[df[\"{rng.choice(COLUMNS)}\"].notna()]",
                  f'df.to_csv("{noun}.csv", index=False)']
    if rng.random() < 0.5:
        lines.append(f'Kestra.outputs({{"{noun}_count": len(rows)}})')
    return "\n".join(lines) + "\n"


def pip_commands(ctx: Context, cached_folder: str) -> tuple[list[Any], dict[str, Any]]:
    """`beforeCommands` that install packages, and extra task keys they need (env).

    cached_folder: the folder an enclosing WorkingDirectory caches ("venv" or "deps"), where
    the install then writes, as the Kestra docs show; "" outside a cached WorkingDirectory."""
    rng = ctx.rng
    pkgs = " ".join(_packages(rng))
    extra: dict[str, Any] = {}
    if cached_folder == "venv":
        return ["python -m venv venv", f"./venv/bin/pip install {pkgs}"], extra
    if cached_folder == "deps":
        extra["env"] = {"PYTHONPATH": "./deps"}
        return [f"pip install --target=./deps {pkgs}"], extra
    return [rng.choice([
        f"pip install {pkgs}",
        f"pip install --no-cache-dir {pkgs}",
        f"pip install {pkgs} > /dev/null",
        "pip install -r requirements.txt",
        f"python -m pip install --upgrade pip && pip install {pkgs}",
        f"pip3 install --quiet {pkgs}",
        f"uv pip install --system {pkgs}",
    ])] + ([Quoted("echo 'dependencies ready'", '"')] if rng.random() < 0.2 else []), extra


def runner_keys(ctx: Context, language: str = "python") -> dict[str, Any]:
    """How a script task chooses where it runs: nothing, taskRunner, containerImage, runner."""
    rng = ctx.rng
    keys: dict[str, Any] = {}
    roll = rng.random()
    if ctx.legacy and roll < 0.5:
        keys["runner"] = rng.choice(["DOCKER", "PROCESS"])
        if keys["runner"] == "DOCKER" and rng.random() < 0.7:
            keys["docker"] = {"image": rng.choice(IMAGES if language == "python" else SHELL_IMAGES)}
        return keys
    if roll < 0.3:
        return keys  # Kestra's default: the Docker task runner
    if roll < 0.65:
        runner: dict[str, Any] = {"type": DOCKER_RUNNER}
        if rng.random() < 0.5:
            runner["pullPolicy"] = rng.choice(["IF_NOT_PRESENT", "ALWAYS", "NEVER"])
        if rng.random() < 0.3:
            runner["cpu"] = {"cpus": rng.choice([1, 2, 0.5])}
            runner["memory"] = {"memory": rng.choice(["512MB", "1GB", "2GB"])}
        keys["taskRunner"] = runner
    else:
        keys["taskRunner"] = {"type": PROCESS_RUNNER}
    if "taskRunner" in keys and keys["taskRunner"]["type"] == DOCKER_RUNNER or rng.random() < 0.3:
        keys["containerImage"] = rng.choice(IMAGES if language == "python" else SHELL_IMAGES)
    return keys


# ---- runnable tasks ------------------------------------------------------------------------


def log_task(ctx: Context) -> dict[str, Any]:
    rng = ctx.rng
    name = rng.choice(["log", "log_result", "hello", "log_start", "done"])
    task: dict[Any, Any] = {"id": ctx.task_id(name), "type": ctx.t("Log")}
    if rng.random() < 0.25:
        task["message"] = Block(f"Flow {{{{ flow.id }}}} in {{{{ flow.namespace }}}}\n"
                                f"Execution {{{{ execution.id }}}} started at {{{{ execution.startDate }}}}\n"
                                f"File: {ctx.ref()}")
    else:
        task["message"] = rng.choice([
            f"Processed {ctx.ref()}", "Hello World! 🚀", "Rows: {{ outputs | json }}",
            f"Starting {rng.choice(VERBS)} of {rng.choice(NOUNS)} for {_date_expr(rng)}",
        ])
    if rng.random() < 0.2:
        task["level"] = rng.choice(["INFO", "WARN", "DEBUG"])
    return task


def http_task(ctx: Context) -> dict[str, Any]:
    rng = ctx.rng
    noun = rng.choice(NOUNS)
    if rng.random() < 0.4:
        tid = ctx.task_id(f"download_{noun}")
        ctx.outputs.append(tid)
        return {"id": tid, "type": ctx.t("Download"),
                "uri": f"https://raw.githubusercontent.com/example/datasets/main/{noun}.csv"}
    tid = ctx.task_id(f"{rng.choice(['call', 'post', 'get', 'fetch'])}_{noun}")
    task: dict[Any, Any] = {"id": tid, "type": ctx.t("Request"),
                            "uri": f"https://api.example.com/v2/{noun}?since={_date_expr(rng)}"}
    if rng.random() < 0.5:
        task["method"] = "POST"
        task["contentType"] = "application/json"
        task["headers"] = {"Authorization": "Bearer {{ secret('API_TOKEN') }}"}
        task["body"] = Block("{\n" + ",\n".join(
            f'  "{c}": "{{{{ inputs.{rng.choice(ctx.input_ids or ["id"])} }}}}"'
            for c in rng.sample(COLUMNS, rng.randint(1, 4))) + "\n}")
    return task


def sql_task(ctx: Context) -> dict[str, Any]:
    rng = ctx.rng
    kind = rng.choice(["postgres", "bigquery", "snowflake", "duckdb", "clickhouse"])
    verb = rng.choice(["query", "transform", "create", "merge"])
    tid = ctx.task_id(f"{verb}_{rng.choice(NOUNS)}")
    task: dict[Any, Any] = {"id": tid}
    if kind == "postgres":
        task["type"] = "io.kestra.plugin.jdbc.postgresql.Query"
        task["url"] = "jdbc:postgresql://{{ secret('PG_HOST') }}:5432/warehouse"
        task["username"] = "{{ secret('PG_USER') }}"
        task["password"] = "{{ secret('PG_PASSWORD') }}"
    elif kind == "bigquery":
        task["type"] = "io.kestra.plugin.gcp.bigquery.Query"
        task["projectId"] = rng.choice(["acme-analytics", "my-gcp-project"])
        task["serviceAccount"] = "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
    elif kind == "snowflake":
        task["type"] = "io.kestra.plugin.jdbc.snowflake.Query"
        task["url"] = "jdbc:snowflake://acme.snowflakecomputing.com"
        task["username"] = "{{ secret('SNOWFLAKE_USER') }}"
        task["password"] = "{{ secret('SNOWFLAKE_PASSWORD') }}"
        task["warehouse"] = "COMPUTE_WH"
    elif kind == "duckdb":
        task["type"] = "io.kestra.plugin.jdbc.duckdb.Query"
        if ctx.outputs:
            task["inputFiles"] = {"data.csv": ctx.ref()}
    else:
        task["type"] = "io.kestra.plugin.jdbc.clickhouse.Query"
        task["url"] = "jdbc:clickhouse://clickhouse:8123/default"
    task["sql"] = Block(sql_text(rng, 1 if rng.random() < 0.7 else rng.randint(2, 3)).rstrip("\n"))
    if rng.random() < 0.6:
        task["fetchType"] = rng.choice(["STORE", "FETCH_ONE", "FETCH", "NONE"])
        if task["fetchType"] == "STORE":
            ctx.outputs.append(tid)
    return task


def python_script_task(ctx: Context, in_wd: bool = False, cached_wd: str = "") -> dict[str, Any]:
    rng = ctx.rng
    tid = ctx.task_id(f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}")
    task: dict[Any, Any] = {"id": tid, "type": "io.kestra.plugin.scripts.python.Script"}
    if rng.random() < 0.2:
        verb = rng.choice(VERBS).capitalize()
        task["description"] = f"{verb} the {rng.choice(NOUNS)} with pandas"
    if not in_wd:
        task.update(runner_keys(ctx))
    wants_pip = ctx.pip_flow and (not ctx.pip_done or rng.random() < 0.3)
    if wants_pip:
        commands, extra = pip_commands(ctx, cached_wd)
        flow_style = len(commands) == 1 and rng.random() < 0.3
        task["beforeCommands"] = Flow(tuple(commands)) if flow_style else commands
        task.update(extra)
        ctx.pip_done = True
    elif rng.random() < 0.15:
        task["dependencies"] = _packages(rng)
    elif rng.random() < 0.1:
        task["beforeCommands"] = [rng.choice(["echo 'start'", "mkdir -p out", "export TZ=UTC"])]
    if rng.random() < 0.2:
        task["warningOnStdErr"] = False
    if ctx.outputs and rng.random() < 0.4:
        task["inputFiles"] = {"data.csv": ctx.ref()}
    task["script"] = Block(python_text(ctx).rstrip("\n"))
    if rng.random() < 0.3:
        task["outputFiles"] = [f"{rng.choice(NOUNS)}.csv"]
        ctx.outputs.append(tid)
    return task


def python_commands_task(ctx: Context, in_wd: bool = False, cached_wd: str = "") -> dict[str, Any]:
    rng = ctx.rng
    tid = ctx.task_id(f"run_{rng.choice(NOUNS)}_script")
    task: dict[Any, Any] = {"id": tid, "type": "io.kestra.plugin.scripts.python.Commands"}
    if not in_wd:
        task["namespaceFiles"] = {"enabled": True}
        if rng.random() < 0.3:
            task["namespaceFiles"]["include"] = ["scripts/**", "requirements.txt"]
        task.update(runner_keys(ctx))
    if ctx.pip_flow and not ctx.pip_done and rng.random() < 0.5:
        commands, extra = pip_commands(ctx, cached_wd)
        task["beforeCommands"] = commands
        task.update(extra)
        ctx.pip_done = True
    python = "./venv/bin/python" if cached_wd == "venv" and ctx.pip_done else "python"
    task["commands"] = [
        f"{python} scripts/{rng.choice(VERBS)}_{rng.choice(NOUNS)}.py --date {_date_expr(rng)}"
        for _ in range(rng.randint(1, 3))]
    return task


SHELL_LINES = [
    "echo \"Running {{ flow.id }} for {{ execution.id }}\"",
    "curl -sSf https://api.example.com/health",
    "mkdir -p output && cp data/*.csv output/",
    "ls -la",
    "jq '.items | length' response.json",
    "gsutil cp output/*.parquet gs://acme-lake/{{ flow.namespace }}/",
    "dbt deps && dbt build --target prod",
    "aws s3 sync ./export s3://acme-exports/{{ execution.startDate | date('yyyy/MM/dd') }}/",
    "wc -l < data.csv",
    "sleep 5",
    "tar -czf archive.tar.gz output/",
    "apt-get update && apt-get install -y --no-install-recommends jq",
]


def shell_task(ctx: Context, in_wd: bool = False) -> dict[str, Any]:
    rng = ctx.rng
    tid = ctx.task_id(rng.choice(["shell", "bash", "run_commands", "prepare", "upload", "cleanup"]))
    if ctx.legacy and rng.random() < 0.5:
        task: dict[Any, Any] = {"id": tid, "type": "io.kestra.core.tasks.scripts.Bash",
                                "commands": rng.sample(SHELL_LINES, rng.randint(1, 4))}
        if rng.random() < 0.4:
            task["runner"] = "PROCESS"
        return task
    task = {"id": tid, "type": "io.kestra.plugin.scripts.shell.Commands"}
    if not in_wd:
        task.update(runner_keys(ctx, "shell"))
    task["commands"] = rng.sample(SHELL_LINES, rng.randint(1, 5))
    return task


def legacy_python_task(ctx: Context) -> dict[str, Any]:
    """The pre-0.10 Python task: a virtualenv and `requirements:` installed at every run."""
    rng = ctx.rng
    ctx.legacy_done = True
    task: dict[Any, Any] = {"id": ctx.task_id(f"python_{rng.choice(NOUNS)}"),
                            "type": "io.kestra.core.tasks.scripts.Python"}
    if rng.random() < 0.6:
        task["runner"] = "DOCKER"
        task["dockerOptions"] = {"image": rng.choice(["python:3.11-slim", "python:3.10"])}
    task["inputFiles"] = {"main.py": Block(python_text(ctx).rstrip("\n"))}
    if ctx.outputs and rng.random() < 0.5:
        task["inputFiles"]["data.csv"] = ctx.ref()
    task["requirements"] = _packages(rng, 1, 5)
    return task


def misc_task(ctx: Context) -> dict[str, Any]:
    rng = ctx.rng
    roll = rng.random()
    if roll < 0.25 and ctx.outputs:
        tid = ctx.task_id(rng.choice(["to_ion", "csv_to_ion", "ion_to_csv", "to_jsonl"]))
        ctx.outputs.append(tid)
        return {"id": tid, "type": rng.choice(["io.kestra.plugin.serdes.csv.CsvToIon",
                                               "io.kestra.plugin.serdes.csv.IonToCsv",
                                               "io.kestra.plugin.serdes.json.IonToJson"]),
                "from": ctx.ref()}
    if roll < 0.45:
        return {"id": ctx.task_id("notify_slack"),
                "type": "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
                "url": "{{ secret('SLACK_WEBHOOK') }}",
                "payload": Block('{\n  "text": "Flow {{ flow.id }} finished: {{ execution.state }}"\n}')}
    if roll < 0.6:
        return {"id": ctx.task_id(f"upload_{rng.choice(NOUNS)}"),
                "type": "io.kestra.plugin.aws.s3.Upload",
                "accessKeyId": "{{ secret('AWS_ACCESS_KEY_ID') }}",
                "secretKeyId": "{{ secret('AWS_SECRET_KEY_ID') }}",
                "region": "eu-west-1", "bucket": "acme-exports",
                "from": ctx.ref(), "key": f"{rng.choice(NOUNS)}/{{{{ execution.id }}}}.csv"}
    if roll < 0.75:
        return {"id": ctx.task_id("subflow"), "type": ctx.t("Subflow"),
                "namespace": f"{rng.choice(COMPANIES)}.{rng.choice(TEAMS)}",
                "flowId": f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}",
                "inputs": {"date": _date_expr(rng)}, "wait": True}
    if roll < 0.85:
        return {"id": ctx.task_id("output_values"),
                "type": "io.kestra.plugin.core.output.OutputValues",
                "values": {rng.choice(NOUNS): ctx.ref()}}
    if roll < 0.93:
        return {"id": ctx.task_id("wait"), "type": ctx.t("Sleep"),
                "duration": rng.choice(["PT30S", "PT5M"])}
    return {"id": ctx.task_id("set_kv"), "type": "io.kestra.plugin.core.kv.Set",
            "key": f"last_{rng.choice(NOUNS)}_run", "value": "{{ execution.startDate }}"}


def runnable(ctx: Context, in_wd: bool = False, cached_wd: str = "") -> dict[str, Any]:
    """Any non-flowable task, weighted like real flows."""
    rng = ctx.rng
    if ctx.legacy_requirements and not ctx.legacy_done and not in_wd and rng.random() < 0.5:
        return legacy_python_task(ctx)
    if ctx.pip_flow and not ctx.pip_done and rng.random() < 0.5:
        return python_script_task(ctx, in_wd, cached_wd)
    roll = rng.random()
    if in_wd:
        if roll < 0.45:
            return python_script_task(ctx, True, cached_wd)
        if roll < 0.7:
            return python_commands_task(ctx, True, cached_wd)
        if roll < 0.85:
            return shell_task(ctx, True)
        return log_task(ctx)
    if roll < 0.2:
        return log_task(ctx)
    if roll < 0.35:
        return http_task(ctx)
    if roll < 0.53:
        return sql_task(ctx)
    if roll < 0.68:
        return python_script_task(ctx)
    if roll < 0.75:
        return python_commands_task(ctx)
    if roll < 0.85:
        return shell_task(ctx)
    return misc_task(ctx)


# ---- flowable tasks ------------------------------------------------------------------------


def children(ctx: Context, depth: int, low: int, high: int) -> list[Any]:
    tasks: list[Any] = []
    for _ in range(ctx.rng.randint(low, high)):
        if ctx.rng.random() < 0.08:
            tasks.append(Comment(ctx.rng.choice(["TODO: split this step", "runs after the load",
                                                 "see runbook", "keep in sync with prod"])))
        tasks.append(any_task(ctx, depth + 1))
    return tasks


def flowable(ctx: Context, depth: int) -> dict[str, Any]:
    rng = ctx.rng
    kind = rng.choices(["Parallel", "If", "Switch", "WorkingDirectory", "ForEach", "Dag",
                        "Sequential", "AllowFailure"], [20, 15, 10, 25, 12, 8, 6, 4])[0]
    task: dict[Any, Any] = {"id": ctx.task_id(kind.lower() if rng.random() < 0.5 else
                                              f"{kind.lower()}_{rng.choice(NOUNS)}"),
                            "type": ctx.t(kind)}
    if kind == "Parallel":
        if rng.random() < 0.4:
            task["concurrent"] = rng.choice([2, 4, 8])
        task["tasks"] = children(ctx, depth, 2, 4)
    elif kind in ("Sequential", "AllowFailure"):
        task["tasks"] = children(ctx, depth, 1, 3)
    elif kind == "If":
        task["condition"] = rng.choice(["{{ inputs.full_refresh }}",
                                        "{{ outputs.check.vars.count > 0 }}",
                                        "{{ execution.state == 'SUCCESS' }}"])
        task["then"] = children(ctx, depth, 1, 3)
        if rng.random() < 0.6:
            task["else"] = children(ctx, depth, 1, 2)
    elif kind == "Switch":
        task["value"] = "{{ inputs.env }}"
        task["cases"] = {env: children(ctx, depth, 1, 2)
                         for env in rng.sample(["dev", "staging", "prod", "test"], rng.randint(2, 3))}
        if rng.random() < 0.5:
            task["defaults"] = [log_task(ctx)]
    elif kind == "WorkingDirectory":
        cached = rng.choice(["venv", "deps"]) if rng.random() < 0.5 else ""
        if cached:
            task["cache"] = {"patterns": [f"{cached}/**"],
                             "ttl": rng.choice(["PT24H", "PT1H", "P7D"])}
        if rng.random() < 0.4:
            task["namespaceFiles"] = {"enabled": True}
        if rng.random() < 0.4 and not ctx.legacy:
            task.update(runner_keys(ctx))
        # A WorkingDirectory holds runnable tasks only.
        task["tasks"] = [runnable(ctx, in_wd=True, cached_wd=cached)
                         for _ in range(rng.randint(1, 4))]
    elif kind == "ForEach":
        task["values"] = rng.choice([
            Quoted('["' + '", "'.join(rng.sample(TEAMS, 3)) + '"]', "'"),
            rng.sample(TARGETS, 3),
            "{{ outputs.list_files.files | keys }}",
        ])
        if not ctx.legacy and rng.random() < 0.5:
            task["concurrencyLimit"] = rng.choice([0, 1, 4])
        task["tasks"] = children(ctx, depth, 1, 3)
    elif kind == "Dag":
        subtasks = [runnable(ctx) for _ in range(rng.randint(2, 4))]
        entries = []
        for i, sub in enumerate(subtasks):
            entry: dict[Any, Any] = {"task": sub}
            if i > 0:
                entry["dependsOn"] = sorted({subtasks[rng.randrange(i)]["id"]})
            entries.append(entry)
        task["tasks"] = entries
    if kind != "WorkingDirectory" and rng.random() < 0.1:
        task["errors"] = [log_task(ctx)]
    if not ctx.legacy and kind != "WorkingDirectory" and rng.random() < 0.05:
        task["finally"] = [log_task(ctx)]
    return task


def any_task(ctx: Context, depth: int) -> dict[str, Any]:
    if depth < 3 and ctx.rng.random() < (0.25 if depth == 0 else 0.12):
        return flowable(ctx, depth)
    return runnable(ctx)


# ---- flow-level blocks ---------------------------------------------------------------------


def inputs_block(ctx: Context) -> list[Any]:
    rng = ctx.rng
    key = "name" if ctx.legacy and rng.random() < 0.6 else "id"
    items = []
    for name in ctx.input_ids:
        item: dict[Any, Any] = {key: name}
        if name == "env":
            item["type"] = "SELECT" if not ctx.legacy else "STRING"
            if item["type"] == "SELECT":
                item["values"] = ["dev", "staging", "prod"]
            item["defaults"] = "prod"
        elif name in ("full_refresh", "dry_run"):
            item["type"] = "BOOLEAN"
            item["defaults"] = False
        elif name in ("date", "since"):
            item["type"] = "DATE" if name == "date" else "DATETIME"
            item["required"] = False
        elif name == "limit":
            item["type"] = "INT"
            item["defaults"] = rng.choice([100, 1000, 5000])
        else:
            item["type"] = "STRING"
            item["defaults"] = rng.choice([f"https://example.com/{rng.choice(NOUNS)}.csv",
                                           rng.choice(NOUNS), "Kestra"])
        if rng.random() < 0.3:
            item["description"] = f"The {name.replace('_', ' ')} to use"
        items.append(item)
    return items


def triggers_block(ctx: Context) -> list[Any]:
    rng = ctx.rng
    triggers: list[Any] = []
    schedule: dict[Any, Any] = {"id": rng.choice(["schedule", "daily", "hourly", "every_morning"]),
                                "type": ctx.t("Schedule"),
                                "cron": Inline(rng.choice(CRONS), "server time") if rng.random() < 0.1
                                else rng.choice(CRONS)}
    if rng.random() < 0.4:
        schedule["timezone"] = rng.choice(TIMEZONES)
    if rng.random() < 0.2 and not ctx.legacy:
        schedule["disabled"] = True
    triggers.append(schedule)
    if rng.random() < 0.15:
        triggers.append({"id": "on_upstream", "type": "io.kestra.plugin.core.trigger.Flow",
                         "conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionStatus",
                                         "in": ["SUCCESS"]},
                                        {"type": "io.kestra.plugin.core.condition.ExecutionFlow",
                                         "namespace": f"{rng.choice(COMPANIES)}.{rng.choice(TEAMS)}",
                                         "flowId": f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"}]})
    if rng.random() < 0.1:
        triggers.append({"id": "webhook", "type": "io.kestra.plugin.core.trigger.Webhook",
                         "key": "{{ secret('WEBHOOK_KEY') }}"})
    return triggers


def plugin_defaults_block(ctx: Context) -> list[Any]:
    rng = ctx.rng
    roll = rng.random()
    if roll < 0.4:
        values: dict[str, Any] = {"taskRunner": {"type": PROCESS_RUNNER}}
    elif roll < 0.7:
        values = {"containerImage": rng.choice(IMAGES), "warningOnStdErr": False}
    else:
        return [{"type": "io.kestra.plugin.jdbc.postgresql",
                 "values": {"url": "jdbc:postgresql://postgres:5432/kestra",
                            "username": "{{ secret('PG_USER') }}",
                            "password": "{{ secret('PG_PASSWORD') }}"}}]
    entry: dict[Any, Any] = {"type": rng.choice(["io.kestra.plugin.scripts.python",
                                                  "io.kestra.plugin.scripts.python.Script",
                                                  "io.kestra.plugin.scripts"])}
    if rng.random() < 0.3:
        entry["forced"] = rng.choice([True, False])
    entry["values"] = values
    return [entry]


def target_lines(rng: random.Random) -> int:
    """Sizes like real flows: mostly 30 to 150 lines, a tail of 150 to 600."""
    roll = rng.random()
    if roll < 0.85:
        return int(rng.triangular(30, 150, 55))
    if roll < 0.93:
        return rng.randint(150, 300)
    return rng.randint(300, 600)


@dataclass(frozen=True)
class GeneratedFlow:
    relpath: str  # folder per namespace part, then the file name
    text: str  # always "\n" line ends here; `crlf` says how the file is written
    crlf: bool

    def data(self) -> bytes:
        return (self.text.replace("\n", "\r\n") if self.crlf else self.text).encode("utf-8")


def make_flow(seed: int, index: int, lines: int | None = None) -> GeneratedFlow:
    """Flow number `index` of the corpus for `seed`; `lines` forces the approximate size."""
    rng = random.Random(f"flowlint-bench:{seed}:{index}")
    target = lines if lines is not None else target_lines(rng)
    legacy = rng.random() < 0.2
    ctx = Context(rng=rng, legacy=legacy, pip_flow=rng.random() < 0.3,
                  legacy_requirements=rng.random() < 0.04,
                  input_ids=rng.sample(["env", "date", "full_refresh", "url", "limit", "since",
                                        "dry_run", "table"], rng.choice([0, 0, 1, 2, 3, 4])))
    writer = Writer(rng, rng.choices(["indented", "flush", "mixed"], [55, 35, 10])[0])
    verb, noun, target_name = rng.choice(VERBS), rng.choice(NOUNS), rng.choice(TARGETS)
    flow_id = rng.choice([f"{verb}_{noun}_to_{target_name}", f"{verb}-{noun}", f"{noun}_{verb}",
                          f"{target_name}_{noun}_{verb}"]) + f"_{index}"
    namespace = f"{rng.choice(COMPANIES)}.{rng.choice(TEAMS)}"
    if rng.random() < 0.6:
        namespace += f".{rng.choice(AREAS)}"

    header: dict[Any, Any] = {}
    if rng.random() < 0.3:
        header[Comment(rng.choice(["Owned by the data platform team", "Generated from template v2",
                                   "DO NOT EDIT in the UI: synced from git",
                                   f"{verb.capitalize()} {noun} every day"]))] = None
    header["id"] = flow_id
    header["namespace"] = namespace
    roll = rng.random()
    if roll < 0.35:
        header["description"] = Block(
            f"## {verb.capitalize()} {noun}\n"
            f"{verb.capitalize()}s {noun} from the source system into {target_name}.\n\n"
            f"- owner: {rng.choice(TEAMS)} team\n"
            f"- runbook: https://wiki.example.com/{noun}"
            + ("\n\nPackages come from the image; we no longer pip install them at runtime."
               if rng.random() < 0.2 else ""))
    elif roll < 0.75:
        header["description"] = f"{verb.capitalize()} {noun} into {target_name}"
    if rng.random() < 0.5:
        header["labels"] = {"team": rng.choice(TEAMS), "env": rng.choice(["prod", "dev"]),
                            **({"owner": f"{rng.choice(['ana', 'bo', 'chen', 'dev'])}@example.com"}
                               if rng.random() < 0.5 else {})}
    if ctx.input_ids:
        header["inputs"] = inputs_block(ctx)
    if rng.random() < 0.15:
        header["taskDefaults" if legacy else "pluginDefaults"] = plugin_defaults_block(ctx)
    if rng.random() < 0.2:
        header["variables"] = {"bucket": f"acme-{rng.choice(NOUNS)}",
                               "table": f"analytics.{noun}"}

    tail: dict[Any, Any] = {}
    if rng.random() < 0.2:
        tail["errors"] = [misc_task(ctx) if rng.random() < 0.6 else log_task(ctx)]
    if not legacy and rng.random() < 0.08:
        tail["finally"] = [log_task(ctx)]
    if rng.random() < 0.6:
        tail["triggers"] = triggers_block(ctx)

    # Fill `tasks` until the flow reaches its target size. Each top-level task is rendered on
    # its own (rendering does not depend on the siblings) so the size is known as we go.
    header_lines = writer.mapping(header, 0)
    tail_lines = writer.mapping(tail, 0)
    used = len(header_lines) + len(tail_lines) + 1
    tasks_lines: list[str] = []
    offset = writer._seq_offset()
    while True:
        if ctx.pip_flow and not ctx.pip_done and rng.random() < 0.3:
            task = python_script_task(ctx)
        else:
            task = any_task(ctx, 0)
        if rng.random() < 0.1:
            task = {Comment(rng.choice(["step 2: load", "transform", "notify on success",
                                        "FIXME: flaky on Mondays"])): None, **task}
        rendered = writer.sequence([task], offset)
        if tasks_lines and used + len(tasks_lines) + len(rendered) > target + 15:
            # Overshoot: a large flowable here would blow the size; finish with a small task.
            rendered = writer.sequence([log_task(ctx)], offset)
        if tasks_lines and rng.random() < 0.15:
            tasks_lines.append("")  # people separate some tasks with a blank line
        tasks_lines.extend(rendered)
        if used + len(tasks_lines) >= target:
            break
    # Guarantee the flow kinds promised by its flags even when the size budget ran out.
    if ctx.pip_flow and not ctx.pip_done:
        tasks_lines.extend(writer.sequence([python_script_task(ctx)], offset))
    if ctx.legacy_requirements and not ctx.legacy_done:
        tasks_lines.extend(writer.sequence([legacy_python_task(ctx)], offset))

    lines = header_lines
    if rng.random() < 0.5:
        lines.append("")
    lines.append("tasks:")
    lines.extend(tasks_lines)
    if tail:
        lines.append("")
        lines.extend(tail_lines)
    text = "\n".join(lines) + "\n"

    ext = ".yml" if rng.random() < 0.6 else ".yaml"
    relpath = "/".join(namespace.split(".")) + f"/{flow_id}{ext}"
    return GeneratedFlow(relpath=relpath, text=text, crlf=rng.random() < 0.02)


def generate(outdir: Path, count: int, seed: int, lines: int | None = None) -> list[Path]:
    """Write `count` flows under `outdir`; returns their paths. `lines` gives every flow about
    that many lines (`--lines 40`: the small flows pre-commit and editors check one by one)
    instead of the size mix of real flows."""
    paths = []
    candidates = iter(range(10**9))
    for index in range(count):
        flow = make_flow(seed, index)
        while lines is not None:
            # The next candidate whose size lands near `lines` (a first task that is a big
            # flowable overshoots): still the same files for the same seed and count.
            flow = make_flow(seed, next(candidates), lines)
            if lines - 5 <= flow.text.count("\n") <= lines + 10:
                break
        path = outdir / flow.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(flow.data())
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lines", type=int, default=None,
                        help="about this many lines per flow (e.g. 40) instead of the real mix")
    args = parser.parse_args(argv)
    paths = generate(args.outdir, args.count, args.seed, args.lines)
    print(f"wrote {len(paths)} flows under {args.outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
