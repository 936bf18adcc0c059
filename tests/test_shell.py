from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlint.lang.installs import Install, find_installs
from flowlint.lang.requirements import requirement_name
from flowlint.lang.shell import SimpleCommand, split_commands


def argv(cmd: SimpleCommand) -> list[str]:
    return [w.text for w in cmd.words]


def raw(text: str, cmd: SimpleCommand) -> str:
    return text[cmd.start : cmd.end]


def only_install(text: str) -> Install:
    installs = find_installs(text)
    assert len(installs) == 1, installs
    return installs[0]


# ----------------------------------------------------------------------------- splitting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pip install pandas requests", [["pip", "install", "pandas", "requests"]]),
        ("pip install pandas > /dev/null", [["pip", "install", "pandas"]]),
        ("pip install -q pandas 2>&1", [["pip", "install", "-q", "pandas"]]),
        ("pip install x >>log 2>>err < in &>/dev/null", [["pip", "install", "x"]]),
        ("pip install x>/dev/null", [["pip", "install", "x"]]),
        ("cd x; pip3 install -r requirements.txt", [["cd", "x"], ["pip3", "install", "-r", "requirements.txt"]]),
        ("a && b || c | d & e\nf", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
        ("""echo "a b" 'c d' e\\ f""", [["echo", "a b", "c d", "e f"]]),
        ('echo "q\\"x\\\\y\\$z\\n"', [["echo", 'q"x\\y$z\\n']]),
        ("echo 'a\\b'", [["echo", "a\\b"]]),
        ('echo a"b c"d', [["echo", "ab cd"]]),
        ("echo a#b # comment", [["echo", "a#b"]]),
        ("# pip install x", []),
        ("echo $(pip install x; echo y) `pip list`", [["echo", "$(pip install x; echo y)", "`pip list`"]]),
        ('echo "$(echo ")")" done', [["echo", '$(echo ")")', "done"]]),
        ("echo ${HOME:-/x y}", [["echo", "${HOME:-/x y}"]]),
        ("pip install {{ inputs.packages }}", [["pip", "install", "{{ inputs.packages }}"]]),
        ("pip install {{ inputs['a b'] | join(' ') }}", [["pip", "install", "{{ inputs['a b'] | join(' ') }}"]]),
        ('pip install "{{ inputs["x"] }}"', [["pip", "install", '{{ inputs["x"] }}']]),
        ("{% for p in inputs.pkgs %}pip install {{ p }};{% endfor %}", [["{% for p in inputs.pkgs %}pip", "install", "{{ p }}"], ["{% endfor %}"]]),
        ("A=1 B='x y' pip install x", [["pip", "install", "x"]]),
        ("PIP_NO_CACHE_DIR=1 pip install x", [["pip", "install", "x"]]),
        ('"A=1" pip', [["A=1", "pip"]]),
        ("sudo -E -H -u root pip install x", [["pip", "install", "x"]]),
        ("sudo env -u X A=1 nohup time -p command exec pip install x", [["pip", "install", "x"]]),
        ("command -v pip", [["command", "-v", "pip"]]),
        ("if true; then pip install x; fi", [["true"], ["pip", "install", "x"]]),
        ("while read l; do pip install $l; done < r.txt", [["read", "l"], ["pip", "install", "$l"], []]),
        ("for p in a b; do pip install $p; done", [["pip", "install", "$p"]]),
        ('case "$x" in a) pip install a;; esac', [["pip", "install", "a"]]),
        ("(pip install x)", [["pip", "install", "x"]]),
        ("{ pip install x; }", [["pip", "install", "x"]]),
        ("! pip install x", [["pip", "install", "x"]]),
        ("echo if then", [["echo", "if", "then"]]),
        ('"if" x', [["if", "x"]]),
        ("", []),
        ("   \n\n ; ", []),
        ('pip install "x', [["pip", "install", "x"]]),
        ("pip install 'x y", [["pip", "install", "x y"]]),
        ("echo $(unclosed", [["echo", "$(unclosed"]]),
        ("echo {{ unclosed", [["echo", "{{", "unclosed"]]),
        ("echo x\\", [["echo", "x"]]),
    ],
)
def test_split_words(text: str, expected: list[list[str]]) -> None:
    assert [argv(c) for c in split_commands(text)] == expected


def test_spans_and_separators() -> None:
    text = "pip install a && python main.py"
    first, second = split_commands(text)
    assert (first.start, first.end) == (0, 13)
    assert raw(text, first) == "pip install a"
    assert (first.separator_before, first.separator_after) == ("", "&&")
    assert raw(text, second) == "python main.py"
    assert (second.start, second.end) == (17, 31)
    assert (second.separator_before, second.separator_after) == ("&&", "")
    assert [(w.text, w.start, w.end) for w in first.words] == [
        ("pip", 0, 3), ("install", 4, 11), ("a", 12, 13)
    ]


