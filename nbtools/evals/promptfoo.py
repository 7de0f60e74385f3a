"""Export a suite to promptfoo's YAML config, so the same eval runs in promptfoo (the open-source eval CLI OpenAI
points its evals users to) against any OpenAI-compatible backend, the local server included.

Each set-up becomes a provider ``openai:chat:<model>`` with ``apiBaseUrl`` and its own prompt (its system prompt,
then the case's conversation); each case a test whose ``vars`` hold the question and whose assertions mirror the
built-in checks: ``finish-reason`` for "stopped", JavaScript assertions for the others (named by ``metric``). The
API key is never written: promptfoo reads it from the environment variable `api_key_env`.

The JavaScript mirrors are close to, not identical with, the Python checks: phone numbers are matched by a North
American pattern instead of libphonenumber, and voice length counts words split at white space.

    config = promptfoo_config(suite, setups, base_url=server.base_url, voice=rules)
    write_promptfoo_config(config, "build/promptfoo/promptfooconfig.yaml")
    # PROMPTFOO_DISABLE_TELEMETRY=1 NBTOOLS_API_KEY=... promptfoo eval -c build/promptfoo/promptfooconfig.yaml
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import yaml

from ..compare.setups import ModelSetup
from ..corpus.pii import EMAIL, GREETING_NAME, NOT_NAMES, ROLE_MAILBOXES
from ..errors import InputError
from .checks import _CAPS_TOKEN, _PLACEHOLDER, VoiceRules
from .suite import EvalSuite, suite_fact

__all__ = ["promptfoo_config", "write_promptfoo_config", "PROMPTFOO_VERSION"]

PROMPTFOO_VERSION = "0.123.1"  # the version the tests run the exported config with


def _js_regex(pattern: str) -> str:
    """A Python pattern as a JavaScript RegExp source (named groups ``(?P<x>`` become ``(?<x>``)."""
    return pattern.replace("(?P<", "(?<")


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _stopped() -> dict[str, Any]:
    return {"type": "finish-reason", "value": "stop", "metric": "stopped"}


def _no_placeholder() -> dict[str, Any]:
    known, caps = _js(_js_regex(_PLACEHOLDER.pattern)), _js(_CAPS_TOKEN.pattern)
    return {"type": "javascript", "metric": "no_placeholder",
            "value": f"!new RegExp({known}, 'i').test(output) && !new RegExp({caps}).test(output)"}


def _no_pii() -> dict[str, Any]:
    body = f"""const roles = new Set({_js(sorted(ROLE_MAILBOXES))});
const emails = (output.match(new RegExp({_js(EMAIL.pattern)}, 'g')) || []).filter(e => !roles.has(e.split('@')[0].toLowerCase()));
const luhn = d => {{ let s = 0, dbl = false; for (let i = d.length - 1; i >= 0; i--) {{ let n = +d[i]; if (dbl) {{ n *= 2; if (n > 9) n -= 9; }} s += n; dbl = !dbl; }} return s % 10 === 0; }};
const cards = (output.match(/(?<![\\d-])(?:\\d[ -]?){{12,18}}\\d(?![\\d-])/g) || []).filter(c => luhn(c.replace(/\\D/g, '')));
const phones = output.match(/(?<!\\d)(?:\\+?1[ .-]?)?\\(?[2-9]\\d{{2}}\\)?[ .-]?\\d{{3}}[ .-]?\\d{{4}}(?!\\d)/g) || [];
return emails.length + cards.length + phones.length === 0;"""
    return {"type": "javascript", "metric": "no_pii", "value": body}


def _no_loop() -> dict[str, Any]:
    body = """const lines = output.split('\\n').map(l => l.trim().split(/\\s+/).join(' ').toLowerCase()).filter(l => l);
const count = xs => xs.reduce((m, x) => m.set(x, (m.get(x) || 0) + 1), new Map());
if (Math.max(0, ...count(lines).values()) >= 3) return false;
const words = (output.toLowerCase().match(/[\\p{L}\\p{N}]+(?:['’][\\p{L}\\p{N}]+)*/gu) || []);
const grams = [];
for (let i = 0; i + 6 <= words.length; i++) grams.push(words.slice(i, i + 6).join(' '));
return Math.max(0, ...count(grams).values()) < 3;"""
    return {"type": "javascript", "metric": "no_loop", "value": body}


def _no_invented_name() -> dict[str, Any]:
    body = f"""const said = new Set(((context.vars.conversation || '').toLowerCase().match(/[\\p{{L}}\\p{{N}}]+/gu) || []));
const skip = new Set({_js(sorted(NOT_NAMES))});
for (const m of output.matchAll(new RegExp({_js(_js_regex(GREETING_NAME.pattern))}, 'g'))) {{
  const parts = m.groups.name.split(/\\s+/);
  if (skip.has(parts[0])) continue;
  if (!parts.every(p => said.has(p.toLowerCase()))) return false;
}}
return true;"""
    return {"type": "javascript", "metric": "no_invented_name", "value": body}


def _voice(rules: VoiceRules) -> dict[str, Any]:
    profile, t = rules.profile, rules.thresholds
    body = f"""const text = output.normalize('NFKC').replace(/[’‘]/g, "'").toLowerCase().replace(/\\s+/g, ' ');
const lines = output.split('\\n').filter(l => l.trim());
const signoff = {_js(profile.required_signoff.strip())};
if (signoff && (!lines.length || lines[lines.length - 1].trim().toLowerCase() !== signoff.toLowerCase())) return false;
if (!{_js([e.casefold() for e in profile.required_elements])}.every(e => text.includes(e))) return false;
if ({_js([b.casefold() for b in profile.banned_phrases])}.some(b => text.includes(b))) return false;
const words = (output.match(/[\\p{{L}}\\p{{N}}]+(?:['’][\\p{{L}}\\p{{N}}]+)*/gu) || []).length;
if (words < {t.min_words} || words > {t.max_words}) return false;
const puns = {_js([p.casefold() for p in rules.puns])}.reduce((n, p) => n + text.split(p).length - 1, 0);
return puns <= {rules.max_puns};"""
    return {"type": "javascript", "metric": "voice", "value": body}


def _fact(fact_id: str, suite: EvalSuite) -> dict[str, Any]:
    fact = suite_fact(suite, fact_id)
    sheet = suite.facts.facts if suite.facts is not None else ()  # (never empty: suite_fact found the fact there)
    wrong = [_js_regex(p) for f in sheet for p in f.contradicts]
    value = (f"new RegExp({_js(_js_regex(fact.pattern))}, 'i').test(output) && "
             f"!{_js(wrong)}.some(p => new RegExp(p, 'i').test(output))")
    return {"type": "javascript", "metric": "fact", "value": value}


def _prompt(setup: ModelSetup) -> dict[str, Any]:
    system = (_js({"role": "system", "content": setup.system}) + ", ") if setup.system.strip() else ""
    return {"id": f"chat-{setup.label}", "label": setup.label, "raw": "[" + system + "{{ turns }}]"}


def promptfoo_config(suite: EvalSuite, setups: Sequence[ModelSetup], *, base_url: str,
                     voice: VoiceRules | None = None, api_key_env: str = "NBTOOLS_API_KEY", max_tokens: int = 120,
                     temperature: float = 0.0) -> dict[str, Any]:
    """The promptfoo config (a dict ready for YAML) that runs `suite` on `setups` at the backend `base_url`."""
    if not isinstance(suite, EvalSuite):
        raise InputError("expected an EvalSuite", field="suite", value=suite)
    setups = list(setups)
    if not setups:
        raise InputError("need at least one set-up", field="setups", value=setups)
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise InputError("must be the backend's http(s) base URL, e.g. http://127.0.0.1:8000/v1", field="base_url",
                         value=base_url)
    providers = [{"id": f"openai:chat:{s.model}", "label": s.label, "prompts": [f"chat-{s.label}"],
                  "config": {"apiBaseUrl": base_url.rstrip("/"), "apiKeyEnvar": api_key_env,
                             "temperature": temperature, "max_tokens": max_tokens, **dict(s.params)}}
                 for s in setups]
    common = [_stopped(), _no_placeholder(), _no_pii(), _no_loop(), _no_invented_name()]
    if voice is not None:
        common.append(_voice(voice))
    tests = []
    for case in suite.cases:
        turns = [dict(m) for m in case.context] + [{"role": "user", "content": case.question}]
        conversation = "\n".join(m["content"] for m in turns)
        tests.append({"description": case.id,
                      "vars": {"question": case.question, "turns": _js(turns)[1:-1], "conversation": conversation},
                      "assert": common + ([_fact(case.fact, suite)] if case.fact else [])})
    return {"description": f"nbtools eval suite '{suite.name}' ({len(suite.cases)} cases)",
            "prompts": [_prompt(s) for s in setups], "providers": providers, "tests": tests,
            "evaluateOptions": {"maxConcurrency": 1}}


def write_promptfoo_config(config: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write `config` (from :func:`promptfoo_config`) as YAML to `path` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    return path
