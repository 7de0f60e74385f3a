"""``nbtools eval``: a bad suite file stops before any request; --json on the real local server; --promptfoo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nbtools.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_a_bad_suite_file_exits_2_naming_file_line_and_field(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NBTOOLS_HOME", str(tmp_path / "home"))  # no server is started for a bad file
    path = tmp_path / "suite.yaml"
    path.write_text("cases:\n  - question: Where is my order?\n  - question: 42\n", encoding="utf-8")
    assert main(["eval", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert f"{path}, line 3, field cases.1.question" in err and "Traceback" not in err
    assert not (tmp_path / "home").exists()


def test_options_that_need_the_instructions_say_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NBTOOLS_HOME", str(tmp_path / "home"))
    code = main(["eval", "--facts", str(SAMPLES / "facts.yaml"), "--style-guide",
                 str(SAMPLES / "brand_style_guide.md"), "--promptfoo", str(tmp_path / "pf.yaml")])
    assert code == 2 and "field --instructions" in capsys.readouterr().err


@pytest.mark.slow
def test_json_on_the_local_server(tmp_path, capsys, monkeypatch):
    from server_support import shared_server

    server = shared_server()
    monkeypatch.setenv("NBTOOLS_HOME", str(server.data_dir.parent))
    suite = tmp_path / "suite.jsonl"
    suite.write_text(json.dumps({"id": "express", "question": "How much is express shipping?",
                                 "fact": "express_shipping"}) + "\n", encoding="utf-8")
    code = main(["eval", str(suite), "--facts", str(SAMPLES / "facts.yaml"), "--per-fact", "0", "--json",
                 "--max-tokens", "24", "--backend", "local"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["cases"] == 1
    [row] = out["summary"]
    assert row["setup"] == "base" and row["answers"] == 1
    assert set(row) >= {"stopped", "no_placeholder", "no_pii", "no_loop", "no_invented_name", "fact", "all checks"}
    failed = {f["check"] for f in out["failures"]}
    assert all((row[c] == 0.0) == (c in failed) for c in ("stopped", "no_loop", "fact"))

    config = tmp_path / "pf" / "promptfooconfig.yaml"
    assert main(["eval", str(suite), "--facts", str(SAMPLES / "facts.yaml"), "--per-fact", "0", "--backend", "local",
                 "--instructions", str(SAMPLES / "custom_instructions.md"), "--promptfoo", str(config)]) == 0
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert [p["id"] for p in written["providers"]] == ["openai:chat:smollm2-135m-instruct"] * 2
    assert {p["config"]["apiBaseUrl"] for p in written["providers"]} == {server.base_url.rstrip("/")}
    assert server.api_key not in config.read_text(encoding="utf-8")
