"""Voice profiles: what a brand's voice is, saved as versioned JSON or YAML files that are never overwritten.

A profile lives in its own folder, one file per version::

    profiles/brewtiful-coffee/v0001.json
    profiles/brewtiful-coffee/v0002.yaml

Saving a profile whose content differs from the newest saved version writes the next version; saving an unchanged
profile writes nothing and returns the saved one. Files are created exclusively (``open(..., "x")``), so two savers
never overwrite each other's version.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> saved = save_profile(VoiceProfile(name="Brewtiful", required_signoff="Stay grounded! ☕"), folder)
    >>> saved.version, load_profile(folder, "Brewtiful") == saved
    (1, True)
    >>> save_profile(saved.replace(banned_phrases=("calm down",)), folder).version
    2
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml

from ..errors import DataFormatError, InputError

__all__ = [
    "VoiceProfile",
    "ProfileVersion",
    "FieldChange",
    "save_profile",
    "load_profile",
    "read_profile_file",
    "list_versions",
    "list_profiles",
    "diff_profiles",
    "profile_slug",
]

FORMAT_TAG = "nbtools-voice-profile"
SCHEMA_VERSION = 1
_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
_VERSION_FILE = re.compile(r"^v(\d+)\.(json|ya?ml)$")
_TEXT_FIELDS = ("name", "instructions", "required_signoff", "tone_notes")
_LIST_FIELDS = ("example_answers", "banned_phrases", "required_elements")


@dataclass(frozen=True)
class VoiceProfile:
    """A brand voice: the system prompt, example answers, and the rules the voice checks apply.

    `version` is 0 for a profile never saved, else the number of the file it was saved as or loaded from.
    Lists given for the tuple fields are turned into tuples.
    """

    name: str
    version: int = 0
    instructions: str = ""
    example_answers: tuple[str, ...] = ()
    banned_phrases: tuple[str, ...] = ()
    required_signoff: str = ""
    required_elements: tuple[str, ...] = ()
    tone_notes: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("a voice profile needs a non-empty name", field="name", value=self.name)
        for name in _LIST_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                raise InputError("expected a list of strings, not one string", field=name, value=value)
            items = tuple(value)
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    raise InputError("expected a string", field=f"{name}[{i}]", value=item)
            object.__setattr__(self, name, items)

    def replace(self, **changes: Any) -> "VoiceProfile":
        """A copy with some fields changed (the version stays until the copy is saved)."""
        return dataclasses.replace(self, **changes)

    def content(self) -> dict[str, Any]:
        """Every field except `version`, as JSON-ready values (what decides whether a save makes a new version)."""
        data = dataclasses.asdict(self)
        del data["version"]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


@dataclass(frozen=True)
class ProfileVersion:
    """One saved version of a profile."""

    name: str
    version: int
    path: Path
    saved_at: str
    based_on: int | None


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two profiles, with a unified diff of its text."""

    field: str
    old: Any
    new: Any
    unified: str


class _ProfileFile(pydantic.BaseModel):
    """The on-disk shape of one profile version (outside input: validated)."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    format: Literal["nbtools-voice-profile"]
    schema_version: Literal[1]
    name: str = pydantic.Field(min_length=1)
    version: int = pydantic.Field(ge=1)
    saved_at: str
    based_on: int | None = None
    instructions: str = ""
    example_answers: list[str] = []
    banned_phrases: list[str] = []
    required_signoff: str = ""
    required_elements: list[str] = []
    tone_notes: str = ""


def profile_slug(name: str) -> str:
    """The folder name for a profile name.

    >>> profile_slug("Brewtiful Coffee Co. (v2)")
    'brewtiful-coffee-co-v2'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    if not slug:
        raise InputError("a profile name needs at least one letter or digit", field="name", value=name)
    return slug


def _version_files(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _VERSION_FILE.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def read_profile_file(path: str | os.PathLike[str]) -> tuple[VoiceProfile, ProfileVersion]:
    """Read and validate one profile file (JSON or YAML, by suffix); errors name the file, line and field."""
    path = Path(path)
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataFormatError("a voice profile file must end in .json, .yaml or .yml", file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such voice profile file", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path)) from None
    try:
        data = json.loads(text) if kind == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DataFormatError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path), line=line) from None
    if not isinstance(data, dict):
        raise DataFormatError("a voice profile file must hold one mapping", file=str(path), value=data)
    try:
        parsed = _ProfileFile.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        raise DataFormatError(first["msg"], file=str(path), field=where, value=first.get("input")) from None
    fields = parsed.model_dump(exclude={"format", "schema_version", "saved_at", "based_on"})
    profile = VoiceProfile(**fields)
    return profile, ProfileVersion(parsed.name, parsed.version, path, parsed.saved_at, parsed.based_on)


