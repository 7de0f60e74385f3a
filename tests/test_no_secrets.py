"""No key-shaped string in any stored notebook or file, and no key in the files the workflow writes.

Three guards:
1. every file of the repository (tracked, or new and not ignored) is scanned for strings shaped like API keys
   (OpenAI ``sk-…``, the local server's ``nb-…``, Hugging Face, AWS, GitHub, bearer headers);
2. stored notebooks carry no outputs at all, so nothing a kernel printed (a key included) can be committed;
3. the files nbtools writes while it works (run log, uploads log, server log, comparison cache) never hold the key the
   client used: checked against the real local server, with a fake OpenAI key in the environment as well.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Placeholders such as "sk-..." or "sk-<your key>" in the docs are fine: a key has 20+ key characters in a row.
KEY_PATTERNS = {
    "openai": re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    "nbtools local": re.compile(r"\bnb-[A-Za-z0-9_\-]{32,}"),
    "hugging face": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "aws": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "github": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    "bearer header": re.compile(r"Bearer\s+[A-Za-z0-9_\-.]{24,}"),
}


def key_shaped(text: str) -> list[tuple[str, str]]:
    """(kind, first characters) of every key-shaped string in `text`; only a prefix, so a failure leaks nothing."""
    return [(kind, match.group(0)[:6] + "…") for kind, pattern in KEY_PATTERNS.items()
            for match in pattern.finditer(text)]


def repository_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [ROOT / name for name in listed if name and (ROOT / name).is_file()]


def test_the_patterns_find_keys_and_spare_placeholders():
    # built at run time, so that no key-shaped literal is stored in this file
    body = "A1b2C3d4E5f6G7h8I9j0" * 2
    for key in ("sk-" + body, "sk-proj-" + body, "nb-" + body, "hf_" + body, "AKIA" + "ABCDEFGHIJKLMNOP",
                "ghp_" + body, "Authorization: Bearer " + body):
        assert key_shaped(f"before {key} after"), key[:6]
    for placeholder in ("OPENAI_API_KEY=sk-...", "sk-<your key>", "api_key='nb-…'", "a task-oriented run"):
        assert key_shaped(placeholder) == [], placeholder


def test_no_key_shaped_string_in_any_repository_file():
    files = repository_files()
    assert len(files) > 50 and any(path.suffix == ".ipynb" for path in files)
    found = {}
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="ignore")
        if hits := key_shaped(text):
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}, f"key-shaped strings in stored files: {found}"


def test_stored_notebooks_carry_no_outputs():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 7
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        assert code, path.name
        with_output = [i for i, cell in enumerate(code) if cell.get("outputs") or cell.get("execution_count")]
        assert with_output == [], f"{path.name}: code cells {with_output} carry outputs; clear them before committing"


@pytest.mark.slow
def test_files_written_by_the_workflow_never_hold_the_key(tmp_path, monkeypatch):
    import nbtools
    from nbtools.server.launcher import KEY_FILE

    home = tmp_path / "home"
    fake_openai_key = "sk-proj-" + "Zz9" * 12  # in the environment, never used by the local backend
    monkeypatch.setenv("OPENAI_API_KEY", fake_openai_key)
    monkeypatch.chdir(tmp_path)
    train = tmp_path / "train.jsonl"
    line = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey there!"}]}
    train.write_text("\n".join(json.dumps(line | {"n": i}) for i in range(12)) + "\n", encoding="utf-8")
    try:
        client = nbtools.connect("local", home=home)
        backend = nbtools.client_backend(client)
        local_key = client.api_key
        assert local_key and local_key != fake_openai_key
        first = nbtools.upload_file(client, train, home=home)
        again = nbtools.upload_file(client, train, home=home)
        assert again.file_id == first.file_id
        shown = f"{backend!r} {backend} {backend.describe()}"
        assert local_key not in shown and fake_openai_key not in shown
        written = [path for path in home.rglob("*") if path.is_file() and path.name != KEY_FILE]
        assert any(path.suffix == ".jsonl" for path in written), "the run log was not written"
        for path in written:
            data = path.read_bytes()
            assert local_key.encode() not in data, f"the local key is in {path}"
            assert fake_openai_key.encode() not in data, f"the OpenAI key is in {path}"
        key_file = next(home.rglob(KEY_FILE))
        assert key_file.stat().st_mode & 0o077 == 0, "the local key file must be readable by its owner only"
    finally:
        nbtools.stop_local_server(home=home)
