"""Write the Brewtiful Coffee Co. sample corpus in data/samples/ (deterministic: same seed, same bytes).

The hand-written material (questions, in-voice answers, chats, FAQ, QA drafts, order look-ups, people, the dirt to
add) lives in the YAML files of scripts/samples/; this script and its helpers (sample_source.py reads and checks them,
sample_build.py and sample_text.py) add the people, dates and documented dirt with one seeded random generator. To make your own sample set, copy
scripts/samples/, edit the YAML and point --source at it. The Markdown files in data/samples/ are written by hand.

    python scripts/make_samples.py                            # rewrite data/samples/
    python scripts/make_samples.py --out /tmp/x               # write elsewhere (tests compare byte for byte)
    python scripts/make_samples.py --source my_brand --out my_samples
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the helper modules beside this script

from sample_build import build_chats, build_lookups, build_reviews, build_tickets  # noqa: E402
from sample_source import Source, load_source  # noqa: E402

SOURCE = HERE / "samples"
TICKET_COLUMNS = ["ticket_id", "created_at", "channel", "customer_name", "customer_email", "subject", "question",
                  "agent_name", "agent_reply"]
REVIEW_COLUMNS = ["ticket_id", "question", "draft_reply", "approved_reply"]
LOOKUP_COLUMNS = ["question", "tool_name", "tool_arguments", "tool_result", "final_answer"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """RFC 4180 CSV, UTF-8, \\n line ends, every field quoted only when needed."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def faq_text(src: Source) -> str:
    """faq.txt: "Q: ..." / "A: ..." blocks separated by blank lines."""
    return "\n\n".join(f"Q: {q}\nA: {a}" for q, a in src.faq) + "\n"


def generate(out: Path, source: Path = SOURCE) -> dict[str, object]:
    """Write every generated sample file into `out`; return where the dirt went (for the README)."""
    src = load_source(source)  # checks every file before anything is written
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(src.seed)
    tickets, where = build_tickets(src, rng)
    write_csv(out / "support_tickets.csv", TICKET_COLUMNS, [t.row() for t in tickets])
    write_csv(out / "reply_reviews.csv", REVIEW_COLUMNS, build_reviews(tickets))
    write_csv(out / "order_lookups.csv", LOOKUP_COLUMNS, build_lookups(src))
    chat_lines, chat_where = build_chats(src, rng)
    (out / "chat_logs.jsonl").write_text("\n".join(chat_lines) + "\n", encoding="utf-8")
    (out / "faq.txt").write_text(faq_text(src), encoding="utf-8")
    return {"tickets": where, "chats": chat_where, "n_qa": len(src.qas)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE.parent / "data" / "samples")
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder of the YAML source files")
    parser.add_argument("--where", action="store_true", help="print where each kind of dirt went (JSON)")
    args = parser.parse_args()
    where = generate(args.out, args.source)
    print(json.dumps(where, indent=1) if args.where else f"wrote {args.out}")


if __name__ == "__main__":
    main()
