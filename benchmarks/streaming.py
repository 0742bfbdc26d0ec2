"""Bounded memory and resume over a large JSONL: ``stance analyze`` on N synthetic articles.

    python benchmarks/streaming.py --n 100000 [--quote-model none] [--interrupt-at 0.5]

Writes N short synthetic news articles (templates with direct, indirect and pronoun-attributed
quotes; no real text) to a JSONL file, runs ``stance analyze`` on it in a subprocess, samples
the memory of the subprocess every second, and prints it after 1% ... 99% of
the input, the peak, and documents/s. Memory is the proportional set size (PSS) of the run
and its parse workers together. With ``--interrupt-at F`` the run is killed (SIGKILL)
after a fraction F of the input and finished with ``--resume``; the script then checks that
the output has exactly one record per article, in order.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _proc import tree_pss_mb

NAMES = ["Jane Doe", "John Smith", "Maria Garcia", "Wei Chen", "Olu Adeyemi", "Anna Novak"]
ROLES = ["the minister", "the mayor", "a senior official", "the spokeswoman", "the senator"]
TOPICS = ["the budget", "the bridge", "the peace plan", "the new tax", "the trade deal", "the strike"]


def article(i: int, rng: random.Random) -> str:
    name, role, topic = rng.choice(NAMES), rng.choice(ROLES), rng.choice(TOPICS)
    return (
        f"{name}, {role}, spoke on day {i}.\n\n"
        f"\"We will not accept {topic} as it stands,\" {name.split()[-1]} said on Monday. "
        f"\"It is late and it costs too much,\" she added.\n\n"
        f"{role.capitalize()} said talks on {topic} would resume next week."
    )


def done_lines(path: Path) -> int:
    """Completed inputs recorded in the checkpoint file (0 before the first batch)."""
    prog = Path(str(path) + ".progress")
    if not prog.exists():
        return 0
    last = 0
    for line in prog.read_text(encoding="utf-8").splitlines()[1:]:
        try:
            last = json.loads(line)["n_inputs"]
        except (ValueError, KeyError):
            break
    return last


def run(cmd: list[str], out: Path, n: int, kill_at: float | None) -> dict[str, object]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    start = done_lines(out) / n  # a resumed run starts past some marks: those stay "-"
    marks: dict[float, object] = {f: ("-" if f <= start else None) for f in (0.01, 0.1, 0.25, 0.5, 0.75, 0.99)}
    peak = 0.0
    t0 = time.perf_counter()
    killed = False
    while proc.poll() is None:
        mem = tree_pss_mb(proc.pid)  # the run and its parse workers
        if mem > 1:
            peak = max(peak, mem)
            done = done_lines(out) / n
            for frac in marks:
                if marks[frac] is None and done >= frac:
                    marks[frac] = round(mem)
            if kill_at is not None and done >= kill_at:
                proc.send_signal(signal.SIGKILL)
                killed = True
        time.sleep(1.0)
    err = proc.stderr.read().decode() if proc.stderr else ""
    return {"seconds": round(time.perf_counter() - t0, 1), "pss_mb_at": {f"{int(k * 100)}%": v for k, v in marks.items()},
            "peak_pss_mb": round(peak), "killed": killed, "rc": proc.returncode, "summary": err.strip().splitlines()[-1:]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--quote-model", default="default")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--interrupt-at", type=float, default=None, metavar="FRACTION")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="stance-stream-"))
    work.mkdir(parents=True, exist_ok=True)
    src, out = work / "articles.jsonl", work / "quotes.jsonl"
    rng = random.Random(0)
    with src.open("w", encoding="utf-8") as fh:
        for i in range(args.n):
            fh.write(json.dumps({"id": f"a{i}", "text": article(i, rng)}) + "\n")
    cmd = [sys.executable, "-m", "stance", "analyze", str(src), "-o", str(out), "--no-progress",
           "--quote-model", args.quote_model, "--batch-size", str(args.batch_size)]
    result: dict[str, object] = {"n": args.n, "input_mb": round(os.path.getsize(src) / 2**20, 1),
                                 "quote_model": args.quote_model}
    first = run(cmd, out, args.n, args.interrupt_at)
    result["run"] = first
    seconds = float(first["seconds"])  # type: ignore[arg-type]
    if first["killed"]:
        second = run([*cmd, "--resume"], out, args.n, None)
        result["resumed"] = second
        seconds += float(second["seconds"])  # type: ignore[arg-type]
    records = [(r["doc"], r["start"]) for r in map(json.loads, out.open(encoding="utf-8"))]
    seen = list(dict.fromkeys(doc for doc, _ in records))
    result["records"] = len(records)
    result["docs_with_records"] = len(seen)
    # every article has quotes: after a kill and a resume each must appear once, in input order
    result["in_order_no_duplicates"] = seen == [f"a{i}" for i in range(args.n)] and len(set(records)) == len(records)
    result["docs_per_s"] = round(args.n / seconds, 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
