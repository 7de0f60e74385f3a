"""Training speed of the local engine on the tutorial-size sample fine-tune: wall time and trained tokens per second.

Builds the brand-voice training file from ``data/samples/support_tickets.csv`` (in-voice replies only: they start
with "Hey there" and end with the sign-off, no HTML or mojibake, one per distinct question; the first `--examples`
by ticket id), or takes ``--train FILE``, then runs the engine's real ``train()`` (LoRA, TRL SFTTrainer) exactly as
the server's worker does, and then, in the same run, a plain PEFT + transformers training loop on the same
examples (same tokens and labels, same LoRA, optimizer, learning rate, batch size and epochs; a seeded random
shuffle, batches padded to their longest example, float32), and prints both rates and their ratio.

    python benchmarks/train_throughput.py [--examples 80] [--epochs 3] [--batch-size 4] [--max-length 256]
                                          [--rank 16] [--threads N] [--keep DIR] [--no-group] [--precision P]
                                          [--attention A] [--float32-frozen] [--skip-plain] [--processes N]

``--processes N`` trains the engine's part on N processes at once, as the local server does when a job's batch splits
over the cores (:mod:`nbtools.server.data_parallel`: PyTorch DDP over gloo, one thread each on 2 cores); their
start-up (spawn, imports, model load) then counts in the wall time, and the per-step time is the wall time after the
first step divided by the remaining steps, as for one process. Only the engine's default settings are available there.

Trained tokens are the engine's definition: every non-padding token processed, summed over epochs. Tokens per
second divide them by the training time (model loading excluded, reported apart). The CPU is shared with whatever
else runs: the load average is printed with the figures, and so are trained tokens per CPU second of each phase (the
process's CPU time over the same steps), which other work on the machine disturbs much less than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from tqdm.auto import tqdm

import nbtools.server.engine  # noqa: F401  (sets OMP_WAIT_POLICY before torch loads)
from nbtools.server.engine import Hyperparameters, TrainOptions, TrainSpec, train
from nbtools.server.engine.hyperparameters import learning_rate

ROOT = Path(__file__).resolve().parents[1]
TICKETS = ROOT / "data" / "samples" / "support_tickets.csv"
SYSTEM = "You are Brewtiful Coffee's support assistant."
SIGN_OFF = "Stay grounded! ☕"


def voice_examples(csv: Path, limit: int) -> list[dict]:
    """Chat examples from the in-voice tickets of the sample export (a simple stand-in for the tutorial pipeline)."""
    import pandas as pd

    tickets = pd.read_csv(csv, dtype=str).fillna("").sort_values("ticket_id")
    seen, out = set(), []
    for row in tickets.itertuples():
        question, answer = row.question.strip(), row.agent_reply.strip()
        clean = answer.startswith("Hey there") and answer.endswith(SIGN_OFF) and not any(
            mark in answer + question for mark in ("<", "&amp;", "Ã", "â€", "Best regards", "Sent from"))
        if clean and question.lower() not in seen:
            seen.add(question.lower())
            out.append({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question},
                                     {"role": "assistant", "content": answer}]})
    return out[:limit]


class ProgressHooks:
    """TrainHooks with a tqdm bar; remembers the first and last loss, and when (wall and CPU) steps ended."""

    def __init__(self) -> None:
        self.bar, self.losses, self.first_step_at = None, [], None
        self.first_step_cpu: float | None = None
        self.last_step_cpu: float | None = None

    def on_log(self, message: str, level: str = "info") -> None:
        tqdm.write(f"[{level}] {message}")

    def on_step(self, metrics, trained_tokens: int) -> None:
        if self.first_step_at is None:
            self.first_step_at = time.perf_counter()
            self.first_step_cpu = time.process_time()
        self.last_step_cpu = time.process_time()
        if self.bar is None:
            self.bar = tqdm(total=metrics.total_steps, unit="step")
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{metrics.train_loss:.3f}", tokens=trained_tokens)
        self.losses.append(metrics.train_loss)

    def on_checkpoint(self, checkpoint) -> None:
        tqdm.write(f"checkpoint: epoch {checkpoint.epoch}, step {checkpoint.step}")

    def control(self) -> str:
        return "continue"


def plain_loop(train_file: Path, *, epochs: int, batch_size: int, max_length: int, rank: int,
               seed: int = 0) -> tuple[int, float, int, float]:
    """(trained tokens, seconds for the steps after the first, steps, CPU seconds for the steps after the first) of a
    plain PEFT + transformers loop."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import get_linear_schedule_with_warmup

    from nbtools.server.engine.data import tokenize_sft_file
    from nbtools.server.engine.models import choose_placement, load_model, load_tokenizer_for

    tokenizer = load_tokenizer_for("smollm2-135m-instruct")
    examples = tokenize_sft_file(train_file, tokenizer, max_length=max_length).examples
    torch.manual_seed(seed)
    model = get_peft_model(load_model("smollm2-135m-instruct", choose_placement("cpu")),
                           LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear", task_type="CAUSAL_LM"))
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=learning_rate("supervised", 1.0), weight_decay=0.0)
    steps = epochs * -(-len(examples) // batch_size)
    schedule = get_linear_schedule_with_warmup(optimizer, 0, steps)
    generator = torch.Generator().manual_seed(seed)
    tokens, seconds, step, cpu = 0, 0.0, 0, 0.0
    for _ in range(epochs):
        order = torch.randperm(len(examples), generator=generator).tolist()
        for start in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[start:start + batch_size]]
            width = max(len(e.input_ids) for e in batch)
            ids = torch.tensor([e.input_ids + [tokenizer.pad_token_id] * (width - len(e.input_ids)) for e in batch])
            labels = torch.tensor([e.labels + [-100] * (width - len(e.labels)) for e in batch])
            mask = torch.tensor([[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in batch])
            began, began_cpu = time.perf_counter(), time.process_time()
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            if step > 0:  # like the engine's figure: the first step pays for warm-up
                seconds += time.perf_counter() - began
                cpu += time.process_time() - began_cpu
            step += 1
            tokens += int(mask.sum())
    return tokens, seconds, step, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, help="a chat JSONL file (default: built from the sample tickets)")
    parser.add_argument("--examples", type=int, default=80)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--keep", type=Path, help="keep the run's output (adapters) in this directory")
    parser.add_argument("--no-group", action="store_true", help="the engine without length-grouped batches")
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--attention", default="auto", choices=["auto", "eager", "sdpa"],
                        help="the engine's attention implementation (auto: eager on the CPU)")
    parser.add_argument("--float32-frozen", action="store_true",
                        help="the engine without frozen base weights held in bfloat16 under bf16 autocast")
    parser.add_argument("--skip-plain", action="store_true", help="no plain-loop comparison")
    parser.add_argument("--processes", type=int, default=1,
                        help="engine training processes (data parallel, as the local server's automatic setting)")
    args = parser.parse_args(argv)
    if args.processes > 1 and (args.rank != 16 or args.no_group or args.precision != "auto"
                               or args.attention != "auto" or args.float32_frozen):
        parser.error("--processes > 1 runs the engine's default settings: drop --rank, --no-group, --precision, "
                     "--attention and --float32-frozen")

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "run"
        train_file = args.train
        if train_file is None:
            train_file = Path(tmp) / "train.jsonl"
            rows = voice_examples(TICKETS, args.examples)
            train_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        n_examples = sum(1 for line in train_file.read_text(encoding="utf-8").splitlines() if line.strip())
        spec = TrainSpec(job_id="bench", method="supervised", base_model="smollm2-135m-instruct",
                         training_file=train_file, validation_file=None,
                         hyperparameters=Hyperparameters(args.epochs, args.batch_size, 1.0), seed=0, output_dir=out)
        options = TrainOptions(max_length=args.max_length, lora_rank=args.rank, lora_alpha=2 * args.rank,
                               num_threads=args.threads, group_by_length=not args.no_group,
                               precision=args.precision, attention=args.attention,
                               bf16_frozen_weights=not args.float32_frozen)
        hooks = ProgressHooks()
        load_avg = os.getloadavg()[0]
        start = time.perf_counter()
        if args.processes > 1:
            from nbtools.server.data_parallel import train_data_parallel

            per_process = max(1, (args.threads or os.cpu_count() or 1) // args.processes)
            result = train_data_parallel(spec, hooks, processes=args.processes, threads_per_process=per_process,
                                         max_length=args.max_length)
        else:
            result = train(spec, hooks, options=options)
        wall = time.perf_counter() - start
        if hooks.bar is not None:
            hooks.bar.close()
        plain = None if args.skip_plain else plain_loop(train_file, epochs=args.epochs, batch_size=args.batch_size,
                                                        max_length=args.max_length, rank=args.rank)
    steps = result.steps_done
    # the first step also pays for start-up (tokenizing, building the trainer): time the steps after it
    step_time = (wall - (hooks.first_step_at - start)) / max(1, steps - 1) if steps > 1 else wall
    train_time = step_time * steps
    print(f"recipe: {n_examples} examples, {args.epochs} epochs, batch size {args.batch_size}, "
          f"max length {args.max_length}, LoRA rank {args.rank} (all linear projections), "
          f"learning rate {learning_rate('supervised', 1.0):g}")
    print(f"cores={os.cpu_count()} load average at start={load_avg:.2f} (CPU shared with other work)")
    print(f"wall time (load + train + save): {wall:.1f} s; {steps} steps, {step_time:.2f} s per step; "
          f"{args.processes} training process(es); first step after {hooks.first_step_at - start:.1f} s")
    engine_rate = result.trained_tokens / train_time
    print(f"engine ({args.processes} process(es), group_by_length={not args.no_group}, precision={args.precision}, attention={args.attention}, "
          f"bf16 frozen weights={not args.float32_frozen}): trained tokens "
          f"{result.trained_tokens:,}; {engine_rate:.0f} trained tokens/s")
    # CPU time (all of the process's threads) per step: the comparison that holds when other work shares the CPU
    engine_cpu_rate = None
    if args.processes == 1 and steps > 1 and hooks.first_step_cpu is not None and hooks.last_step_cpu is not None:
        engine_cpu_step = (hooks.last_step_cpu - hooks.first_step_cpu) / (steps - 1)
        engine_cpu_rate = result.trained_tokens / (engine_cpu_step * steps)
        print(f"engine CPU time: {engine_cpu_step:.2f} CPU s per step; {engine_cpu_rate:.0f} trained tokens per CPU s")
    print(f"train loss: first step {hooks.losses[0]:.3f} -> last step {hooks.losses[-1]:.3f}")
    if plain is not None:
        tokens, seconds, plain_steps, cpu = plain
        plain_rate = tokens / (seconds * plain_steps / max(1, plain_steps - 1))
        print(f"plain PEFT + transformers loop: trained tokens {tokens:,}; {plain_rate:.0f} trained tokens/s; "
              f"engine / plain = {engine_rate / plain_rate:.2f}x")
        if engine_cpu_rate is not None and cpu > 0:
            plain_cpu_rate = tokens / (cpu * plain_steps / max(1, plain_steps - 1))
            print(f"plain loop CPU time: {plain_cpu_rate:.0f} trained tokens per CPU s; "
                  f"engine / plain per CPU s = {engine_cpu_rate / plain_cpu_rate:.2f}x")
    print(f"load average at the end={os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
