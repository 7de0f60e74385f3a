"""``nbtools jobs``: see the backend, launch a fine-tuning job (with the pre-flight), list, watch and cancel jobs.

    nbtools jobs backend                       # which backend, masked key
    nbtools jobs launch train.jsonl --valid valid.jsonl --model smollm2-135m-instruct --epochs 1 --watch
    nbtools jobs list --status succeeded
    nbtools jobs watch ftjob-…                 # resumes from the job's first event
    nbtools jobs cancel ftjob-…

``--backend`` is auto (default: local unless NBTOOLS_BACKEND or OPENAI_BASE_URL say otherwise), local, openai or
custom; keys come from the environment or a .env file and are never printed. Exit codes: 0 done, 1 the watched job
failed or was cancelled, 2 an error (pre-flight failed, bad settings, backend refused).
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def _number(text: str) -> int | float | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        return float(text)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("jobs", help="launch, list, watch and cancel fine-tuning jobs",
                            description="Fine-tuning jobs on the local server (default), OpenAI or any "
                                        "OpenAI-compatible backend, with a pre-flight check and a local run log.")
    parser.add_argument("--backend", default="auto", choices=["auto", "local", "openai", "custom"],
                        help="where jobs run (default: auto)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    actions.add_parser("backend", help="show the resolved backend (key masked)").set_defaults(func=_backend)

    launch = actions.add_parser("launch", help="pre-flight, upload (de-duplicated) and create a job")
    launch.add_argument("train", help="training JSONL file")
    launch.add_argument("--valid", help="validation JSONL file")
    launch.add_argument("--model", required=True,
                        help="base model (e.g. smollm2-135m-instruct, gpt-4.1-mini-2025-04-14)")
    launch.add_argument("--method", default="supervised", choices=["supervised", "dpo"])
    launch.add_argument("--epochs", type=_number, default="auto", help='n_epochs, or "auto"')
    launch.add_argument("--batch-size", type=_number, default="auto", help='batch_size, or "auto"')
    launch.add_argument("--lr-multiplier", type=_number, default="auto", help='learning_rate_multiplier, or "auto"')
    launch.add_argument("--beta", type=_number, default="auto", help='DPO beta, or "auto"')
    launch.add_argument("--suffix", help="suffix of the fine-tuned model's name (1-64 characters)")
    launch.add_argument("--seed", type=int, help="random seed")
    launch.add_argument("--label", default="cli", help="label kept in the run log (default: cli)")
    launch.add_argument("--max-usd", type=float, default=None, help="confirmation threshold in dollars")
    launch.add_argument("--yes", action="store_true", help="accept a cost over the threshold without asking")
    launch.add_argument("--watch", action="store_true", help="watch the job until it ends")
    launch.set_defaults(func=_launch)

    listing = actions.add_parser("list", help="jobs in the local run log, newest first")
    listing.add_argument("--status", help="only jobs with this status")
    listing.add_argument("--kind", help="only jobs of this backend kind (local, openai, custom)")
    listing.add_argument("--refresh", action="store_true", help="ask the backend about unfinished jobs first")
    listing.add_argument("--json", action="store_true", help="print JSON records")
    listing.set_defaults(func=_list)

    for name, func, text in (("watch", _watch, "watch a job until it ends (resumable)"),
                             ("cancel", _cancel, "cancel a job")):
        action = actions.add_parser(name, help=text)
        action.add_argument("job_id")
        action.set_defaults(func=func)


def _client(args: argparse.Namespace):
    from ..backend import connect

    return connect(args.backend)


def _backend(args: argparse.Namespace) -> int:
    from ..backend import client_backend

    for key, value in client_backend(_client(args)).describe().items():  # the local server starts if needed
        print(f"{key:13} {value}")
    return 0


def _ask(pending) -> bool:
    if not sys.stdin.isatty():
        return False
    for finding in pending.findings:
        if finding.check == "cost":
            print(f"cost: {finding.message}")
    return input("Launch anyway? [y/N] ").strip().lower() in ("y", "yes")


def _launch(args: argparse.Namespace) -> int:
    from ..jobs import JobSpec, launch_job, preflight

    spec = JobSpec(args.model, args.train, validation_file=args.valid, method=args.method, n_epochs=args.epochs,
                   batch_size=args.batch_size, learning_rate_multiplier=args.lr_multiplier, beta=args.beta,
                   suffix=args.suffix, seed=args.seed)
    options = {} if args.max_usd is None else {"max_usd": args.max_usd}
    check = preflight(spec, confirmed=args.yes, confirm=_ask, **options)
    for finding in check.findings:
        print(f"{finding.severity:8} {finding.check:16} {finding.message}")
    client = _client(args)
    record = launch_job(client, spec, preflight=check, label=args.label)
    print(f"launched {record.job_id} on the {record.backend} backend ({record.status})")
    return _watch_id(client, record.job_id) if args.watch else 0


def _watch_id(client, job_id: str) -> int:
    from ..jobs import watch_job

    result = watch_job(client, job_id, check=False)
    print(f"{job_id}: {result.progress.label()}")
    return 0 if result.succeeded else 1


def _watch(args: argparse.Namespace) -> int:
    return _watch_id(_client(args), args.job_id)


def _cancel(args: argparse.Namespace) -> int:
    from ..jobs import cancel_job

    job = cancel_job(_client(args), args.job_id)
    print(f"{args.job_id}: {job.get('status')}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from ..jobs import find_jobs

    client = _client(args) if args.refresh else None
    records = find_jobs(kind=args.kind, status=args.status, client=client)
    if args.json:
        print(json.dumps([r.as_dict() for r in records], indent=2, default=str))
        return 0
    for r in records:
        print(f"{r.job_id}  {r.backend:6}  {r.status:16}  {r.model}  {r.fine_tuned_model or ''}  {r.label or ''}")
    if not records:
        print("no jobs in the run log")
    return 0
