"""Voice profiles: versioned save/load round trips in JSON and YAML, never overwriting, clear errors, diffs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import yaml

from nbtools.errors import DataFormatError, InputError
from nbtools.voice import VoiceProfile, diff_profiles, list_profiles, list_versions, load_profile, save_profile
from nbtools.voice.profile import read_profile_file

BREWTIFUL = VoiceProfile(
    name="Brewtiful Coffee",
    instructions="You are Brewtiful Coffee's support assistant. Greet with “Hey there!”.",
    example_answers=("Hey there! Your beans ship within 2 days.\nStay grounded! ☕",),
    banned_phrases=("per our policy", "calm down"),
    required_signoff="Stay grounded! ☕",
    required_elements=("Hey there",),
    tone_notes="warm, concise, at most one pun",
)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_save_then_load_gives_the_same_profile(tmp_path, fmt):
    saved = save_profile(BREWTIFUL, tmp_path, fmt=fmt)
    assert saved.version == 1
    assert saved == BREWTIFUL.replace(version=1)
    assert load_profile(tmp_path, "Brewtiful Coffee") == saved
    (path,) = (tmp_path / "brewtiful-coffee").iterdir()
    assert path.name == f"v0001.{fmt}"
    text = path.read_text(encoding="utf-8")
    assert "Stay grounded! ☕" in text  # unicode kept readable, not escaped
    data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    assert data["format"] == "nbtools-voice-profile" and data["version"] == 1


def test_unchanged_profile_writes_no_new_version(tmp_path):
    first = save_profile(BREWTIFUL, tmp_path)
    again = save_profile(first, tmp_path)
    also = save_profile(BREWTIFUL, tmp_path)  # same content, never saved under this object: still version 1
    assert again == first == also
    assert [v.version for v in list_versions(tmp_path, BREWTIFUL.name)] == [1]


def test_changed_profile_writes_next_version_and_keeps_old_files(tmp_path):
    v1 = save_profile(BREWTIFUL, tmp_path, now=datetime(2026, 11, 1, tzinfo=timezone.utc))
    before = (tmp_path / "brewtiful-coffee" / "v0001.json").read_bytes()
    v2 = save_profile(v1.replace(banned_phrases=v1.banned_phrases + ("as previously stated",)), tmp_path, fmt="yaml")
    v3 = save_profile(v1.replace(tone_notes="warmer"), tmp_path)  # edited from an old version: still a new number
    assert (v1.version, v2.version, v3.version) == (1, 2, 3)
    assert (tmp_path / "brewtiful-coffee" / "v0001.json").read_bytes() == before
    versions = list_versions(tmp_path, BREWTIFUL.name)
    assert [(v.version, v.path.suffix, v.based_on) for v in versions] == [(1, ".json", None), (2, ".yaml", 1),
                                                                          (3, ".json", 1)]
    assert versions[0].saved_at == "2026-11-01T00:00:00+00:00"
    assert load_profile(tmp_path, BREWTIFUL.name) == v3
    assert load_profile(tmp_path, BREWTIFUL.name, version=2) == v2
    assert list_profiles(tmp_path) == ["Brewtiful Coffee"]


def test_a_taken_version_number_is_never_overwritten(tmp_path):
    save_profile(BREWTIFUL, tmp_path)
    folder = tmp_path / "brewtiful-coffee"
    # Another saver wrote version 2 in the other format meanwhile: ours must become version 3.
    other = save_profile(BREWTIFUL.replace(tone_notes="other saver"), tmp_path / "elsewhere")
    (folder / "v0002.yaml").write_text(yaml.safe_dump(json.loads(
        (tmp_path / "elsewhere" / "brewtiful-coffee" / "v0001.json").read_text()) | {"version": 2}), encoding="utf-8")
    mine = save_profile(BREWTIFUL.replace(tone_notes="mine"), tmp_path)
    assert mine.version == 3
    assert load_profile(tmp_path, BREWTIFUL.name, version=2).tone_notes == other.tone_notes


def test_diff_lists_changed_fields_with_unified_text():
    old = BREWTIFUL.replace(version=1)
    new = old.replace(banned_phrases=("per our policy",), instructions=old.instructions + "\nBe brief.")
    changes = {c.field: c for c in diff_profiles(old, new)}
    assert set(changes) == {"instructions", "banned_phrases"}
    assert "\n-- calm down\n" in changes["banned_phrases"].unified  # the list item "- calm down", removed
    assert "+Be brief." in changes["instructions"].unified
    assert "+++ instructions (unsaved edit)" in changes["instructions"].unified
    assert "+++ tone_notes (v2)" in diff_profiles(old, new.replace(version=2, tone_notes="x"))[-1].unified
    assert diff_profiles(old, old.replace(version=7)) == []


@pytest.mark.parametrize(
    "content, suffix, message, line, field",
    [
        ('{"format": "nbtools-voice-profile",\n "schema_version": 1,\n "name": ', ".json", "not valid JSON", 3, None),
        ("format: nbtools-voice-profile\nname: [unclosed\n", ".yaml", "not valid YAML", 3, None),
        ('["a list"]', ".json", "must hold one mapping", None, None),
        ('{"format": "nbtools-voice-profile", "schema_version": 1, "name": "B", "version": 1, "saved_at": "x",'
         ' "banned_phrases": "calm down"}', ".json", "valid list", None, "banned_phrases"),
        ('{"format": "nbtools-voice-profile", "schema_version": 1, "name": "B", "version": 0, "saved_at": "x"}',
         ".json", "greater than or equal to 1", None, "version"),
        ('{"format": "nbtools-voice-profile", "schema_version": 1, "name": "B", "version": 1, "saved_at": "x",'
         ' "colour": "brown"}', ".json", "Extra inputs", None, "colour"),
        ('{"format": "something-else", "schema_version": 1, "name": "B", "version": 1, "saved_at": "x"}',
         ".json", "Input should be", None, "format"),
        ("name: B", ".txt", "must end in .json, .yaml or .yml", None, None),
    ],
)
def test_bad_profile_files_give_located_errors(tmp_path, content, suffix, message, line, field):
    path = tmp_path / f"v0001{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError) as caught:
        read_profile_file(path)
    error = caught.value
    assert message in str(error)
    assert error.file == str(path)
    assert (error.line, error.field) == (line, field)


def test_binary_profile_file_is_a_clear_error(tmp_path):
    path = tmp_path / "v0001.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(DataFormatError, match="not UTF-8"):
        read_profile_file(path)


@pytest.mark.parametrize(
    "kwargs, field",
    [({"name": "  "}, "name"), ({"name": "B", "banned_phrases": "calm down"}, "banned_phrases"),
     ({"name": "B", "example_answers": ["ok", 3]}, "example_answers[1]")],
)
def test_profile_rejects_bad_fields(kwargs, field):
    with pytest.raises(InputError) as caught:
        VoiceProfile(**kwargs)
    assert caught.value.field == field


def test_lists_become_tuples_and_missing_profiles_are_named(tmp_path):
    assert VoiceProfile(name="B", banned_phrases=["a", "b"]).banned_phrases == ("a", "b")
    with pytest.raises(InputError, match="no saved voice profile named 'Nobody'"):
        load_profile(tmp_path, "Nobody")
    save_profile(BREWTIFUL, tmp_path)
    with pytest.raises(InputError, match=r"has no version 9 \(saved: \[1\]\)"):
        load_profile(tmp_path, BREWTIFUL.name, version=9)
