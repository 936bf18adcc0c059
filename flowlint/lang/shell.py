"""Split `/bin/sh -c` strings into simple commands, with exact positions.

Kestra script tasks hand `beforeCommands`, `commands` and `script` to `/bin/sh -c`.
To report (and later cut out) an install we need exact character spans, so this is a
small POSIX-sh lexer rather than `shlex`, which loses positions and operators.
It is deliberately forgiving: it never raises, whatever the input.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flowlint.records import NamedTuple


class Word(NamedTuple):
    text: str  # after quote removal
    start: int  # span of the raw word in the input, end exclusive
    end: int
    expands: bool = False  # holds $VAR, ${..}, $(..), `..` or an unquoted glob: known at run time


class SimpleCommand(NamedTuple):
    words: tuple[Word, ...]  # argv without assignments, wrappers (sudo, env...) and redirections
    start: int  # span including assignments, wrappers and redirections
    end: int
    separator_before: str  # '' at the start of a list, else '&&', '||', ';', '|', '\n' or '&'
    separator_after: str
    prefix: tuple[Word, ...] = ()  # the assignments (A=1) and wrappers (sudo -u x) before argv
    negated: bool = False   # written after `!`: its exit status is inverted
    nested: bool = False    # inside if/while/until/for/case, `{ }` or `( )`

    @property
    def assignments(self) -> tuple[Word, ...]:
        """`NAME=value` words of the prefix: the environment the program runs with."""
        return tuple(word for word in self.prefix if _ASSIGN_RE.match(word.text))


# Programs a task's shell runs that come with the image, never from the Python packages it
# installs (a command outside this list may be a package's console script).
COMMON_TOOLS = frozenset(
    "echo printf cd ls cat cp mv rm mkdir touch test [ true false export set unset exit pwd "
    "head tail grep sed awk sort uniq wc cut tr date sleep chmod find xargs tee curl wget "
    "tar unzip gzip gunzip zip git which du df env mktemp basename dirname".split())
PIP_PROGRAM = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
PYTHON_PROGRAM = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")


def virtualenv_made(simple: SimpleCommand) -> tuple[str, frozenset[str]] | None:
    """The folder `python -m venv DIR` or `virtualenv DIR` makes, as written, with the
    command's options; None for any other command."""
    words = [word.text for word in simple.words]
    program = words[0].rsplit("/", 1)[-1] if words else ""
    if PYTHON_PROGRAM.match(program) and words[1:3] == ["-m", "venv"]:
        arguments = words[3:]
    elif program == "virtualenv":
        arguments = words[1:]
    else:
        return None
    folders = [word for word in arguments if not word.startswith("-")]
    if not folders:
        return None
    return folders[-1], frozenset(word for word in arguments if word.startswith("-"))


# ----------------------------------------------------------------------------- lexer

_META = frozenset(" \t\n;&|<>()")
_OPS = ("&&", "||", ";;", "|&", ";", "|", "&", "(", ")")  # longest first
_OP_ALIASES = {";;": ";", "|&": "|"}  # case-arm end and bash pipe-stderr act like these
_REDIR_RE = re.compile(r"\d*(?:&>>|&>|<<<|<<-|<<|>>|<>|>&|<&|>\||>|<)")
_PEBBLE = {"{{": "}}", "{%": "%}"}
_RESERVED = frozenset(
    "if then else elif fi do done while until for in case esac select { } !".split()
)
_MAX_NESTING = 64
_HEADERS = frozenset({"for", "case", "select"})  # the rest of their line is not a command


class _Tok(NamedTuple):
    kind: str  # 'word', 'op' or 'redir'
    start: int
    end: int
    text: str  # unquoted word, normalised operator, or redirection target


