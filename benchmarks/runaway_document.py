"""One huge, quote-dense document in a batch of short ones: are the short ones written at once,
and is the huge one finished or reported within its time budget?

    python benchmarks/runaway_document.py [--chars 1000000] [--doc-timeout 60] [--quote-model default]

Writes a JSONL of ``--before`` short synthetic news articles, then one synthetic quote-dense
document of ``--chars`` characters (a transcript-like run of attributed quotes, no real text),
then ``--after`` short articles, and runs ``stance analyze IN -o OUT --keep-going
--doc-timeout T`` on it in a subprocess (one batch of 16 would hold them all). It polls the
output file and prints, in seconds from the start of the run: when the records of every short
article before the huge one were written, when the huge document's records (or its error
record) were written, and the end; the run's summary line, whether ``n_in = n_ok + n_failed``,
and the peak memory (PSS of the run and its parse workers). The issue's bar: the short ones
within a minute; the huge one finished or reported within its budget.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _proc import tree_pss_mb

NAMES = ["Jane Doe", "John Smith", "Maria Garcia", "Wei Chen", "Olu Adeyemi", "Anna Novak"]
TOPICS = ["the budget", "the bridge", "the peace plan", "the new tax", "the trade deal", "the strike"]


def short_article(i: int, rng: random.Random) -> str:
    name, topic = rng.choice(NAMES), rng.choice(TOPICS)
    return (
        f"{name} spoke on day {i}.\n\n"
        f"\"We will not accept {topic} as it stands,\" {name.split()[-1]} said on Monday. "
        f"\"It is late and it costs too much,\" she added.\n\n"
        f"A senior official said talks on {topic} would resume next week."
    )


def dense_document(chars: int, rng: random.Random) -> str:
    """A transcript-like text: paragraph after paragraph of attributed quotes."""
    parts: list[str] = []
    size = 0
    while size < chars:
        name, topic = rng.choice(NAMES), rng.choice(TOPICS)
        p = (f"\"On {topic}, we have said what we had to say,\" {name} said. \"Nothing has changed,\" "
             f"{name.split()[-1]} added, and the official said {topic} would be discussed again.")
        parts.append(p)
        size += len(p) + 2
    return "\n\n".join(parts)[:chars]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=1_000_000)
    ap.add_argument("--before", type=int, default=7)
    ap.add_argument("--after", type=int, default=2)
    ap.add_argument("--doc-timeout", type=float, default=60.0)
    ap.add_argument("--quote-model", default="default")
    ap.add_argument("--precision", default="float32")
    args = ap.parse_args()
    rng = random.Random(0)
    work = Path(tempfile.mkdtemp(prefix="stance-runaway-"))
    src, out = work / "in.jsonl", work / "out.jsonl"
    rows = [{"id": f"short{i}", "text": short_article(i, rng)} for i in range(args.before)]
    rows.append({"id": "huge", "text": dense_document(args.chars, rng)})
    rows += [{"id": f"after{i}", "text": short_article(100 + i, rng)} for i in range(args.after)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    errors = work / "errors.jsonl"
    cmd = [sys.executable, "-m", "stance", "analyze", str(src), "-o", str(out), "--errors", str(errors),
           "--keep-going", "--doc-timeout", str(args.doc_timeout), "--quote-model", args.quote_model,
           "--precision", args.precision, "--max-chars", str(max(2_000_000, args.chars + 1))]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen_at: dict[str, float] = {}
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_pss_mb(proc.pid))
        for path in (out, errors):
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    try:
                        doc = str(json.loads(line)["doc"])
                    except (ValueError, KeyError):
                        continue  # a line being written
                    seen_at.setdefault(doc, time.perf_counter() - start)
        time.sleep(0.2)
    end = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    for path in (out, errors):
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            seen_at.setdefault(str(json.loads(line)["doc"]), end)
    summary = next((line for line in stderr.splitlines() if re.search(r"\d+ documents", line)), "")
    n = [int(x) for x in re.findall(r"(\d+) (?:documents|ok|failed)", summary)]
    huge_error = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()] if errors.exists() else []
    before = [f"short{i}" for i in range(args.before)]
    print(json.dumps({
        "chars": args.chars, "doc_timeout_s": args.doc_timeout, "quote_model": args.quote_model,
        "short_before_written_by_s": round(max(seen_at.get(d, float("inf")) for d in before), 1),
        "huge_written_at_s": round(seen_at.get("huge", float("nan")), 1),
        "huge_outcome": next((e["error"] for e in huge_error if e.get("doc") == "huge"), "analysed"),
        "run_s": round(end, 1), "exit_code": proc.returncode, "summary": summary.replace("stance: ", ""),
        "n_in_equals_ok_plus_failed": len(n) == 3 and n[0] == n[1] + n[2] == len(rows),
        "peak_pss_mb": round(peak),
    }, indent=2))


if __name__ == "__main__":
    main()
