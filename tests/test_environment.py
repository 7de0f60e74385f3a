"""environment.yml (conda) installs the same packages as pyproject.toml (pip): the two must not drift apart."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _conda_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml must have exactly one pip: section"
    return [r for r in pip_sections[0] if not r.startswith("-")]


def test_conda_env_pins_the_same_python_as_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert pythons == ["python=3.11"]
    assert _pyproject()["project"]["requires-python"] == ">=3.11"


def test_conda_env_has_exactly_the_pip_dependencies_with_the_same_specifiers():
    project = _pyproject()["project"]
    wanted = {_name(r): r.replace(" ", "") for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    have = {_name(r): r.replace(" ", "") for r in _conda_pip_requirements()}
    assert have == wanted


def test_conda_env_installs_torch_first_and_the_package_itself():
    env_text = (ROOT / "environment.yml").read_text()
    requirements = _conda_pip_requirements()
    assert requirements[0] == "torch==2.13.0", "torch must come first so pip takes the CPU build"
    assert "-e ." in env_text or "- -e ." in env_text