@pytest.mark.parametrize(
    ("text", "spans", "seps"),
    [
        ("a;b", ["a", "b"], [("", ";"), (";", "")]),
        ("a || b | c & d\ne", ["a", "b", "c", "d", "e"],
         [("", "||"), ("||", "|"), ("|", "&"), ("&", "\n"), ("\n", "")]),
        ("a &&\n  b", ["a", "b"], [("", "&&"), ("&&", "")]),
        ("a\n\n\nb\n", ["a", "b"], [("", "\n"), ("\n", "\n")]),
        ("  pip install x > /dev/null 2>&1 ;  echo", ["pip install x > /dev/null 2>&1", "echo"],
         [("", ";"), (";", "")]),
        ("sudo PIP=1 pip install x", ["sudo PIP=1 pip install x"], [("", "")]),
        ("a && (b; c) || d", ["a", "b", "c", "d"], [("", "&&"), ("", ";"), (";", ""), ("||", "")]),
        ("if a; then b; fi && c", ["a", "b", "c"], [("", ";"), ("", ";"), ("&&", "")]),
        ("a ;; b |& c", ["a", "b", "c"], [("", ";"), (";", "|"), ("|", "")]),
        ("> out", ["> out"], [("", "")]),
    ],
)
def test_command_spans(text: str, spans: list[str], seps: list[tuple[str, str]]) -> None:
    commands = split_commands(text)
    assert [raw(text, c) for c in commands] == spans
    assert [(c.separator_before, c.separator_after) for c in commands] == seps


def test_word_spans_are_raw_words() -> None:
    text = """A=1 sudo -E pip install 'numpy<2' "pandas>=2" x\\ y {{ inputs.p }} > /dev/null"""
    (cmd,) = split_commands(text)
    assert [text[w.start : w.end] for w in cmd.words] == [
        "pip", "install", "'numpy<2'", '"pandas>=2"', "x\\ y", "{{ inputs.p }}"
    ]
    assert argv(cmd) == ["pip", "install", "numpy<2", "pandas>=2", "x y", "{{ inputs.p }}"]
    assert raw(text, cmd) == text


def test_backslash_continuation() -> None:
    text = "pip install \\\n  pandas \\\n  numpy\necho done"
    first, second = split_commands(text)
    assert argv(first) == ["pip", "install", "pandas", "numpy"]
    assert raw(text, first) == "pip install \\\n  pandas \\\n  numpy"
    assert first.separator_after == "\n"
    assert argv(second) == ["echo", "done"]
    assert only_install(text).packages == ("pandas", "numpy")


def test_continuation_inside_word() -> None:
    (cmd,) = split_commands("pi\\\np install x")
    assert argv(cmd) == ["pip", "install", "x"]


@pytest.mark.parametrize(
    "text",
    [
        "cat <<EOF\npip install x\nEOF\npip install y",
        "cat <<'EOF' > f.py\npip install x\nEOF\npip install y",
        'cat << "END" | python\nimport os; pip install x\nEND\npip install y',
        "cat <<-EOF\n\tpip install x\n\tEOF\npip install y",
    ],
)
def test_heredoc_body_is_not_commands(text: str) -> None:
    assert [i.packages for i in find_installs(text)] == [("y",)]
    assert argv(split_commands(text)[-1]) == ["pip", "install", "y"]


def test_unterminated_heredoc_swallows_rest() -> None:
    assert find_installs("cat <<EOF\npip install x\n") == ()
    assert [argv(c) for c in split_commands("cat <<< 'pip install x'")] == [["cat"]]


# ----------------------------------------------------------------------------- pip


