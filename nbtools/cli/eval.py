"""``nbtools eval``: run an eval suite against model set-ups on any OpenAI-compatible backend; print pass rates.

    nbtools eval --facts data/samples/facts.yaml --per-fact 1 \\
        --instructions data/samples/custom_instructions.md --style-guide data/samples/brand_style_guide.md
    nbtools eval suite.yaml --fine-tuned ft:smollm2-135m-instruct:local:brew:Ab12 --json
    nbtools eval --valid build/workflow/valid.jsonl -n 6 --job ftjob-abc123 --instructions ...
    nbtools eval suite.yaml --promptfoo build/promptfoo/promptfooconfig.yaml   # write promptfoo's config, ask nothing

Cases come from suite files (YAML or JSON Lines), ``--facts`` (the facts sheet's held-out questions) and ``--valid``
(a validation split's questions). Set-ups: the base model alone; with ``--instructions``, also the base model with
the long instructions, and the fine-tuned model (``--fine-tuned``) or a job's model and checkpoints (``--job``) with
the short prompt. ``--style-guide`` (with ``--instructions``) adds the voice check. Answers are cached with the
comparison runs. Exit 0 when every answer was checked, 2 on an error (bad suite file, unreachable backend).
"""

from __future__ import annotations

import argparse
import json
import math

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("eval", help="check model answers (placeholders, loops, voice, facts) per set-up",
                            description="Run an eval suite against model set-ups and print the pass rate of each "
                                        "check per set-up.")
    parser.add_argument("suites", nargs="*", metavar="SUITE", help="suite files (.yaml, .yml or .jsonl)")
    parser.add_argument("--facts", help="facts sheet: its eval questions become cases (and suite files' facts)")
    parser.add_argument("--per-fact", type=int, default=None,
                        help="with --facts: at most N questions per fact (0: only check the suite files' facts)")
    parser.add_argument("--valid", help="validation split (chat JSONL): its customer questions become cases")
    parser.add_argument("-n", type=int, default=None, help="evaluate only the first N cases")
    parser.add_argument("--base-model", default="smollm2-135m-instruct", help="the base model (default %(default)s)")
    parser.add_argument("--instructions", help="custom-instructions file (long and short system prompts)")
    parser.add_argument("--style-guide", help="brand style guide: adds the voice check (needs --instructions)")
    parser.add_argument("--fine-tuned", help="a fine-tuned model to evaluate with the short prompt")
    parser.add_argument("--job", help="a finished job: its fine-tuned model and checkpoints (needs --instructions)")
    parser.add_argument("--backend", default="auto", choices=["auto", "local", "openai", "custom"],
                        help="where requests go (default auto: local unless NBTOOLS_BACKEND/OPENAI_BASE_URL say so)")
    parser.add_argument("--max-tokens", type=int, default=120, help="answer length limit (default %(default)s)")
    parser.add_argument("--no-cache", action="store_true", help="ask again, do not use or fill the answer cache")
    parser.add_argument("--promptfoo", metavar="OUT", help="write the suite as promptfoo's YAML config and stop")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(func=run)


def _suite(args):
    from ..errors import InputError
    from ..dataset.facts import read_facts_sheet
    from ..evals import facts_suite, read_suite, validation_suite

    sheet = read_facts_sheet(args.facts) if args.facts else None
    parts = [read_suite(path, facts=sheet) for path in args.suites]
    if sheet is not None and args.per_fact != 0:
        parts.append(facts_suite(sheet, per_fact=args.per_fact))
    if args.valid:
        parts.append(validation_suite(args.valid))
    if not parts:
        raise InputError("give a suite file, --facts or --valid", field="SUITE", value=[])
    suite = parts[0]
    for part in parts[1:]:
        suite = suite + part
    return suite.head(args.n) if args.n else suite


def _setups(args, client):
    from ..compare import BASE, ModelSetup, job_setups, standard_setups
    from ..dataset import read_system_prompts
    from ..errors import InputError

    if not args.instructions:
        if args.job or args.fine_tuned or args.style_guide:
            raise InputError("needs --instructions (the short prompt goes with fine-tuned models)",
                             field="--instructions", value=None)
        return [ModelSetup(BASE, args.base_model)], None
    prompts = read_system_prompts(args.instructions)
    if args.job:
        setups = job_setups(client, client.fine_tuning.jobs.retrieve(args.job), prompts, checkpoints=100)
    else:
        setups = standard_setups(args.base_model, prompts, fine_tuned=args.fine_tuned)
    return setups, prompts


def _rules(args):
    from ..errors import InputError
    from ..evals import voice_rules_from_files

    if args.style_guide and not args.instructions:
        raise InputError("the voice check needs --instructions too", field="--instructions", value=None)
    return voice_rules_from_files(args.style_guide, args.instructions) if args.style_guide else None


def _number(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def run(args: argparse.Namespace) -> int:
    """Handler of ``nbtools eval``."""
    from ..backend import connect, resolve_backend
    from ..evals import promptfoo_config, run_eval, write_promptfoo_config

    suite = _suite(args)  # bad input is reported before any backend is contacted
    rules = _rules(args)
    if args.promptfoo:
        backend = resolve_backend(args.backend)
        client = connect(backend)
        setups, _ = _setups(args, client)
        path = write_promptfoo_config(promptfoo_config(suite, setups, base_url=str(client.base_url), voice=rules,
                                                       max_tokens=args.max_tokens), args.promptfoo)
        message = {"promptfoo_config": str(path), "cases": len(suite.cases), "setups": [s.label for s in setups],
                   "api_key_env": "NBTOOLS_API_KEY"}
        print(json.dumps(message) if args.json else f"wrote {path}: {len(suite.cases)} cases x {len(setups)} "
              "set-ups; run it with the backend's key in NBTOOLS_API_KEY: promptfoo eval -c " + str(path))
        return 0
    client = connect(args.backend)
    setups, _ = _setups(args, client)
    result = run_eval(client, suite, setups, voice=rules, max_tokens=args.max_tokens,
                      cache=False if args.no_cache else None)
    summary = result.summary()
    if args.json:
        rows = [{k: _number(v) for k, v in row.items()} for row in summary.to_dict("records")]
        failures = result.failures()[["case_id", "setup", "check", "reason"]].to_dict("records")
        print(json.dumps({"suite": suite.name, "cases": len(suite.cases), "summary": rows, "failures": failures},
                         ensure_ascii=False))
    else:
        print(f"eval '{suite.name}': {len(suite.cases)} cases x {len(setups)} set-ups, pass rate per check (%)")
        print(summary.round(1).to_string(index=False))
    return 0

