"""Which files a walk reads (.gitignore, .ignore) and where the result cache lives."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import BAD_FLOW as FLOW
from helpers import GOOD_FLOW

from flowlint.cli import main
from flowlint.files import CACHE_DIR, discover
from flowlint.run.cache_location import cache_location


def project(root: Path, files: dict[str, str], git: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def walked(top: Path, respect: bool = True) -> list[str]:
    return sorted(os.path.relpath(path, top)
                  for path in discover([str(top)], respect_gitignore=respect))


def test_gitignore_patterns_negations_and_nested_files(tmp_path) -> None:
    root = project(tmp_path / "repo", {
        ".gitignore": "build/\n*.generated.yaml\nflows/*.yaml\n!flows/keep.yaml\n",
        "build/a.yaml": FLOW, "flows/keep.yaml": FLOW, "flows/drop.yaml": FLOW,
        "flows/sub/deep.yaml": FLOW, "x.generated.yaml": FLOW, "y.yaml": FLOW,
        "flows/sub/.gitignore": "deep.yaml\n", "flows/sub/other.yml": FLOW,
    })
    assert walked(root) == ["flows/keep.yaml", "flows/sub/other.yml", "y.yaml"]
    assert len(walked(root, respect=False)) == 7


def test_a_deeper_file_re_includes_and_the_ancestors_count_from_a_subfolder(tmp_path) -> None:
    root = project(tmp_path / "repo", {
        ".gitignore": "*.yaml\n", "flows/.gitignore": "!a.yaml\n",
        "flows/a.yaml": FLOW, "flows/b.yaml": FLOW,
    })
    assert walked(root / "flows") == ["a.yaml"]   # the root's rules apply to a walk of flows/


def test_an_ignored_folder_is_not_entered_even_for_a_negation(tmp_path) -> None:
    # git cannot re-include a file whose folder is excluded; neither does flowlint.
    root = project(tmp_path / "repo", {".gitignore": "out/\n!out/keep.yaml\n",
                                       "out/keep.yaml": FLOW})
    assert walked(root) == []


def test_gitignore_counts_in_a_repository_only_and_dot_ignore_everywhere(tmp_path) -> None:
    root = project(tmp_path / "plain", {".gitignore": "a.yaml\n", ".ignore": "b.yaml\n",
                                        "a.yaml": FLOW, "b.yaml": FLOW}, git=False)
    assert walked(root) == ["a.yaml"]


def test_git_info_exclude_is_read(tmp_path) -> None:
    root = project(tmp_path / "repo", {"a.yaml": FLOW, "b.yaml": FLOW})
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("a.yaml\n")
    assert walked(root) == ["b.yaml"]


def test_a_file_named_on_the_command_line_is_read_even_if_ignored(tmp_path, capsys,
                                                                  monkeypatch) -> None:
    root = project(tmp_path / "repo", {".gitignore": "*.yaml\n", "a.yaml": FLOW})
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "a.yaml"]) == 1
    assert main(["check", "--no-cache", "."]) == 0
    assert "nothing was checked" in capsys.readouterr().err
    assert main(["check", "--no-cache", "--no-respect-gitignore", "."]) == 1


def test_show_files_lists_what_would_be_checked(tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "repo", {".gitignore": "skip/\n", "skip/a.yaml": FLOW,
                                       "flows/b.yaml": FLOW, "flows/c.yml": FLOW})
    monkeypatch.chdir(root)
    assert main(["check", "--show-files", "."]) == 0
    assert capsys.readouterr().out == "flows/b.yaml\nflows/c.yml\n"
    assert not (root / CACHE_DIR).exists()   # nothing was checked


@pytest.mark.parametrize("paths", [
    ["flows", "flows"], ["flows", "flows/b.yaml", "./flows/"], ["flows/c.yml", "flows"],
    ["flows//", "ABSOLUTE/flows"], [".", "flows"],
])
def test_a_file_reached_twice_is_checked_once(tmp_path, capsys, monkeypatch, paths) -> None:
    root = project(tmp_path / "repo", {"flows/b.yaml": FLOW, "flows/c.yml": GOOD_FLOW})
    monkeypatch.chdir(root)
    paths = [path.replace("ABSOLUTE", str(root)) for path in paths]
    assert main(["check", "--show-files", *paths]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 2 and {os.path.basename(path) for path in shown} == {"b.yaml", "c.yml"}
    assert main(["check", "--no-cache", "--output-format", "concise", "flows"]) == 1
    once = capsys.readouterr().out.splitlines()
    assert main(["check", "--no-cache", "--output-format", "concise", *paths]) == 1
    out, err = capsys.readouterr()
    assert "(2 file(s) checked)" in err
    assert len(out.splitlines()) == len(once) == 1   # b.yaml's one finding, reported once


def test_a_named_file_is_read_though_a_walk_reached_it_first_and_left_it_out(
        tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "repo", {"d/sub/b.yaml": FLOW, "d/.flowlint.toml":
                                       'exclude = ["sub"]\n'})
    monkeypatch.chdir(root)
    for paths in (["d", "./d/sub/b.yaml"], ["d", str(root / "d/sub/b.yaml")]):
        assert main(["check", "--show-files", *paths]) == 0
        assert capsys.readouterr().out.splitlines() == [paths[1]]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_two_files_whose_names_differ_by_a_symlink_and_dotdot_are_two(
        tmp_path, capsys, monkeypatch) -> None:
    """`lnk/../d/a.yaml` is not `d/a.yaml` when lnk points elsewhere: `..` is resolved on
    the disk, not by the letters."""
    root = project(tmp_path / "repo", {"d/a.yaml": FLOW})
    project(tmp_path / "other", {"d/a.yaml": GOOD_FLOW, "x/.keep": ""})
    os.symlink(tmp_path / "other" / "x", root / "lnk")
    monkeypatch.chdir(root)
    assert main(["check", "--show-files", "d/a.yaml", "lnk/../d/a.yaml", "./d/a.yaml"]) == 0
    assert capsys.readouterr().out.splitlines() == ["d/a.yaml", "lnk/../d/a.yaml"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
@pytest.mark.parametrize(("paths", "shown"), [
    (["d", "dl"], ["d/a.yaml", "d/s.yaml"]),                  # dl is a link to d
    (["d/s.yaml", "d/../d/s.yaml"], ["d/s.yaml"]),
    (["dl/a.yaml", "dl/x/../a.yaml"], ["dl/a.yaml"]),
    (["d/a.yaml", "d/s.yaml"], ["d/a.yaml", "d/s.yaml"]),     # s.yaml is a link to a.yaml:
    (["d/a.yaml", "d/x/../s.yaml"], ["d/a.yaml", "d/x/../s.yaml"]),   # two entries, always
])
def test_one_folder_entry_spelled_through_links_is_one(tmp_path, capsys, monkeypatch, paths,
                                                       shown) -> None:
    root = project(tmp_path / "repo", {"d/a.yaml": FLOW, "d/x/.keep": ""})
    os.symlink("a.yaml", root / "d" / "s.yaml")
    os.symlink("d", root / "dl")
    monkeypatch.chdir(root)
    assert main(["check", "--show-files", *paths]) == 0
    assert capsys.readouterr().out.splitlines() == shown


@pytest.mark.parametrize("first", ["missing/../a.yaml", "notdir.yaml/../a.yaml"])
def test_a_path_through_a_folder_that_is_not_one_hides_no_file(tmp_path, capsys, monkeypatch,
                                                                 first) -> None:
    """`missing/../a.yaml` cannot be read: it must neither stand for `a.yaml` nor hide it
    (os.path.realpath reads a `..` after a missing folder by its letters)."""
    root = project(tmp_path / "repo", {"a.yaml": FLOW, "notdir.yaml": GOOD_FLOW})
    monkeypatch.chdir(root)
    for paths in ([first, "a.yaml"], ["a.yaml", first]):
        assert main(["check", "--show-files", *paths]) == 0
        assert capsys.readouterr().out.splitlines() == paths


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_an_absolute_path_through_a_linked_current_folder_is_the_same_file(
        tmp_path, capsys, monkeypatch) -> None:
    """As on macOS, where /tmp is a link to /private/tmp: $PWD names the link, getcwd() the
    folder it points to."""
    project(tmp_path / "real", {"d/a.yaml": FLOW})
    os.symlink(tmp_path / "real", tmp_path / "link")
    monkeypatch.chdir(tmp_path / "link")
    assert main(["check", "--show-files", "d/a.yaml",
                 str(tmp_path / "link" / "d" / "a.yaml")]) == 0
    assert capsys.readouterr().out.splitlines() == ["d/a.yaml"]


def test_verbose_says_once_what_was_left_out_and_never_of_a_file_kept(
        tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "repo", {"d/sub/b.yaml": FLOW, "d/c.yaml": GOOD_FLOW,
                                       "d/.flowlint.toml": 'exclude = ["sub"]\n'})
    monkeypatch.chdir(root)
    main(["check", "--no-cache", "-v", "--format", "concise", "d", "d"])
    err = capsys.readouterr().err
    assert err.count("d/sub/b.yaml: skipped") == 1, err
    main(["check", "--no-cache", "-v", "--format", "concise", "d", "./d/sub/b.yaml"])
    out, err = capsys.readouterr()
    assert "b.yaml: skipped" not in err and out.startswith("./d/sub/b.yaml:"), (out, err)


def test_show_settings_gives_the_resolved_rules_and_the_config_file(tmp_path, capsys,
                                                                    monkeypatch) -> None:
    root = project(tmp_path / "repo", {".flowlint.toml": 'target-version = "0.20"\n',
                                       "flows/b.yaml": FLOW})
    monkeypatch.chdir(root)
    assert main(["check", "--show-settings", "--select", "FL001", "--ignore", "FL9", "."]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# settings for flows/b.yaml\nrules = [\"FL001\"]\n")
    assert 'target-version = "0.20"' in out
    assert f"# config file: {root / '.flowlint.toml'}" in out
    assert f'cache-dir = "{root / CACHE_DIR}"' in out


@pytest.mark.parametrize("config", [".flowlint.toml", None])
def test_the_cache_is_at_the_project_root_whatever_the_folder_run_from(tmp_path, capsys,
                                                                       monkeypatch,
                                                                       config) -> None:
    files = {"flows/deep/b.yaml": FLOW}
    if config:
        files = {"app/.flowlint.toml": "", "app/flows/deep/b.yaml": FLOW}
    root = project(tmp_path / "repo", files)
    top = root / "app" if config else root
    monkeypatch.chdir(top / "flows" / "deep")
    assert main(["check", "."]) == 1
    assert (top / CACHE_DIR).is_dir()
    assert not (top / "flows" / "deep" / CACHE_DIR).exists()


def test_cache_dir_option_and_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("FLOWLINT_CACHE_DIR", raising=False)
    assert cache_location("c1", None, str(tmp_path)) == "c1"
    assert cache_location(None, None, str(tmp_path), {"FLOWLINT_CACHE_DIR": "c2"}) == "c2"
    assert cache_location("c1", None, str(tmp_path), {"FLOWLINT_CACHE_DIR": "c2"}) == "c1"
    folder = project(tmp_path / "none", {}, git=False)
    assert cache_location(None, None, str(folder), {}) == str(folder / CACHE_DIR)


def test_clean_removes_the_projects_cache_and_never_a_foreign_folder(tmp_path, capsys,
                                                                     monkeypatch) -> None:
    root = project(tmp_path / "repo", {"flows/b.yaml": FLOW, "src/main.py": "print(1)\n",
                                       "src/.gitignore": "*.pyc\n"})
    monkeypatch.chdir(root / "flows")
    main(["check", "."])
    assert (root / CACHE_DIR).is_dir()
    assert main(["clean"]) == 0
    assert not (root / CACHE_DIR).exists()
    assert main(["clean", "--cache-dir", str(root / "src")]) == 2
    assert "is not a flowlint result cache" in capsys.readouterr().err
    assert (root / "src" / "main.py").exists()
    custom = tmp_path / "elsewhere"
    assert main(["check", "--cache-dir", str(custom), "."]) == 1
    assert main(["clean", "--cache-dir", str(custom)]) == 0
    assert not custom.exists()


def test_one_relative_name_in_two_folders_is_two_files_to_the_shared_cache(
        tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "repo", {"a/x.yaml": FLOW, "b/x.yaml": GOOD_FLOW})
    for _ in range(2):   # the second round answers from the cache
        monkeypatch.chdir(root / "a")
        assert main(["check", "x.yaml"]) == 1
        monkeypatch.chdir(root / "b")
        assert main(["check", "x.yaml"]) == 0
    assert (root / CACHE_DIR).is_dir()


def test_verbose_names_what_ignore_files_left_out(tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "repo", {".gitignore": "out/\nold.yaml\n", "out/a.yaml": FLOW,
                                       "old.yaml": FLOW, "new.yaml": GOOD_FLOW})
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "-v", "."]) == 0
    err = capsys.readouterr().err
    assert "out/: skipped: ignored by .gitignore or .ignore" in err
    assert "old.yaml: skipped: ignored by .gitignore or .ignore" in err
    assert main(["check", "--no-cache", "."]) == 0
    assert "skipped" not in capsys.readouterr().err


def test_verbose_names_what_excludes_left_out_and_which_config(tmp_path, capsys,
                                                               monkeypatch) -> None:
    root = project(tmp_path / "repo", {".flowlint.toml": 'exclude = ["*.draft.yaml"]\n',
                                       "legacy/a.yaml": FLOW, "flows/b.draft.yaml": FLOW,
                                       "flows/c.yaml": GOOD_FLOW, "skip.yaml": FLOW})
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "-v", "--exclude", "legacy", "--exclude", "skip.yaml",
                 "."]) == 0
    err = capsys.readouterr().err
    assert "legacy/: skipped: excluded by --exclude or --extend-exclude" in err
    assert "skip.yaml: skipped: excluded by --exclude" in err
    assert "flows/b.draft.yaml: skipped: excluded by `exclude` in .flowlint.toml" in err
    assert main(["check", "--no-cache", "-v", "--force-exclude", "--exclude", "skip.yaml",
                 "skip.yaml"]) == 0
    assert "skip.yaml: skipped: excluded by --exclude" in capsys.readouterr().err


def test_a_fifo_named_like_an_ignore_file_is_passed_over(tmp_path) -> None:
    root = project(tmp_path / "repo", {"a.yaml": FLOW})
    os.mkfifo(root / ".ignore")   # opening it would wait for a writer forever
    assert walked(root) == ["a.yaml"]
