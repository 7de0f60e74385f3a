"""The manifest's hashes and token statistics are right, and verification catches every kind of tampering."""

from __future__ import annotations

import hashlib
import json
import statistics

import numpy as np
import pytest

from nbtools.errors import DataFormatError, InputError
from nbtools.export import ExportOptions, export_dataset, read_manifest, verify_manifest
from nbtools.export.manifest import parts_frame, sha256_file, token_stats
from nbtools.tokens import ExampleTokens

EXAMPLES = [{"messages": [{"role": "user", "content": f"Question {i}?"},
                          {"role": "assistant", "content": "Hey there! " * (i + 1)}]} for i in range(12)]


@pytest.fixture()
def export(tmp_path):
    out = tmp_path / "export"
    export_dataset(out, train=EXAMPLES[:10], valid=EXAMPLES[10:],
                   options=ExportOptions(created_at="2026-11-01T00:00:00Z"))
    return out


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 17])
def test_sha256_matches_hashlib_over_the_whole_file(tmp_path, size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_token_stats_match_the_statistics_module():
    billed, trained = [41, 19, 131, 60, 75], [10, 1, 30, 12, 9]
    stats = token_stats([ExampleTokens(b, t, 2) for b, t in zip(billed, trained)])
    assert stats["examples"] == 5
    for key, values in (("billed", billed), ("trained", trained)):
        assert stats[key]["total"] == sum(values)
        assert stats[key]["min"] == min(values) and stats[key]["max"] == max(values)
        assert stats[key]["mean"] == pytest.approx(statistics.fmean(values), abs=0.01)
        assert stats[key]["median"] == statistics.median(values)
        assert stats[key]["p95"] == pytest.approx(statistics.quantiles(values, n=20, method="inclusive")[-1], abs=0.01)
    assert token_stats([]) == {"examples": 0}


def test_manifest_lists_every_file_with_size_and_hash(export):
    manifest = read_manifest(export)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {p.relative_to(export).as_posix() for p in export.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(listed) == on_disk
    for path, entry in listed.items():
        data = (export / path).read_bytes()
        assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["counts"] == {"sft/train": 10, "sft/validation": 2}
    assert manifest["token_model"] == "gpt-4o-mini-2024-07-18" and manifest["tokenizer"] == "o200k_base"
    assert manifest["nbtools_version"] and manifest["created_at"] == "2026-11-01T00:00:00Z"


def test_parts_frame_matches_the_manifest(export):
    manifest = read_manifest(export)
    frame = parts_frame(manifest).set_index("part")
    assert frame["examples"].to_dict() == {"sft/train": 10, "sft/validation": 2}
    for part, facts in manifest["parts"].items():
        assert frame.loc[part, "billed_total"] == facts["tokens"]["billed"]["total"]
        assert frame.loc[part, "billed_p95"] == facts["tokens"]["billed"]["p95"]
        assert frame.loc[part, "trained_mean"] == facts["tokens"]["trained"]["mean"]
    assert list(frame.columns) == ["examples", "billed_total", "billed_mean", "billed_p95", "billed_max",
                                   "trained_total", "trained_mean"]


def test_untouched_export_verifies(export):
    check = verify_manifest(export)
    assert check.ok and check.problems == () and check.unlisted == ()
    assert check.checked == len(read_manifest(export)["files"])


def _flip_last_byte(path):
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "tamper, path, problem",
    [
        (_flip_last_byte, "sft/train.jsonl", "changed"),
        (_flip_last_byte, "tables/sft_train.parquet", "changed"),
        (lambda p: p.write_text(p.read_text(encoding="utf-8") + "\n", encoding="utf-8"), "README.md", "changed"),
        (lambda p: p.unlink(), "llamafactory/sft_validation.json", "missing"),
    ],
)
def test_tampering_is_detected(export, tamper, path, problem):
    tamper(export / path)
    check = verify_manifest(export)
    assert not check.ok
    assert [(p.path, p.problem) for p in check.problems] == [(path, problem)]
    assert check.to_dataframe().loc[0, "path"] == path


def test_paths_outside_the_export_are_never_opened(export):
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] += [{"path": "../../etc/passwd", "bytes": 1, "sha256": "x"},
                          {"path": "/etc/hostname", "bytes": 1, "sha256": "x"}]
    (export / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    check = verify_manifest(export)
    assert [(p.path, p.problem) for p in check.problems] == [("../../etc/passwd", "outside"),
                                                              ("/etc/hostname", "outside")]


def test_added_files_are_listed_but_do_not_fail(export):
    (export / "notes.txt").write_text("mine", encoding="utf-8")
    check = verify_manifest(export)
    assert check.ok and check.unlisted == ("notes.txt",)


def test_missing_or_broken_manifest(tmp_path):
    with pytest.raises(InputError, match="not an nbtools export"):
        verify_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not valid JSON"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"files": "all"}', encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        read_manifest(tmp_path)
    assert info.value.field == "files"