def list_versions(directory: str | os.PathLike[str], name: str) -> list[ProfileVersion]:
    """Every saved version of profile `name` in `directory`, oldest first (empty when none)."""
    return [read_profile_file(path)[1] for _, path in _version_files(Path(directory) / profile_slug(name))]


def list_profiles(directory: str | os.PathLike[str]) -> list[str]:
    """Names of the profiles saved in `directory` (as written in their newest version), sorted."""
    root = Path(directory)
    if not root.is_dir():
        return []
    names = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = _version_files(folder)
        if files:
            names.append(read_profile_file(files[-1][1])[0].name)
    return sorted(names)


def load_profile(directory: str | os.PathLike[str], name: str, *, version: int | None = None) -> VoiceProfile:
    """Profile `name` from `directory`: the newest version, or `version`."""
    files = _version_files(Path(directory) / profile_slug(name))
    if not files:
        raise InputError(f"no saved voice profile named {name!r}", file=str(directory), field="name", value=name)
    if version is None:
        return read_profile_file(files[-1][1])[0]
    for number, path in files:
        if number == version:
            return read_profile_file(path)[0]
    raise InputError(
        f"profile {name!r} has no version {version} (saved: {[n for n, _ in files]})",
        file=str(directory),
        field="version",
        value=version,
    )


def _dump(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def save_profile(
    profile: VoiceProfile,
    directory: str | os.PathLike[str],
    *,
    fmt: Literal["json", "yaml"] = "json",
    now: datetime | None = None,
) -> VoiceProfile:
    """Save `profile` as a new version when its content changed; returns the profile with its saved version.

    An unchanged profile (same content as the newest version) writes nothing. Nothing is ever overwritten.
    """
    if fmt not in ("json", "yaml"):
        raise InputError("format must be 'json' or 'yaml'", field="fmt", value=fmt)
    folder = Path(directory) / profile_slug(profile.name)
    folder.mkdir(parents=True, exist_ok=True)
    saved_at = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    while True:
        files = _version_files(folder)
        if files:
            latest, latest_version = read_profile_file(files[-1][1])
            if latest.content() == profile.content():
                return latest
            number = latest_version.version + 1
        else:
            number = 1
        record = {"format": FORMAT_TAG, "schema_version": SCHEMA_VERSION, "name": profile.name, "version": number,
                  "saved_at": saved_at, "based_on": profile.version or None}
        record.update({k: v for k, v in profile.content().items() if k != "name"})
        path = folder / f"v{number:04d}.{fmt}"
        try:
            with open(path, "x", encoding="utf-8") as handle:
                handle.write(_dump(record, fmt))
        except FileExistsError:
            continue  # another saver took this number (possibly in the other format): look again
        return profile.replace(version=number)


def _as_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "".join(f"- {item}\n" for item in value)
    text = str(value)
    return text if text.endswith("\n") or not text else text + "\n"


def diff_profiles(old: VoiceProfile, new: VoiceProfile) -> list[FieldChange]:
    """The fields that differ between two profiles (version ignored), each with a unified diff.

    >>> a = VoiceProfile(name="B", banned_phrases=("calm down",))
    >>> [c.field for c in diff_profiles(a, a.replace(banned_phrases=("calm down", "per our policy")))]
    ['banned_phrases']
    """
    changes = []
    for f in dataclasses.fields(VoiceProfile):
        if f.name == "version":
            continue
        before, after = getattr(old, f.name), getattr(new, f.name)
        if before == after:
            continue
        unified = "".join(
            difflib.unified_diff(
                _as_text(before).splitlines(keepends=True),
                _as_text(after).splitlines(keepends=True),
                fromfile=f"{f.name} (v{old.version})",
                tofile=f"{f.name} ({'unsaved edit' if new.version == old.version else f'v{new.version}'})",
            )
        )
        changes.append(FieldChange(f.name, before, after, unified))
    return changes