_PARAMETER_START = frozenset("{(@*#?$!-_" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _expands(raw: str) -> bool:
    """Whether the shell would expand part of a raw word: `$NAME`, `${..}`, `$(..)` or `..`
    outside single quotes, or a `*` or `?` outside any quotes. Pebble is rendered by
    Kestra before the shell runs, so it counts as text the flow states."""
    for opening, closing in _PEBBLE.items():
        raw = _without_pebble(raw, opening, closing)
    quote, i = "", 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and quote != "'":
            i += 2
            continue
        if quote == "'":
            quote = "" if char == "'" else quote
        elif char == "`" or (char == "$" and raw[i + 1:i + 2] in _PARAMETER_START
                             and raw[i + 1:i + 2] != ""):
            return True
        elif char in "'\"":
            quote = "" if quote == char else (quote or char)
        elif not quote and char in "*?":
            return True   # `[...]` stays: sh keeps a pattern that matches no file, `x[extra]`
        i += 1
    return False


def _without_pebble(raw: str, opening: str, closing: str) -> str:
    """`raw` without each `{{ ... }}` (the shortest, left to right). With str.find, so that
    a word of many `{{` and no `}}` costs its length, not its length squared (a regular
    expression tries a match from each `{{` to the end)."""
    kept, at = [], 0
    while (start := raw.find(opening, at)) >= 0:
        end = raw.find(closing, start + len(opening))
        if end < 0:
            break
        kept.append(raw[at:start])
        at = end + len(closing)
    return "".join(kept) + raw[at:] if kept else raw


@lru_cache(maxsize=8)
def _last(text: str, closing: str) -> int:
    """Where `closing` last occurs in the text (-1 for nowhere). The text is the whole shell
    string, the same object for every unit of it, so its hash is computed once."""
    return text.rfind(closing)


def _raw_unit_end(text: str, i: int, depth: int = 0) -> int:
    """End of a unit kept verbatim inside a word (Pebble, $(..), ${..}, `..`), or 0."""
    two = text[i : i + 2]
    if depth > _MAX_NESTING and two in ("$(", "${"):
        return len(text)  # absurd nesting: treat as unbalanced rather than overflow the stack
    if two in _PEBBLE:
        # Kestra renders Pebble before the shell runs, so its spaces/quotes are not shell syntax.
        # Without a closing after it, say so without a search to the end for each `{{`.
        if _last(text, _PEBBLE[two]) < i + 2:
            return 0
        close = text.find(_PEBBLE[two], i + 2)
        return close + 2 if close >= 0 else 0
    if two == "$(":
        return _balanced_end(text, i + 2, "(", ")", depth + 1)
    if two == "${":
        return _balanced_end(text, i + 2, "{", "}", depth + 1)
    if two[:1] == "`":
        j = i + 1
        while j < len(text) and text[j] != "`":
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, len(text))
    return 0


def _balanced_end(text: str, i: int, open_: str, close: str, depth: int) -> int:
    """Index after the bracket closing the one just before i, skipping quoted text."""
    level, n = 1, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "'":
            j = text.find("'", i + 1)
            i = n if j < 0 else j + 1
        elif c == '"':
            i = _scan_dquote(text, i + 1, [], depth)
        else:
            level += (c == open_) - (c == close)
            i += 1
            if level == 0:
                return i
    return n


