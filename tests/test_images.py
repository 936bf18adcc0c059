"""`flowlint image`: build contexts gathered from the per-execution installs of flows, named
as the custom-image fix names the tasks' images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowlint.remedy_files.image_contexts import (
    ContextWriteError,
    build_image_contexts,
    slug,
)

PANDAS_PINNED = """\
id: etl
namespace: company.team
tasks:
  - id: extract
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install --upgrade pip
      - pip install pandas==2.2 requests
    script: print(1)
"""

PANDAS_UNPINNED = """\
id: report
namespace: company.team
tasks:
  - id: summarize
    type: io.kestra.plugin.scripts.python.Commands
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install -q Pandas 'requests'
    commands: [python main.py]
"""

ON_DEFAULT_IMAGE = """\
id: plot
namespace: company.team
tasks:
  - id: draw
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands:
      - pip install matplotlib 'numpy<2'
    script: print(1)
"""


# One image per task, as the fix names it with the same template.
TEMPLATE = "reg.example/{flow}-{task}:1"


def build(paths: list[str], **options) -> object:
    return build_image_contexts(paths, image_template=options.pop("image_template", TEMPLATE),
                                **options)


def flows(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def test_one_context_per_image_name(tmp_path: Path) -> None:
    folder = flows(tmp_path, a=PANDAS_PINNED, b=PANDAS_UNPINNED, c=ON_DEFAULT_IMAGE)
    plan = build([str(folder)])

    assert plan.problems == []
    assert list(plan.contexts) == ["reg.example/etl-extract:1", "reg.example/plot-draw:1",
                                   "reg.example/report-summarize:1"]
    extract = plan.contexts["reg.example/etl-extract:1"]
    assert extract.directory == "reg.example-etl-extract-1"
    assert extract.base_image == "python:3.12-slim"
    assert extract.requirements == "pandas==2.2\nrequests\n"   # pip itself is skipped
    assert [(ref.flow, ref.task) for ref in extract.tasks] == [("etl", "extract")]
    lines = extract.dockerfile.splitlines()
    assert "FROM python:3.12-slim" in lines
    assert lines[-2:] == ["COPY requirements.txt /tmp/requirements.txt",
                          "RUN pip install --no-cache-dir -r /tmp/requirements.txt"]
    header = [line for line in lines if line.startswith("#")]
    assert any("company.team/etl task 'extract'" in line for line in header)
    assert "#   docker build -t reg.example/etl-extract:1 ." in header
    fix_line = next(line for line in header if "flowlint check" in line)
    assert "--unsafe-fixes --strategy custom-image --image 'reg.example/{flow}-{task}:1'" \
        in fix_line
    assert fix_line.endswith(f"{folder}/a.yaml")

    default = plan.contexts["reg.example/plot-draw:1"]
    assert "FROM python:3.13-slim" in default.dockerfile.splitlines()
    assert "Kestra's default image on 1.0" in default.dockerfile
    assert default.requirements == "matplotlib\nnumpy<2\n"


def test_one_name_for_tasks_that_need_the_same_image(tmp_path: Path) -> None:
    twin = PANDAS_PINNED.replace("id: etl", "id: etl_copy")
    plan = build([str(flows(tmp_path, a=PANDAS_PINNED, b=twin))],
                 image_template="reg.example/{namespace}/pandas:1")
    assert plan.problems == []
    [context] = plan.contexts.values()
    assert context.image == "reg.example/company.team/pandas:1"
    assert [ref.flow for ref in context.tasks] == ["etl", "etl_copy"]


@pytest.mark.parametrize("other", [
    PANDAS_UNPINNED,                                              # other packages
    PANDAS_PINNED.replace("id: etl", "id: other").replace("3.12", "3.11"),   # other base
])
def test_a_name_never_covers_two_images(tmp_path: Path, other: str) -> None:
    plan = build([str(flows(tmp_path, a=PANDAS_PINNED, b=other))],
                 image_template="reg.example/team:1")
    assert plan.contexts == {}
    [problem] = plan.problems
    assert problem.startswith("image 'reg.example/team:1' would serve tasks that need "
                              "different images")
    assert "put {task} in --image" in problem


def test_without_a_template_nothing_is_named(tmp_path: Path) -> None:
    plan = build_image_contexts([str(flows(tmp_path, a=PANDAS_PINNED, b=PANDAS_UNPINNED))])
    assert plan.contexts == {}
    [problem] = plan.problems
    assert problem.startswith("no image name for 2 task(s)")
    assert "pass --image TEMPLATE" in problem and "fix.image" in problem


@pytest.mark.parametrize(("version", "image"), [
    ((1, 0), "python:3.13-slim"),
    ((0, 23), "python:3.13-slim"),
    ((0, 20), "ghcr.io/kestra-io/kestrapy:latest"),
    ((0, 15), "python"),
])
def test_default_python_image_follows_the_target_version(tmp_path: Path, version, image) -> None:
    folder = flows(tmp_path, c=ON_DEFAULT_IMAGE)
    plan = build([str(folder)], target_version=version)
    [context] = plan.contexts.values()
    assert f"FROM {image}\n" in context.dockerfile
    flag = "" if version == (1, 0) else f" --target-version {version[0]}.{version[1]}"
    assert f"--strategy custom-image{flag} --image" in context.dockerfile


def test_what_the_fix_refuses_is_not_baked(tmp_path: Path) -> None:
    """Two pins of one package in a task: the custom-image fix refuses to move them, so the
    image must not claim them either."""
    flow = PANDAS_PINNED.replace("pip install --upgrade pip", "pip install pandas==2.1")
    folder = flows(tmp_path, a=flow)
    plan = build([str(folder)])

    assert plan.contexts == {}
    [problem] = plan.problems
    assert problem.startswith(f"{folder}/a.yaml: company.team/etl task 'extract': FL001 not "
                              "gathered: the custom-image fix leaves this install in place:")
    assert "'pandas' is installed twice with different specifiers" in problem


def test_identical_pins_written_differently_are_merged(tmp_path: Path) -> None:
    flow = PANDAS_PINNED.replace("pip install --upgrade pip",
                                 "pip install 'Pandas == 2.2' 'requests[socks]'")
    plan = build([str(flows(tmp_path, a=flow))])
    assert plan.problems == []
    # The first spelling is kept.
    assert plan.contexts["reg.example/etl-extract:1"].requirements == \
        "Pandas==2.2\nrequests[socks]\n"


def test_what_cannot_be_baked_is_reported_not_written(tmp_path: Path) -> None:
    flow = PANDAS_PINNED.replace(
        "pip install pandas==2.2 requests",
        'pip install pandas==2.2 "{{ inputs.extra }}" -r requirements.txt -e ./lib ./wheels/x.whl')
    plan = build([str(flows(tmp_path, a=flow))])

    # The custom-image fix refuses the task: its installs stay, so nothing is baked.
    assert plan.contexts == {}
    [problem] = plan.problems
    assert "task 'extract': FL001 not gathered: the custom-image fix leaves this install" \
        in problem
    assert "reads a requirements file (-r)" in problem


def test_every_value_that_cannot_be_written_is_named() -> None:
    """What the fix and `flowlint image` share: each part of an install that no generated
    file can carry is a problem naming the install."""
    from flowlint.lang.installs import find_installs
    from flowlint.remedies.image_packages import PackageList

    text = 'pip install pandas==2.2 "{{ inputs.extra }}" -r requirements.txt -e ./lib ./w/x.whl'
    listed = PackageList()
    for install in find_installs(text):
        listed.add_install(install, "'pip install ...'")
    assert listed.packages().requirements == ("pandas==2.2",)
    problems = "\n".join(listed.problems)
    assert "'{{ inputs.extra }}' is a Pebble expression" in problems
    assert "reads requirements file 'requirements.txt' (-r): copy its content" in problems
    assert "installs './lib' in editable mode (-e)" in problems
    assert "installs the local path './w/x.whl'" in problems


def test_cached_and_process_runner_installs_are_not_baked(tmp_path: Path) -> None:
    flow = """\
