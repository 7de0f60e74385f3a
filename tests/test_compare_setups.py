"""Model set-ups: the standard set (base, base + long instructions, fine-tuned + short prompt, checkpoints), built
from the sample custom instructions and from a finished job's checkpoints as the fine-tuning API lists them."""

from __future__ import annotations

import httpx2
import pytest

from nbtools import read_system_prompts
from nbtools.backend import connect
from nbtools.compare import BASE, FINE_TUNED, INSTRUCTED, ModelSetup, checkpoint_label, job_setups, standard_setups
from nbtools.errors import InputError
from nbtools.jobs import JobRecord

SAMPLES = "data/samples/custom_instructions.md"
BASE_MODEL = "smollm2-135m-instruct"
TUNED = "ft:smollm2-135m-instruct:local:brew:Ab12Cd34"
CKPT = "ft:smollm2-135m-instruct:local:brew:Ef56Gh78:ckpt-step-3"


@pytest.fixture(scope="module")
def prompts(request):
    return read_system_prompts(request.config.rootpath / SAMPLES)


@pytest.mark.parametrize(("fine_tuned", "checkpoints", "expected"), [
    (None, (), [(BASE, BASE_MODEL, ""), (INSTRUCTED, BASE_MODEL, "long")]),
    (TUNED, (), [(BASE, BASE_MODEL, ""), (INSTRUCTED, BASE_MODEL, "long"), (FINE_TUNED, TUNED, "short")]),
    (TUNED, (CKPT,), [(BASE, BASE_MODEL, ""), (INSTRUCTED, BASE_MODEL, "long"), (FINE_TUNED, TUNED, "short"),
                      ("checkpoint step 3 + short prompt", CKPT, "short")]),
])
def test_standard_setups(prompts, fine_tuned, checkpoints, expected):
    setups = standard_setups(BASE_MODEL, prompts, fine_tuned=fine_tuned, checkpoints=checkpoints)
    system = {"": "", "long": prompts.long, "short": prompts.short}
    assert [(s.label, s.model, s.system) for s in setups] == [(l, m, system[p]) for l, m, p in expected]


def test_the_sample_prompts_make_the_long_setup_far_longer(prompts):
    base, instructed = standard_setups(BASE_MODEL, prompts)
    assert base.messages("Hi?") == [{"role": "user", "content": "Hi?"}]
    assert instructed.messages("Hi?")[0] == {"role": "system", "content": prompts.long}
    assert len(prompts.long) > 10 * len(prompts.short)


@pytest.mark.parametrize(("model", "label"), [
    (CKPT, "checkpoint step 3 + short prompt"),
    ("ft:gpt-4o-mini-2024-07-18:acme::Ab12:ckpt-step-120", "checkpoint step 120 + short prompt"),
    ("plain-model", "checkpoint plain-model + short prompt"),
])
def test_checkpoint_labels(model, label):
    assert checkpoint_label(model) == label


def test_the_same_checkpoint_twice_is_refused(prompts):
    with pytest.raises(InputError, match="checkpoints must be different"):
        standard_setups(BASE_MODEL, prompts, checkpoints=[CKPT, CKPT])


def test_prompts_without_long_and_short_are_refused():
    with pytest.raises(InputError) as caught:
        standard_setups(BASE_MODEL, {"long": "x", "short": "y"})
    assert caught.value.field == "prompts.long"


def test_setups_are_values():
    assert ModelSetup("a", "m", "s") == ModelSetup("a", "m", "s", client=object())
    assert hash(ModelSetup("a", "m")) == hash(ModelSetup("a", "m", params={"top_p": 1}))


# -- from a job: its checkpoints come from the fine-tuning API -----------------------------------------------------------

def _checkpoint(step: int, name: str) -> dict:
    return {"id": f"ftckpt_{step}", "object": "fine_tuning.job.checkpoint", "created_at": 1795000000 + step,
            "fine_tuning_job_id": "ftjob-1", "step_number": step, "fine_tuned_model_checkpoint": name,
            "metrics": {"step": step, "train_loss": 1.0 / step}}


@pytest.fixture
def api():
    seen = []
    listed = [_checkpoint(9, TUNED), _checkpoint(6, CKPT.replace("3", "6")), _checkpoint(3, CKPT)]

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        assert request.url.path == "/v1/fine_tuning/jobs/ftjob-1/checkpoints"
        return httpx2.Response(200, json={"object": "list", "data": listed, "has_more": False,
                                          "first_id": listed[0]["id"], "last_id": listed[-1]["id"]})

    client = connect("openai", env_file=None, environ={"OPENAI_API_KEY": "sk-proj-" + "FAKEsetupsKEY" + "0" * 16},
                     http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))
    return client, seen


RECORD = JobRecord(job_id="ftjob-1", backend="openai", base_url="https://api.openai.com/v1", model=BASE_MODEL,
                   training_file="file-1", status="succeeded", fine_tuned_model=TUNED)


@pytest.mark.parametrize(("checkpoints", "expected"), [
    (0, []),
    (1, [CKPT]),                               # the earliest: it differs most from the final model
    (5, [CKPT, CKPT.replace("3", "6")]),       # never the final one, which is the fine-tuned model itself
])
def test_job_setups_take_the_earliest_intermediate_checkpoints(api, prompts, checkpoints, expected):
    client, seen = api
    setups = job_setups(client, RECORD, prompts, checkpoints=checkpoints)
    assert [s.model for s in setups] == [BASE_MODEL, BASE_MODEL, TUNED, *expected]
    assert len(seen) == (1 if checkpoints else 0)


@pytest.mark.parametrize(("job", "field"), [
    (JobRecord(job_id="ftjob-2", backend="local", base_url="", model=BASE_MODEL, training_file="f",
               status="running"), "job.fine_tuned_model"),
    ("ftjob-1", "job"),
])
def test_job_setups_need_a_finished_job(api, prompts, job, field):
    with pytest.raises(InputError) as caught:
        job_setups(api[0], job, prompts)
    assert caught.value.field == field