def _scan_dquote(text: str, i: int, out: list[str], depth: int = 0) -> int:
    """Read a double-quoted body starting after the quote; return the index after the closing one."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1
        end = _raw_unit_end(text, i, depth)
        if end:
            out.append(text[i:end])
            i = end
        elif c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            # Inside "..." a backslash only escapes these; elsewhere it stays literal.
            out.append("" if nxt == "\n" else nxt if nxt in '"\\$`' else c + nxt)
            i += 2
        else:
            out.append(c)
            i += 1
    return n


def _scan_word(text: str, i: int) -> tuple[int, str]:
    """Read one word starting at i; return (end, text after quote removal)."""
    n, out = len(text), []
    while i < n and text[i] not in _META:
        c = text[i]
        end = _raw_unit_end(text, i)
        if end:
            out.append(text[i:end])
            i = end
        elif c == "\\":
            if text[i + 1 : i + 2] != "\n":  # backslash-newline is a line continuation
                out.append(text[i + 1 : i + 2])
            i += 2
        elif c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j  # unbalanced: the rest of the text is the word
            out.append(text[i + 1 : j])
            i = j + 1
        elif c == '"':
            i = _scan_dquote(text, i + 1, out)
        else:
            out.append(c)
            i += 1
    return min(i, n), "".join(out)


def _skip_blanks(text: str, i: int) -> int:
    while i < len(text):
        if text[i] in " \t":
            i += 1
        elif text.startswith("\\\n", i):
            i += 2
        else:
            break
    return i


_Heredocs = list[tuple[str, bool]]  # (delimiter, strip leading tabs) awaiting the next newline


def _read_redirect(text: str, m: re.Match[str], toks: list[_Tok], heredocs: _Heredocs) -> int:
    op = m.group().lstrip("0123456789")
    j = _skip_blanks(text, m.end())
    end, target = m.end(), ""
    if j < len(text) and text[j] not in _META and text[j] != "#":
        end, target = _scan_word(text, j)
        if op in ("<<", "<<-"):
            heredocs.append((target, op == "<<-"))
    toks.append(_Tok("redir", m.start(), end, target))
    return end


def _skip_heredocs(text: str, i: int, heredocs: _Heredocs) -> int:
    """Skip heredoc bodies that start after the newline at i-1: they are data, not commands."""
    for delim, strip_tabs in heredocs:
        while i < len(text):
            nl = text.find("\n", i)
            line_end = len(text) if nl < 0 else nl
            line = text[i:line_end]
            i = line_end + 1
            if (line.lstrip("\t") if strip_tabs else line) == delim:
                break
    return min(i, len(text))


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    heredocs: _Heredocs = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t" or text.startswith("\\\n", i):
            i = _skip_blanks(text, i)
        elif c == "#":  # only reached at a word start, so `a#b` is not a comment
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
        elif c == "\n":
            toks.append(_Tok("op", i, i + 1, "\n"))
            i = _skip_heredocs(text, i + 1, heredocs)
            heredocs = []
        elif m := _REDIR_RE.match(text, i):
            i = _read_redirect(text, m, toks, heredocs)
        elif op := next((o for o in _OPS if text.startswith(o, i)), None):
            toks.append(_Tok("op", i, i + len(op), _OP_ALIASES.get(op, op)))
            i += len(op)
        else:
            end, word = _scan_word(text, i)
            end = max(end, i + 1)  # always make progress
            toks.append(_Tok("word", i, end, word))
            i = end
    return toks


# ----------------------------------------------------------------------------- commands

_ASSIGN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
# Wrappers that run their operand as the real program, with their options taking a value.
_WRAPPERS: dict[str, frozenset[str]] = {
    name: frozenset(values.split())
    for name, values in {
        "sudo": "-u -g -p -C -D -R -r -t -T -U --user --group --prompt --chdir",
        "env": "-u --unset -C --chdir -S --split-string",
        "exec": "-a", "command": "", "time": "", "nohup": "",
    }.items()
}


def _skip_options(words: list[_Tok], i: int, value_opts: frozenset[str]) -> int:
    while i < len(words) and words[i].text.startswith("-"):
        if words[i].text == "--":
            return i + 1
        i += 2 if words[i].text in value_opts else 1
    return i


def _strip_prefixes(words: list[_Tok], text: str) -> list[_Tok]:
    i = 0
    while i < len(words):
        raw, name = text[words[i].start : words[i].end], words[i].text
        if _ASSIGN_RE.match(raw):  # raw, so a quoted "A=1" stays a program name
            i += 1
        elif name in _WRAPPERS and raw == name:
            if name == "command" and {"-v", "-V"} & {w.text for w in words[i + 1 : i + 2]}:
                break  # `command -v pip` only looks pip up
            i = _skip_options(words, i + 1, _WRAPPERS[name])
        else:
            break
    return words[i:]


def _build_command(toks: list[_Tok], text: str, before: str, after: str, negated: bool,
                   nested: bool) -> SimpleCommand:
    all_words = [t for t in toks if t.kind == "word"]
    argv = _strip_prefixes(all_words, text)
    prefix = all_words[:len(all_words) - len(argv)]
    words = tuple(_word(t, text) for t in argv)
    return SimpleCommand(words, toks[0].start, toks[-1].end, before, after,
                         tuple(_word(t, text) for t in prefix), negated, nested)


def _word(tok: _Tok, text: str) -> Word:
    return Word(tok.text, tok.start, tok.end, _expands(text[tok.start:tok.end]))


def _is_reserved(tok: _Tok, text: str) -> bool:
    # Only an unquoted word is a keyword: `"if" x` runs a program called `if`.
    return tok.kind == "word" and tok.text in _RESERVED and text[tok.start : tok.end] == tok.text


@lru_cache(maxsize=8192)
def split_commands(text: str) -> tuple[SimpleCommand, ...]:
    """Split a shell string into simple commands, in source order.

    Cached: every check of a task reads the same command strings.
    """
    return tuple(_split_commands(text))


_OPENERS = frozenset({"if", "while", "until", "for", "case", "select", "{"})
_CLOSERS = frozenset({"fi", "done", "esac", "}"})


def _split_commands(text: str) -> list[SimpleCommand]:
    commands: list[SimpleCommand] = []
    current: list[_Tok] = []
    before, in_header, negated, depth = "", False, False, 0
    for tok in _tokenize(text):
        if tok.kind == "op":
            grouping = tok.text in ("(", ")")
            if current:
                commands.append(_build_command(current, text, before,
                                               "" if grouping else tok.text, negated, depth > 0))
            if grouping:
                before = ""  # a subshell body is a fresh list
                depth = max(depth + (1 if tok.text == "(" else -1), 0)
            elif current or tok.text != "\n":
                before = tok.text  # a newline right after `&&`, `|`... is only a line break
            current, in_header, negated = [], False, False
        elif in_header:
            continue
        elif not current and _is_reserved(tok, text):
            in_header = tok.text in _HEADERS
            depth = max(depth + (tok.text in _OPENERS) - (tok.text in _CLOSERS), 0)
            if tok.text == "!":
                negated = not negated
            else:
                before = ""  # then/do/else/{ open a fresh list
        else:
            current.append(tok)
    if current:
        commands.append(_build_command(current, text, before, "", negated, depth > 0))
    return commands