@pytest.mark.parametrize(
    ("text", "packages"),
    [
        ("pip install pandas requests", ("pandas", "requests")),
        ("pip install pandas > /dev/null", ("pandas",)),
        ("pip install -q pandas 2>&1", ("pandas",)),
        ("pip3 install x", ("x",)),
        ("pip3.11 install x", ("x",)),
        ("/usr/local/bin/pip install x", ("x",)),
        ("./venv/bin/pip install x", ("x",)),
        ("venv/bin/pip3 install x", ("x",)),
        ("python -m pip install x", ("x",)),
        ("python3 -m pip install 'numpy<2' \"pandas>=2\"", ("numpy<2", "pandas>=2")),
        ("/usr/local/bin/python3.11 -m pip install x", ("x",)),
        ("./venv/bin/python -m pip install x", ("x",)),
        ("python3.12 -u -q -m pip install x", ("x",)),
        ("python -X utf8 -mpip install x", ("x",)),
        ("py -3 -m pip install x", ("x",)),
        ("uv pip install --system polars", ("polars",)),
        ("uv --quiet pip install -p 3.12 polars", ("polars",)),
        ("sudo -E pip install x", ("x",)),
        ("sudo -u app -H pip install x", ("x",)),
        ("PIP_NO_CACHE_DIR=1 pip install x", ("x",)),
        ("pip install dlt[duckdb]", ("dlt[duckdb]",)),
        ("pip install 'pandas>=2.0,<3' requests==2.32.3", ("pandas>=2.0,<3", "requests==2.32.3")),
        ("pip install {{ inputs.pkg }}", ("{{ inputs.pkg }}",)),
        ("pip install pandas=={{ inputs.version }}", ("pandas=={{ inputs.version }}",)),
        ("pip -q --disable-pip-version-check install x", ("x",)),
        ("pip --root-user-action ignore install x", ("x",)),
        ("pip --root-user-action=ignore --no-cache-dir install x", ("x",)),
        ("pip --proxy http://p:3128 install x", ("x",)),
        ("pip install -- -weird", ("-weird",)),
        ("if true; then pip install x; fi", ("x",)),
        ("(pip install x)", ("x",)),
        ('pip install "x', ("x",)),
    ],
)
def test_pip_packages(text: str, packages: tuple[str, ...]) -> None:
    install = only_install(text)
    assert install.tool in ("pip", "uv")
    assert install.ecosystem == "python"
    assert install.packages == packages


def test_install_command_span() -> None:
    text = "cd x; pip3 install -r requirements.txt > /dev/null && python main.py"
    install = only_install(text)
    assert raw(text, install.command) == "pip3 install -r requirements.txt > /dev/null"
    assert (install.command.separator_before, install.command.separator_after) == (";", "&&")
    assert install.requirement_files == ("requirements.txt",)
    assert install.packages == ()
    assert install.tool == "pip"


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("pip install -r requirements.txt", "requirement_files", ("requirements.txt",)),
        ("pip install -rreq.txt --requirement=b.txt --requirement c.txt", "requirement_files",
         ("req.txt", "b.txt", "c.txt")),
        ("pip install -c c.txt --constraint=d.txt x", "constraint_files", ("c.txt", "d.txt")),
        ("pip install -e .", "editables", (".",)),
        ("pip install --editable=./pkg -e git+https://g/x.git#egg=x", "editables",
         ("./pkg", "git+https://g/x.git#egg=x")),
        ("pip install git+https://github.com/x/y.git", "urls", ("git+https://github.com/x/y.git",)),
        ("pip install https://h/x-1.0-py3-none-any.whl", "urls", ("https://h/x-1.0-py3-none-any.whl",)),
        ("pip install 'pkg @ https://h/pkg.zip'", "urls", ("pkg @ https://h/pkg.zip",)),
        ("pip install ./dist/pkg-1.0-py3-none-any.whl", "local_paths", ("./dist/pkg-1.0-py3-none-any.whl",)),
        ("pip install . /tmp/x.whl dist/foo-1.0.tar.gz ~/src", "local_paths",
         (".", "/tmp/x.whl", "dist/foo-1.0.tar.gz", "~/src")),
        ("pip install some/dir", "local_paths", ("some/dir",)),
        ("pip install --target=deps pandas", "target", "deps"),
        ("pip install -t deps pandas", "target", "deps"),
        ("pip install -tdeps pandas", "target", "deps"),
        ("pip install --prefix /opt/x pandas", "target", "/opt/x"),
        ("pip install pandas", "target", None),
        ("pip install -i https://idx simple", "options", (("-i", "https://idx"),)),
        ("pip install --extra-index-url https://x kestra", "options", (("--extra-index-url", "https://x"),)),
        ("pip install -qU --user --no-deps x", "options",
         (("-q", None), ("-U", None), ("--user", None), ("--no-deps", None))),
        ("pip install --upgrade --index-url=https://i x", "options",
         (("--upgrade", None), ("--index-url", "https://i"))),
        ("pip install -f https://links --trusted-host h x", "options",
         (("-f", "https://links"), ("--trusted-host", "h"))),
        ("pip install --root-user-action=ignore x", "options", (("--root-user-action", "ignore"),)),
        ("pip install --break-system-packages x", "options", (("--break-system-packages", None),)),
        ("uv pip install --system polars", "options", (("--system", None),)),
        ("pip install --target", "options", (("--target", None),)),
    ],
)
def test_pip_fields(text: str, field: str, value: object) -> None:
    assert getattr(only_install(text), field) == value