id: cached
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      patterns: [deps/**]
      ttl: PT24H
    tasks:
      - id: in_cache
        type: io.kestra.plugin.scripts.python.Script
        containerImage: python:3.12-slim
        beforeCommands:
          - pip install --target=deps duckdb
        script: print(1)
  - id: on_worker
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    beforeCommands:
      - pip install polars
    script: print(1)
  - id: in_container
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.12-slim
    beforeCommands:
      - pip install --target=deps requests
    script: print(1)
"""
    plan = build([str(flows(tmp_path, a=flow))])
    assert plan.problems == []
    assert list(plan.contexts) == ["reg.example/cached-in_container:1"]
    context = plan.contexts["reg.example/cached-in_container:1"]
    assert context.requirements == "requests\n"   # outside the WorkingDirectory: not cached
    assert [ref.task for ref in context.tasks] == ["in_container"]


def test_legacy_requirements_are_baked_into_their_image(tmp_path: Path) -> None:
    flow = """\
id: old
namespace: company.team
tasks:
  - id: legacy
    type: io.kestra.core.tasks.scripts.Python
    requirements:
      - requests>=2.31  # http
      - --extra-index-url https://pypi.example.com/simple
      - -r more.txt
    commands: [./bin/python main.py]
  - id: legacy_docker
    type: io.kestra.core.tasks.scripts.Python
    runner: DOCKER
    dockerOptions:
      image: python:3.11
    requirements: [pyarrow]
"""
    plan = build([str(flows(tmp_path, a=flow))])
    # The legacy task on the worker has no image to build FROM: the fix refuses it too.
    assert list(plan.contexts) == ["reg.example/old-legacy_docker:1"]
    assert plan.contexts["reg.example/old-legacy_docker:1"].requirements == "pyarrow\n"
    assert "FROM python:3.11\n" in plan.contexts["reg.example/old-legacy_docker:1"].dockerfile
    assert "(dockerOptions.image)" in plan.contexts["reg.example/old-legacy_docker:1"].dockerfile
    [problem] = plan.problems
    assert "task 'legacy': FL002 not gathered: the custom-image fix leaves this install" \
        in problem
    assert "requirements line '-r more.txt' reads a requirements file" in problem


def test_image_from_plugin_defaults_and_shell_tasks_on_ubuntu(tmp_path: Path) -> None:
    flow = """\
id: mixed
namespace: company.team
pluginDefaults:
  - type: io.kestra.plugin.scripts.python
    values:
      containerImage: python:3.12-slim
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    beforeCommands: [pip install requests]
    script: print(1)
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - pip install httpx && python3 -c 'import httpx'
"""
    plan = build([str(flows(tmp_path, a=flow))])
    assert plan.problems == []
    assert list(plan.contexts) == ["reg.example/mixed-py:1", "reg.example/mixed-sh:1"]
    assert "(containerImage from pluginDefaults)" in \
        plan.contexts["reg.example/mixed-py:1"].dockerfile
    ubuntu = plan.contexts["reg.example/mixed-sh:1"].dockerfile.splitlines()
    start = ubuntu.index("FROM ubuntu")
    assert ubuntu[start:] == [
        "FROM ubuntu",
        "RUN apt-get update \\",
        "    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        "python3-pip \\",
        "    && rm -rf /var/lib/apt/lists/*",
        "COPY requirements.txt /tmp/requirements.txt",
        "RUN PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir "
        "-r /tmp/requirements.txt",
    ]


def test_pebble_image_is_reported(tmp_path: Path) -> None:
    flow = PANDAS_PINNED.replace("python:3.12-slim", '"{{ inputs.image }}"')
    plan = build([str(flows(tmp_path, a=flow))])
    assert plan.contexts == {}
    [problem] = plan.problems
    assert "containerImage '{{ inputs.image }}' is a Pebble expression" in problem


def test_unreadable_files_are_problems_not_tracebacks(tmp_path: Path) -> None:
    folder = flows(tmp_path, a=PANDAS_PINNED, broken="id: x\nnamespace: y\ntasks: [\n",
                   dup=PANDAS_PINNED.replace("namespace: company.team",
                                             "namespace: a\nnamespace: b"))
    (folder / "binary.yaml").write_bytes(b"id: x\n\xff\xfe\n")
    plan = build([str(folder), str(tmp_path / "missing.yaml")])

    assert list(plan.contexts) == ["reg.example/etl-extract:1"]
    problems = "\n".join(plan.problems)
    assert f"{folder}/binary.yaml: error: not valid UTF-8" in problems
    assert f"{folder}/broken.yaml:4:1: invalid YAML" in problems
    assert f"{folder}/dup.yaml:3:1: invalid YAML: duplicate key 'namespace'" in problems
    assert f"{tmp_path}/missing.yaml: error: cannot read" in problems


def test_write_creates_the_folder_and_is_deterministic(tmp_path: Path) -> None:
    folder = flows(tmp_path, a=PANDAS_PINNED, b=PANDAS_UNPINNED, c=ON_DEFAULT_IMAGE)
    outputs = []
    for run in ("one", "two"):
        plan = build([str(folder)])
        output = tmp_path / run / "images"
        written = plan.write(str(output))
        assert written == [str(output / f"reg.example-{name}-1" / file)
                           for name in ("etl-extract", "plot-draw", "report-summarize")
                           for file in ("Dockerfile", "requirements.txt")]
        context = plan.contexts["reg.example/etl-extract:1"]
        folder_written = output / "reg.example-etl-extract-1"
        assert (folder_written / "Dockerfile").read_text() == context.dockerfile
        assert (folder_written / "requirements.txt").read_text() == context.requirements
        outputs.append({path.relative_to(output): path.read_bytes()
                        for path in sorted(output.rglob("*")) if path.is_file()})
    assert outputs[0] == outputs[1]


def test_write_never_touches_files_outside_the_folder(tmp_path: Path) -> None:
    plan = build([str(flows(tmp_path, a=PANDAS_PINNED))])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("mine\n")

    output = tmp_path / "out"
    output.mkdir()
    (output / "reg.example-etl-extract-1").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ContextWriteError, match="outside"):
        plan.write(str(output))
    assert (outside / "Dockerfile").read_text() == "mine\n"
    assert sorted(os.listdir(outside)) == ["Dockerfile"]

    # A link in place of a file is replaced, not written through.
    (output / "reg.example-etl-extract-1").unlink()
    (output / "reg.example-etl-extract-1").mkdir()
    (output / "reg.example-etl-extract-1" / "Dockerfile").symlink_to(outside / "Dockerfile")
    plan.write(str(output))
    assert (outside / "Dockerfile").read_text() == "mine\n"
    assert not (output / "reg.example-etl-extract-1" / "Dockerfile").is_symlink()


@pytest.mark.parametrize(("image", "expected"), [
    ("python:3.12-slim", "python-3.12-slim"),
    ("ghcr.io/kestra-io/kestrapy:latest", "ghcr.io-kestra-io-kestrapy-latest"),
    ("../../etc", "etc"),
    ("..", "image"),
    ("Registry:5000/Team/App@sha256:AB", "registry-5000-team-app-sha256-ab"),
])
def test_slug_is_a_plain_folder_name(image: str, expected: str) -> None:
    assert slug(image) == expected


SCRIPT_INSTALL = """\
id: etl
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    containerImage: python:3.12-slim
    script: |
      import subprocess, sys
      subprocess.check_call([sys.executable, "-m", "pip", "install", "polars==1.2"])
      import polars
  - id: local
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    script: |
      import os
      os.system("pip install httpx")
"""


def test_packages_installed_by_python_scripts_are_baked(tmp_path: Path) -> None:
    # The custom-image fix of FL003 removes the script's install: the image must hold it.
    (tmp_path / "flow.yaml").write_text(SCRIPT_INSTALL)
    plan = build([str(tmp_path)])
    assert list(plan.contexts) == ["reg.example/etl-transform:1"]   # not `local`: on the worker
    assert plan.contexts["reg.example/etl-transform:1"].requirements == "polars==1.2\n"


def test_image_and_server_requirements_read_the_config(tmp_path: Path, monkeypatch,
                                                       capsys) -> None:
    """The extra commands read flows as `flowlint check` does: excludes, target version and
    rule options come from the nearest config file."""
    from flowlint.cli import main

    project = tmp_path / "project"
    project.mkdir()
    folder = flows(project, a=PANDAS_PINNED.replace("pip install --upgrade pip",
                                                    "uv pip install --system polars"),
                   plot=ON_DEFAULT_IMAGE)
    (folder / "skipped").mkdir()
    (folder / "skipped" / "old.yaml").write_text(PANDAS_UNPINNED, encoding="utf-8")
    (project / ".flowlint.toml").write_text(
        'target-version = "0.20"\nexclude = ["skipped"]\n'
        '[rules.FL001]\ninstallers = ["pip"]\n'
        '[fix]\nimage = "reg.example/{flow}-{task}:1"\n', encoding="utf-8")
    monkeypatch.chdir(project)
    assert main(["image", "flows", "--output", "out"]) == 0
    capsys.readouterr()
    contexts = sorted(path.name for path in (project / "out").iterdir())
    # 0.20 runs python tasks on kestrapy by default; python:3.12-slim is the other flow's.
    assert contexts == ["reg.example-etl-extract-1", "reg.example-plot-draw-1"]
    plot = (project / "out" / "reg.example-plot-draw-1" / "Dockerfile").read_text()
    assert "FROM ghcr.io/kestra-io/kestrapy:latest\n" in plot
    requirements = (project / "out" / "reg.example-etl-extract-1" / "requirements.txt").read_text()
    assert requirements.split() == ["pandas==2.2", "requests"]   # no uv install, no old.yaml
    # 1: the uv install of 'extract' stays on the worker, and the output says so.
    assert main(["server-requirements", "flows"]) == 1
    captured = capsys.readouterr()
    # On the worker, the uv install FL001 does not check would run at every execution: the
    # process-runner fix refuses that task, so its packages are not listed either.
    assert "polars" not in captured.out and "pandas" not in captured.out
    assert "'Pandas'" not in captured.out and "matplotlib" in captured.out
    assert "also runs 'uv pip install --system polars'" in captured.err
