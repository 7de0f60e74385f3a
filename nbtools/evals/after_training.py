"""Eval after training: a finished job's final model and checkpoints, checked on its own validation questions.

The questions come from the job's validation file as the backend stores it (so nothing but the client and the job
id is needed); every intermediate checkpoint and the fine-tuned model answer with the short prompt, and
:func:`nbtools.best_setup` picks the best of them by eval score.

    result = eval_job(client, job_id, prompts=prompts, voice=rules, n=4)
    result.summary()
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..compare.cache import ResultCache
from ..compare.setups import BASE, INSTRUCTED, job_setups
from ..errors import BackendError, DataFormatError, InputError
from .checks import VoiceRules
from .runner import EvalResult, run_eval
from .suite import EvalSuite, validation_suite

__all__ = ["eval_job", "job_validation_suite"]


def job_validation_suite(client: Any, job: Any, *, n: int | None = None) -> EvalSuite:
    """The customer questions of the job's validation file (downloaded from the backend) as a suite."""
    import openai

    file_id = getattr(job, "validation_file", None)
    if not file_id:
        raise InputError("the job has no validation file: pass suite= instead", field="job.validation_file",
                         value=getattr(job, "id", job))
    try:
        text = client.files.content(file_id).text
    except openai.OpenAIError as exc:
        raise BackendError(f"could not download the validation file {file_id} from {client.base_url}: {exc}") from None
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError as exc:
                raise DataFormatError(f"not JSON ({exc})", file=file_id, line=number, value=line[:60]) from None
    return validation_suite(records, n=n, name=f"validation of {getattr(job, 'id', 'job')}")


def eval_job(client: Any, job_id: str, *, prompts: Any, suite: EvalSuite | None = None,
             voice: VoiceRules | None = None, n: int | None = 6, include_base: bool = False, max_tokens: int = 120,
             cache: ResultCache | str | os.PathLike[str] | bool | None = None) -> EvalResult:
    """Eval the job's fine-tuned model and each intermediate checkpoint (short prompt) on `suite`, by default the
    first `n` questions of the job's validation file. `include_base` adds the base model alone and with the long
    instructions. `prompts` is :func:`nbtools.read_system_prompts`' result."""
    job = client.fine_tuning.jobs.retrieve(job_id)
    if getattr(job, "status", None) != "succeeded":
        raise InputError("the job has not succeeded (yet)", field="job.status",
                         value=f"{job_id}: {getattr(job, 'status', None)}")
    setups = job_setups(client, job, prompts, checkpoints=100)
    if not include_base:
        setups = [s for s in setups if s.label not in (BASE, INSTRUCTED)]
    suite = suite if suite is not None else job_validation_suite(client, job, n=n)
    return run_eval(client, suite, setups, voice=voice, max_tokens=max_tokens, cache=cache)