@pytest.mark.parametrize(
    ("text", "pip_only"),
    [
        ("python -m pip install --upgrade pip", True),
        ("python3 -m pip install -U pip", True),
        ("pip install --upgrade 'pip>=24'", True),
        ("pip install -U Pip", True),
        ("uv pip install -U pip", True),
        ("pip install -U pip -c constraints.txt", True),
        ("pip install -U pip setuptools", False),
        ("pip install -U pip -r r.txt", False),
        ("pip install -U pip -e .", False),
        ("pip install pandas", False),
        ("pip install -r r.txt", False),
    ],
)
def test_upgrades_pip_only(text: str, pip_only: bool) -> None:
    assert only_install(text).upgrades_pip_only is pip_only


def test_pebble_is_a_package_and_not_a_path() -> None:
    install = only_install("pip install {{ inputs.pkg }} {{ outputs.x['a/b'] }}")
    assert install.packages == ("{{ inputs.pkg }}", "{{ outputs.x['a/b'] }}")
    assert install.local_paths == ()


def test_several_installs_in_order() -> None:
    text = "python -m pip install -U pip\npip install -r req.txt && pip install x"
    installs = find_installs(text)
    assert [i.upgrades_pip_only for i in installs] == [True, False, False]
    assert [raw(text, i.command) for i in installs] == [
        "python -m pip install -U pip", "pip install -r req.txt", "pip install x"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        'echo "pip install x"',
        "printf 'pip install %s' x",
        "# pip install x",
        "echo ok # pip install x",
        "pip list",
        "pip freeze > r.txt",
        "pip show x",
        "pip download x",
        "pip uninstall -y x",
        "pip --version",
        "pip -V",
        "pip",
        "which pip",
        "grep pip install.log",
        "command -v pip",
        "pipx install black",
        "uv sync",
        "uv add x",
        "uv pip list",
        "uv tool install ruff",
        "python main.py install x",
        "python -c 'import pip' -m pip install x",
        "python -m venv .venv",
        "python -m pipx install x",
        "pip-compile requirements.in",
        "'pip install x'",
        "pipinstall x",
        "npm run build",
        "yarn build",
        "apt-get update",
        "apt-get remove -y x",
        "conda activate base",
        "conda env list",
        "poetry run python x.py",
        "Rscript -e \"install.packages('x')\"",
        "cat <<EOF\npip install x\nEOF",
        "echo $(pip install x)",
    ],
)
def test_not_installs(text: str) -> None:
    assert find_installs(text) == ()


# ----------------------------------------------------------------------------- other tools


@pytest.mark.parametrize(
    ("text", "tool", "ecosystem", "packages"),
    [
        ("conda install -y -c conda-forge numpy", "conda", "python", ("numpy",)),
        ("conda create -n env python=3.11 pandas", "conda", "python", ("python=3.11", "pandas")),
        ("mamba install pandas", "mamba", "python", ("pandas",)),
        ("micromamba install -y -n base x", "micromamba", "python", ("x",)),
        ("conda install conda-forge::numpy", "conda", "python", ("conda-forge::numpy",)),
        ("poetry install", "poetry", "python", ()),
        ("poetry install --no-root --with dev", "poetry", "python", ()),
        ("poetry add x", "poetry", "python", ("x",)),
        ("poetry add 'requests>=2' --group dev", "poetry", "python", ("requests>=2",)),
        ("pipenv install requests", "pipenv", "python", ("requests",)),
        ("pipenv install", "pipenv", "python", ()),
        ("npm install", "npm", "node", ()),
        ("npm i -g lodash", "npm", "node", ("lodash",)),
        ("npm ci --omit dev", "npm", "node", ()),
        ("npm install @types/node lodash@4", "npm", "node", ("@types/node", "lodash@4")),
        ("npm --prefix app install", "npm", "node", ()),
        ("yarn add x", "yarn", "node", ("x",)),
        ("yarn install --frozen-lockfile", "yarn", "node", ()),
        ("yarn", "yarn", "node", ()),
        ("yarn global add x", "yarn", "node", ("x",)),
        ("pnpm add x", "pnpm", "node", ("x",)),
        ("pnpm i", "pnpm", "node", ()),
        ("apt-get install -y curl", "apt-get", "system", ("curl",)),
        ("DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl git",
         "apt-get", "system", ("curl", "git")),
        ("sudo apt install -y -o Dpkg::Options::=--force-confold x", "apt", "system", ("x",)),
        ("apk add --no-cache git", "apk", "system", ("git",)),
        ("apk add --virtual .build gcc", "apk", "system", ("gcc",)),
        ("yum install -y gcc", "yum", "system", ("gcc",)),
        ("dnf install -y --setopt=x=1 gcc", "dnf", "system", ("gcc",)),
    ],
)
def test_other_tools(text: str, tool: str, ecosystem: str, packages: tuple[str, ...]) -> None:
    install = only_install(text)
    assert (install.tool, install.ecosystem, install.packages) == (tool, ecosystem, packages)
    assert install.upgrades_pip_only is False


