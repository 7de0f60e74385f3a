"""Model set-ups to compare: a label, a model id, a system prompt, and optionally their own client and parameters.

The standard set-ups answer "was fine-tuning worth it?": the base model alone, the base model with the long custom
instructions, the fine-tuned model with the short prompt, and intermediate checkpoints with the short prompt.

    >>> from nbtools.dataset import SystemPrompts
    >>> prompts = SystemPrompts(long="Be warm. Sign off.", short="You help.", sections={})
    >>> setups = standard_setups("smollm2-135m-instruct", prompts, fine_tuned="ft:smollm2-135m-instruct:local::Ab12",
    ...                          checkpoints=["ft:smollm2-135m-instruct:local::Cd34:ckpt-step-3"])
    >>> [s.label for s in setups]
    ['base', 'base + long instructions', 'fine-tuned + short prompt', 'checkpoint step 3 + short prompt']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ..errors import InputError

__all__ = [
    "ModelSetup",
    "standard_setups",
    "job_setups",
    "checkpoint_label",
    "BASE",
    "INSTRUCTED",
    "FINE_TUNED",
]

BASE = "base"
INSTRUCTED = "base + long instructions"
FINE_TUNED = "fine-tuned + short prompt"
_STEP = re.compile(r":ckpt-step-(\d+)$")
# request parameters a set-up may not override: they define what is being compared
_FIXED = ("model", "messages", "stream", "n")


@dataclass(frozen=True)
class ModelSetup:
    """One way of answering a prompt: `model` with `system` as the system prompt ("" for none).

    `client` (an ``openai.OpenAI``) sends this set-up's requests elsewhere than the comparison's default client, for
    example a hosted model next to local ones. `params` are extra chat-completion parameters for this set-up only
    (``{"temperature": 0.7}``, ``{"top_p": 0.9}``); they are part of the cache key.

    >>> ModelSetup("base", "smollm2-135m-instruct").messages("Where is my order?")
    [{'role': 'user', 'content': 'Where is my order?'}]
    >>> ModelSetup("x", "m", params={"stream": True})
    Traceback (most recent call last):
    ...
    nbtools.errors.InputError: field params.stream: a set-up cannot override this request parameter (got True)
    """

    label: str
    model: str
    system: str = ""
    client: Any = field(default=None, repr=False, compare=False)
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name in ("label", "model"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InputError("must be a non-empty string", field=name, value=value)
        if not isinstance(self.system, str):
            raise InputError("must be a string ('' for no system prompt)", field="system", value=self.system)
        if not isinstance(self.params, Mapping):
            raise InputError("must be a mapping of chat-completion parameters", field="params", value=self.params)
        for name in self.params:
            if name in _FIXED:
                raise InputError("a set-up cannot override this request parameter", field=f"params.{name}",
                                 value=self.params[name])

    def messages(self, prompt: str) -> list[dict[str, str]]:
        """The chat messages sent for `prompt`: the system prompt (when not blank), then the user's message."""
        system = [{"role": "system", "content": self.system}] if self.system.strip() else []
        return system + [{"role": "user", "content": prompt}]


def checkpoint_label(model: str) -> str:
    """The table label of a checkpoint model with the short prompt.

    >>> checkpoint_label("ft:smollm2-135m-instruct:local:brew:Ab12:ckpt-step-6")
    'checkpoint step 6 + short prompt'
    >>> checkpoint_label("my-checkpoint")
    'checkpoint my-checkpoint + short prompt'
    """
    match = _STEP.search(model)
    return f"checkpoint {'step ' + match.group(1) if match else model} + short prompt"


def standard_setups(base_model: str, prompts: Any, *, fine_tuned: str | None = None,
                    checkpoints: Sequence[str] = ()) -> list[ModelSetup]:
    """Base; base + long custom instructions; fine-tuned + short prompt (when given); each checkpoint + short prompt.

    `prompts` has ``.long`` and ``.short`` (a :class:`nbtools.SystemPrompts` from ``read_system_prompts``).
    """
    for name in ("long", "short"):
        if not isinstance(getattr(prompts, name, None), str):
            raise InputError("needs the long and short system prompts (nbtools.read_system_prompts(...))",
                             field=f"prompts.{name}", value=getattr(prompts, name, None))
    setups = [ModelSetup(BASE, base_model), ModelSetup(INSTRUCTED, base_model, prompts.long)]
    if fine_tuned:
        setups.append(ModelSetup(FINE_TUNED, fine_tuned, prompts.short))
    setups += [ModelSetup(checkpoint_label(model), model, prompts.short) for model in checkpoints]
    labels = [s.label for s in setups]
    if len(set(labels)) != len(labels):
        raise InputError("checkpoints must be different models", field="checkpoints", value=list(checkpoints))
    return setups


def _job_fields(job: Any) -> tuple[str, str, str | None]:
    """(job id, base model, fine-tuned model) of a run-log JobRecord or an SDK fine-tuning job."""
    job_id = getattr(job, "job_id", None) or getattr(job, "id", None)
    model, tuned = getattr(job, "model", None), getattr(job, "fine_tuned_model", None)
    if not job_id or not model:
        raise InputError("expected a fine-tuning job (nbtools.latest_job(...) or client.fine_tuning.jobs.retrieve)",
                         field="job", value=job)
    return job_id, model, tuned


def job_setups(client: Any, job: Any, prompts: Any, *, checkpoints: int = 1) -> list[ModelSetup]:
    """The standard set-ups of a finished fine-tuning job: its base model, its fine-tuned model and up to
    `checkpoints` of its intermediate checkpoints (the earliest first, as they differ most from the final model).

    `job` is a run-log record (``nbtools.latest_job(status="succeeded")``) or an SDK job object.
    """
    from ..jobs.events import list_checkpoints

    job_id, base, tuned = _job_fields(job)
    if not tuned:
        raise InputError("the job has no fine-tuned model yet (wait until it succeeded)", field="job.fine_tuned_model",
                         value=f"{job_id} ({getattr(job, 'status', 'unknown status')})")
    if not isinstance(checkpoints, int) or checkpoints < 0:
        raise InputError("must be a whole number of checkpoints (0 for none)", field="checkpoints", value=checkpoints)
    found = list_checkpoints(client, job_id) if checkpoints else None
    intermediate = [] if found is None else [m for m in found["model"] if m != tuned][:checkpoints]
    return standard_setups(base, prompts, fine_tuned=tuned, checkpoints=intermediate)
