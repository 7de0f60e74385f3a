"""A training file as a Windows editor saves it (UTF-8 with BOM, CRLF line ends) trains to success on the real server.

Once, such a file uploaded, passed the server's validation, and failed in training ("Unexpected UTF-8 BOM"): the
upload check, the validator and the engine each read JSONL their own way. They now share :mod:`nbtools.jsonl`.
Real ``openai`` SDK, real server process, real SmolLM2-135M training (10 examples, 1 epoch of 3 steps).
"""

from __future__ import annotations

import openai
import pytest

from server_support import chat_lines, client_for, shared_server, wait_for_status

pytestmark = pytest.mark.slow

BOM = b"\xef\xbb\xbf"


def windows_file(n: int) -> bytes:
    """`n` chat examples saved by a Windows editor: BOM, CRLF, a blank line after the first example."""
    lines = chat_lines(n).splitlines()
    return BOM + ("\r\n".join(lines[:1] + [""] + lines[1:]) + "\r\n").encode("utf-8")


@pytest.fixture(scope="module")
def client():
    return client_for(shared_server(), max_retries=0, timeout=300)


def test_a_bom_crlf_training_file_uploads_validates_and_trains_to_success(client):
    content = windows_file(10)
    assert content.startswith(BOM) and b"\r\n\r\n" in content
    train = client.files.create(file=("windows.jsonl", content), purpose="fine-tune")
    valid = client.files.create(file=("windows_valid.jsonl", windows_file(2)), purpose="fine-tune")
    assert client.files.content(train.id).read() == content  # stored as uploaded, not rewritten
    job = client.fine_tuning.jobs.create(
        model="smollm2-135m-instruct", training_file=train.id, validation_file=valid.id, suffix="bom",
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1, "batch_size": 4}}})
    done = wait_for_status(client, job.id, ("succeeded", "failed", "cancelled"))
    assert done.status == "succeeded", done.error
    assert done.fine_tuned_model and done.trained_tokens > 0
    events = [e for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert [e.data["step"] for e in events[::-1] if e.type == "metrics"] == [1, 2, 3]  # 10 examples, batches of 4
    assert any(e.message == "Files validated, moving job to queued state" for e in events)


def test_a_bom_file_whose_first_line_is_broken_is_refused_at_upload_naming_the_line(client):
    content = BOM + b'{"messages": [{"role": "user", "content": "Hi"}\r\n' + chat_lines(10).encode()
    with pytest.raises(openai.BadRequestError, match="Line 1 is not valid JSON") as caught:
        client.files.create(file=("broken.jsonl", content), purpose="fine-tune")
    assert caught.value.status_code == 400 and caught.value.param == "file"
