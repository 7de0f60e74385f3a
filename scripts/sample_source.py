"""Read a sample-set source folder (the YAML files in scripts/samples/) into plain records, checking every field.

A missing or mistyped field stops the generator with the file, line and field before anything is written:

    InputError: scripts/samples/tickets.yaml, line 12, field answer: missing or not text (got None)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nbtools.errors import InputError
from sample_text import Voice

FILES = ("brand", "tickets", "odd_tickets", "chats", "faq", "order_lookups", "people", "dirt")
TURN_KINDS = ("customer", "agent", "agent_as_written")


@dataclass(frozen=True)
class QA:
    """One hand-written ticket: question, in-voice answer body, and the QA team's off-voice draft if any."""

    topic: str
    question: str
    answer: str
    draft: str | None = None


@dataclass(frozen=True)
class Chat:
    """One scripted conversation; turns are (customer | agent | agent_as_written, text)."""

    slug: str
    name: str
    mojibake: bool
    turns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Source:
    """Everything the generator reads, one field per source file (the small ones stay plain mappings)."""

    seed: int
    voice: Voice
    qas: tuple[QA, ...]
    odd: dict[str, Any]
    chats: tuple[Chat, ...]
    bot_messages: tuple[str, ...]
    faq: tuple[tuple[str, str], ...]
    lookups: tuple[tuple[str, str, dict, str], ...]  # question, order id, tool result, in-voice answer body
    people: dict[str, Any]
    dirt: dict[str, Any]


class _Mapping(dict):
    """A YAML mapping that remembers its line (1-based), for error messages."""

    line: int | None = None


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    out = _Mapping(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_KINDS = {str: "text", int: "a whole number", list: "a list", dict: "a mapping", bool: "true or false"}


def need(record: Any, key: str, kind: type, file: Path, *, optional: bool = False) -> Any:
    """record[key], checked to be of `kind`; InputError naming file, line and field otherwise.

    >>> need(_Mapping(answer="Yes!"), "answer", str, Path("tickets.yaml"))
    'Yes!'
    """
    if not isinstance(record, dict):
        raise InputError("expected a mapping", file=str(file), field=key, value=record)
    value = record.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(f"missing or not {_KINDS[kind]}", file=str(file), line=getattr(record, "line", None),
                         field=key, value=value)
    return value


def _qas(topics: dict, file: Path) -> tuple[QA, ...]:
    out = []
    for topic in topics:
        for item in need(topics, topic, list, file):
            out.append(QA(topic, need(item, "question", str, file), need(item, "answer", str, file),
                          need(item, "draft", str, file, optional=True)))
    return tuple(out)


def _lookup(record: dict, file: Path) -> tuple[str, str, dict, str]:
    return (need(record, "question", str, file), need(record, "order_id", str, file),
            need(record, "result", dict, file), need(record, "answer", str, file))


def _chat(record: dict, file: Path) -> Chat:
    turns = []
    for turn in need(record, "turns", list, file):
        kind = next(iter(turn), None) if isinstance(turn, dict) and len(turn) == 1 else None
        if kind not in TURN_KINDS:
            raise InputError(f"a turn has one key, one of {', '.join(TURN_KINDS)}", file=str(file),
                             line=getattr(turn, "line", getattr(record, "line", None)), field="turns", value=turn)
        turns.append((kind, need(turn, kind, str, file)))
    return Chat(need(record, "slug", str, file), need(record, "name", str, file, optional=True) or "",
                bool(need(record, "mojibake", bool, file, optional=True)), tuple(turns))


def load_source(folder: Path) -> Source:
    """Read and check the eight YAML files of a sample-set source folder."""
    files = {name: folder / f"{name}.yaml" for name in FILES}
    data = {}
    for name, path in files.items():
        if not path.is_file():
            raise InputError("source file missing", file=str(path))
        try:
            data[name] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            raise InputError(f"not valid YAML: {getattr(err, 'problem', err)}", file=str(path),
                             line=mark.line + 1 if mark else None) from err
    brand, chats, f = data["brand"], data["chats"], files
    voice = Voice(need(brand, "greeting", str, f["brand"]), need(brand, "greeting_with_name", str, f["brand"]),
                  need(brand, "sign_off", str, f["brand"]))
    return Source(
        seed=need(brand, "seed", int, f["brand"]),
        voice=voice,
        qas=_qas(need({"topics": data["tickets"]}, "topics", dict, f["tickets"]), f["tickets"]),
        odd=need({"odd": data["odd_tickets"]}, "odd", dict, f["odd_tickets"]),
        chats=tuple(_chat(c, f["chats"]) for c in need(chats, "conversations", list, f["chats"])),
        bot_messages=tuple(need(chats, "bot_messages", list, f["chats"])),
        faq=tuple((need(r, "question", str, f["faq"]), need(r, "answer", str, f["faq"]))
                  for r in need({"faq": data["faq"]}, "faq", list, f["faq"])),
        lookups=tuple(_lookup(r, f["order_lookups"])
                      for r in need({"lookups": data["order_lookups"]}, "lookups", list, f["order_lookups"])),
        people=need({"people": data["people"]}, "people", dict, f["people"]),
        dirt=need({"dirt": data["dirt"]}, "dirt", dict, f["dirt"]),
    )
