"""The fine-tuned model measurably learned the brand voice (real model, real sample data, default recipe).

Data: the in-voice replies of ``data/samples/support_tickets.csv`` (they start with "Hey there" and end with the
sign-off line "Stay grounded! ☕"; rows with HTML, mojibake or e-mail signatures are left out, one per distinct
question), in ticket-id order. Every 6th is held out; the model trains on 32 of the others for 2 epochs (16 steps)
with the engine's automatic learning rate, exactly as a local job with ``n_epochs=2`` would.

Metrics, each on held-out questions the model never saw, base model vs base + the trained adapter:

1. Held-out loss: mean cross-entropy per token of the real agents' replies (assistant tokens only, end-of-turn
   token included), given the system prompt and the question. Lower means the model finds the brand's actual
   answers more likely.
2. Style of what the model writes: greedy replies (up to 96 tokens) to 8 held-out questions, scored by the share
   that open with the brand greeting "Hey there" and the share that carry the sign-off "Stay grounded". These are
   the two voice rules every in-voice reply follows and that a generic assistant never does by chance.

Replies are generated in one left-padded batch with ``model.generate`` (decoding is memory-bound on this CPU, so a
batch of 8 costs about what one reply does); ChatEngine's own generation is tested in test_engine_generate.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine_support import RecordingHooks, write_jsonl
from nbtools.server.engine import Hyperparameters, TrainOptions, TrainSpec, train

pytestmark = pytest.mark.slow

BASE = "smollm2-135m-instruct"
TICKETS = Path(__file__).resolve().parents[1] / "data" / "samples" / "support_tickets.csv"
SYSTEM = "You are Brewtiful Coffee's support assistant."
SIGN_OFF = "Stay grounded! ☕"
N_TRAIN, N_LOSS, N_STYLE = 32, 16, 8


def voice_examples(csv: Path) -> list[dict]:
    """Chat examples from the clean in-voice tickets, one per distinct question, in ticket-id order."""
    import pandas as pd

    tickets = pd.read_csv(csv, dtype=str).fillna("").sort_values("ticket_id")
    seen, out = set(), []
    for row in tickets.itertuples():
        question, answer = row.question.strip(), row.agent_reply.strip()
        clean = answer.startswith("Hey there") and answer.endswith(SIGN_OFF) and len(answer) < 600 and not any(
            mark in answer + question for mark in ("<", "&amp;", "Ã", "â€", "Best regards", "Sent from"))
        if clean and question.lower() not in seen:
            seen.add(question.lower())
            out.append({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question},
                                     {"role": "assistant", "content": answer}]})
    return out


def held_out_loss(model, tokenizer, examples) -> float:
    """Mean cross-entropy per labelled token of the assistant replies."""
    import torch

    from nbtools.server.engine.data import IGNORE_INDEX, tokenize_chat

    total, count = 0.0, 0
    for example in examples:
        tokens = tokenize_chat(tokenizer, example["messages"], max_length=512)
        ids, labels = torch.tensor([tokens.input_ids]), torch.tensor([tokens.labels])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, :-1]
        target = labels[0, 1:]
        mask = target != IGNORE_INDEX
        total += torch.nn.functional.cross_entropy(logits[mask], target[mask], reduction="sum").item()
        count += int(mask.sum())
    return total / count


def greedy_replies(model, tokenizer, examples) -> list[str]:
    import torch

    tokenizer.padding_side = "left"
    prompts = [tokenizer.apply_chat_template(e["messages"][:2], add_generation_prompt=True, tokenize=False)
               for e in examples]
    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(**batch, do_sample=False, max_new_tokens=96, pad_token_id=tokenizer.pad_token_id)
    return tokenizer.batch_decode(out[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)


def style(replies: list[str]) -> tuple[float, float]:
    """(share opening with the greeting, share carrying the sign-off)."""
    n = len(replies)
    return (sum(r.strip().startswith("Hey there") for r in replies) / n,
            sum("Stay grounded" in r for r in replies) / n)


@pytest.mark.skipif(not TICKETS.is_file(), reason="data/samples/support_tickets.csv is not there")
def test_fine_tuned_model_is_closer_to_the_brand_voice(tmp_path):
    from peft import PeftModel

    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    examples = voice_examples(TICKETS)
    held_out = examples[::6]
    training = [e for i, e in enumerate(examples) if i % 6][:N_TRAIN]
    assert len(held_out) >= N_LOSS and len(training) == N_TRAIN
    train_file = write_jsonl(tmp_path / "train.jsonl", training)
    spec = TrainSpec(job_id="voice", method="supervised", base_model=BASE, training_file=train_file,
                     validation_file=None, hyperparameters=Hyperparameters(2, 4, 1.0), seed=0,
                     output_dir=tmp_path / "out")
    result = train(spec, RecordingHooks(), options=TrainOptions(max_length=256))
    assert result.status == "succeeded"

    tokenizer = load_tokenizer_for(BASE)
    base = load_model(BASE, choose_placement("cpu")).eval()
    base_loss = held_out_loss(base, tokenizer, held_out[:N_LOSS])
    base_style = style(greedy_replies(base, tokenizer, held_out[:N_STYLE]))
    tuned = PeftModel.from_pretrained(base, str(result.final_adapter)).eval()
    tuned_loss = held_out_loss(tuned, tokenizer, held_out[:N_LOSS])
    tuned_replies = greedy_replies(tuned, tokenizer, held_out[:N_STYLE])
    tuned_style = style(tuned_replies)

    print(f"held-out loss {base_loss:.3f} -> {tuned_loss:.3f}; greeting share {base_style[0]:.2f} -> "
          f"{tuned_style[0]:.2f}; sign-off share {base_style[1]:.2f} -> {tuned_style[1]:.2f}")
    assert tuned_loss < base_loss - 0.3  # a clear drop, in nats per token
    assert tuned_style[0] >= base_style[0] + 0.5, tuned_replies
    assert tuned_style[1] >= base_style[1] + 0.5, tuned_replies