def test_apt_update_then_install() -> None:
    text = "apt-get update && apt-get install -y curl"
    install = only_install(text)
    assert raw(text, install.command) == "apt-get install -y curl"
    assert install.command.separator_before == "&&"
    assert install.options == (("-y", None),)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("conda install -y -c conda-forge numpy", "options", (("-y", None), ("-c", "conda-forge"))),
        ("conda install -c conda-forge numpy", "constraint_files", ()),
        ("conda install -p /opt/env numpy", "target", "/opt/env"),
        ("conda install --prefix=/opt/env numpy", "target", "/opt/env"),
        ("micromamba install -y -n base x", "target", None),
        ("conda install --file req.txt", "requirement_files", ("req.txt",)),
        ("conda env create -f environment.yml", "requirement_files", ("environment.yml",)),
        ("conda env update --file environment.yml --prune", "requirement_files", ("environment.yml",)),
        ("micromamba create -y -f env.yaml", "requirement_files", ("env.yaml",)),
        ("pipenv install -r requirements.txt", "requirement_files", ("requirements.txt",)),
        ("pipenv install -e .", "editables", (".",)),
        ("npm install --prefix ./app", "target", "./app"),
        ("npm install ./local-pkg", "local_paths", ("./local-pkg",)),
        ("npm install git+https://g/x.git", "urls", ("git+https://g/x.git",)),
        ("apt-get install -y ./x.deb", "local_paths", ("./x.deb",)),
    ],
)
def test_other_tool_fields(text: str, field: str, value: object) -> None:
    assert getattr(only_install(text), field) == value


# ----------------------------------------------------------------------------- requirement_name


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("pandas", "pandas"),
        ("Pandas>=2", "pandas"),
        ("dlt[duckdb]", "dlt"),
        ("requests==2.32.3", "requests"),
        ("numpy<2", "numpy"),
        ("Foo_Bar.baz", "foo-bar-baz"),
        ("pandas>=2.0,<3", "pandas"),
        ("pkg @ https://h/pkg.zip", "pkg"),
        ("pywin32; sys_platform == 'win32'", "pywin32"),
        ("{{ inputs.pkg }}", None),
        ("git+https://github.com/x/y.git", None),
        ("./dist/x.whl", None),
        ("", None),
        ("numpy=1.2", None),
    ],
)
def test_requirement_name(spec: str, name: str | None) -> None:
    assert requirement_name(spec) == name


# ----------------------------------------------------------------------------- robustness

def _check_spans(text: str) -> None:
    commands = split_commands(text)
    last_end = 0
    for cmd in commands:
        assert last_end <= cmd.start <= cmd.end <= len(text)
        assert cmd.separator_before in ("", "&&", "||", ";", "|", "\n", "&")
        assert cmd.separator_after in ("", "&&", "||", ";", "|", "\n", "&")
        for word in cmd.words:
            assert cmd.start <= word.start < word.end <= cmd.end
            assert text[word.start] not in " \t\n"  # sh blanks never start a word
        last_end = cmd.end
    for install in find_installs(text):
        assert install.command in commands


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    _check_spans(text)
    requirement_name(text)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(
    ["pip", "install", " ", "\n", "&&", "||", ";", "|", "&", "(", ")", "'", '"', "\\", "\\\n",
     "$(", "`", "{{", "}}", "{%", "%}", "#", "<<", "EOF", ">", "2>&1", "x", "-r", "sudo", "A=1",
     "if", "then", "fi", "for", "do", "done", "-m", "python", "${", "}"]
), max_size=25).map("".join))
def test_never_raises_on_shellish_text(text: str) -> None:
    _check_spans(text)


@pytest.mark.parametrize("text", ['$("' * 600, '"$(' * 600, "${\"" * 600, "`$(\"" * 400, "$(" * 3000])
def test_deep_nesting_does_not_overflow(text: str) -> None:
    (cmd,) = split_commands("echo " + text)
    assert cmd.end == len(text) + 5  # unbalanced: the rest of the text is one word
