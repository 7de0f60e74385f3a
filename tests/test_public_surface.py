"""The public surface is checked: every top-level name and every command is documented, the lazy names have types.

In the spirit of sqlite-utils' documentation tests: a name in ``nbtools._EXPORTS`` fails here until README.md or a page
in docs/ mentions it in a code span; a command or sub-command of ``nbtools`` fails until docs/cli.md has a section
headed with it, and an option fails until that section names it. The ``if TYPE_CHECKING:`` imports in
nbtools/__init__.py must list exactly the names (and modules) of ``_EXPORTS``, notebooks import only from the top
level, and engine and server internals stay in their subpackages.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
from pathlib import Path

import pytest

import nbtools
from nbtools.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
INIT = ROOT / "nbtools" / "__init__.py"
CLI_DOC = ROOT / "docs" / "cli.md"
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# From nbtools.server, only the launcher (start, stop, find the local server) is public; the app, the store, the
# worker and the training engine are reached through their subpackages (nbtools.server.engine, ...).
PUBLIC_SERVER_MODULES = {"nbtools.server.launcher"}


def code_span_words(text: str) -> set[str]:
    """Identifiers and dotted names inside Markdown code spans and fenced blocks.

    >>> sorted(code_span_words("Call `nbtools.connect()` or `validate_file(path)`; not connect."))
    ['connect', 'nbtools', 'nbtools.connect', 'path', 'validate_file']
    """
    spans = re.findall(r"```.*?```|`[^`\n]+`", text, flags=re.S)
    words: set[str] = set()
    for span in spans:
        for dotted in re.findall(r"[A-Za-z_][\w.]*\w|[A-Za-z_]", span):
            words.add(dotted)
            words.update(dotted.split("."))
    return words


def type_checking_imports(source: str) -> dict[str, str]:
    """name -> module of every ``from module import name`` inside ``if TYPE_CHECKING:`` blocks of `source`.

    >>> type_checking_imports("if TYPE_CHECKING:\\n    from a.b import C, d\\n")
    {'C': 'a.b', 'd': 'a.b'}
    """
    names: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module, ast.dump(statement)
                for alias in statement.names:
                    assert alias.name not in names, f"{alias.name} is imported twice under TYPE_CHECKING"
                    names[alias.asname or alias.name] = statement.module
    return names


def command_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ("nbtools",)):
    """(command path, its parser) for every command and sub-command below `parser`, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from command_parsers(sub, (*path, name))


def long_options(parser: argparse.ArgumentParser) -> list[str]:
    """The long option strings of `parser` (``--help`` left out: every command has it)."""
    return [option for action in parser._actions for option in action.option_strings
            if option.startswith("--") and option != "--help"]


def markdown_sections(text: str) -> dict[str, str]:
    """Heading text (without #'s and backticks) -> the text up to the next heading of any level.

    >>> markdown_sections("# A\\nx\\n## `nbtools jobs`\\ny\\n")
    {'A': 'x\\n', 'nbtools jobs': 'y\\n'}
    """
    sections: dict[str, str] = {}
    parts = re.split(r"^#+[ \t]+(.+?)[ \t]*$", text, flags=re.M)
    for heading, body in zip(parts[1::2], parts[2::2]):
        sections[heading.replace("`", "").strip()] = body.lstrip("\n")
    return sections


DOCUMENTED = set().union(*(code_span_words(path.read_text(encoding="utf-8")) for path in DOC_FILES))
COMMANDS = [(" ".join(path), parser) for path, parser in command_parsers(build_parser())]


@pytest.mark.parametrize("name", sorted(nbtools._EXPORTS))
def test_every_public_name_is_documented(name):
    assert name in DOCUMENTED, (f"nbtools.{name} is public (nbtools._EXPORTS) but neither README.md nor docs/*.md "
                                f"mentions it in a code span; add it to docs/api.md")


@pytest.mark.parametrize("name", sorted(nbtools._EXPORTS))
def test_every_public_class_and_function_has_a_summary_line(name):
    value = getattr(nbtools, name)
    if callable(value):  # its own docstring: not inherited, not the signature a dataclass makes up without one
        doc = (value.__doc__ or "").strip()
        assert doc and not doc.startswith(f"{value.__name__}("), f"nbtools.{name} has no docstring"


def test_the_type_checking_imports_list_exactly_the_lazy_names():
    declared = type_checking_imports(INIT.read_text(encoding="utf-8"))
    missing = {n: m for n, m in nbtools._EXPORTS.items() if declared.get(n) != m}
    extra = {n: m for n, m in declared.items() if n not in nbtools._EXPORTS}
    assert (missing, extra) == ({}, {}), ("nbtools/__init__.py: the `if TYPE_CHECKING:` imports must match _EXPORTS "
                                          "name for name and module for module")


@pytest.mark.parametrize("name,module", sorted(nbtools._EXPORTS.items()))
def test_every_public_name_resolves_to_its_module(name, module):
    assert getattr(nbtools, name) is getattr(importlib.import_module(module), name)


def test_the_public_names_are_the_module_attributes():
    assert set(nbtools.__all__) == set(nbtools._EXPORTS) | {"__version__"}
    assert "nbtools.server.engine" not in nbtools._EXPORTS.values()
    with pytest.raises(AttributeError, match="no attribute 'ChatEngine'"):
        _ = nbtools.ChatEngine  # an engine internal: nbtools.server.engine.ChatEngine


@pytest.mark.parametrize("name,module", sorted(nbtools._EXPORTS.items()))
def test_server_internals_stay_in_their_subpackage(name, module):
    assert not module.startswith("nbtools.server") or module in PUBLIC_SERVER_MODULES, (
        f"nbtools.{name} comes from {module}: server and engine internals are imported from their subpackage")


@pytest.mark.parametrize("command,parser", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_every_command_and_option_is_documented(command, parser):
    sections = markdown_sections(CLI_DOC.read_text(encoding="utf-8"))
    assert command in sections, f"docs/cli.md has no section headed `{command}`"
    undocumented = [option for option in long_options(parser) if option not in sections[command]]
    assert undocumented == [], f"docs/cli.md, section `{command}`: options not mentioned"


def test_the_command_reference_documents_no_command_that_is_gone():
    documented = {h for h in markdown_sections(CLI_DOC.read_text(encoding="utf-8")) if h.startswith("nbtools ")}
    assert documented <= {c for c, _ in COMMANDS}


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def nbtools_usage(code: str) -> tuple[set[str], list[str]]:
    """Names a notebook takes from ``nbtools`` (attributes and ``from nbtools import``), and its deeper imports.

    >>> used, deep = nbtools_usage("from nbtools import a, b\\nnbtools.c(1)\\nimport nbtools.server.app")
    >>> sorted(used), deep
    (['a', 'b', 'c'], ['nbtools.server.app'])
    """
    used: set[str] = set()
    deep: list[str] = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module == "nbtools":
            used.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nbtools."):
            deep.append(node.module)
        elif isinstance(node, ast.Import):
            deep.extend(alias.name for alias in node.names if alias.name.startswith("nbtools."))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "nbtools":
            used.add(node.attr)
    return used, deep


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_use_only_the_top_level_namespace(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    used, deep = nbtools_usage("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"))
    assert used, f"{path.name} does not use nbtools"
    assert deep == [], f"{path.name} imports from subpackages; use the names of the top-level nbtools"
    assert used - set(nbtools.__all__) == set(), f"{path.name} uses names that nbtools does not export"
