"""Nothing lost, nothing crashes: accounting, error policy, determinism, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import stance
from stance.cli import main
from stance.io import InputDocument

GOOD = '"We will not give up," Jane Doe said. The Kremlin said it had nothing to say.'


def _mixed_corpus(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "a_valid.txt").write_text(GOOD, encoding="utf-8")
    (d / "b_empty.txt").write_text("", encoding="utf-8")
    (d / "c_binary.txt").write_bytes(bytes(range(256)) * 4)
    (d / "d_huge.txt").write_text("word " * 5000, encoding="utf-8")
    (d / "e_lines.jsonl").write_text(
        "\n".join([json.dumps({"id": "j-ok", "text": GOOD}), "{broken", json.dumps({"id": "no-text"}),
                   json.dumps({"id": "j-ok2", "text": "Jane Doe said the plan was dead."})]) + "\n",
        encoding="utf-8",
    )
    return d


def test_every_input_is_accounted_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _mixed_corpus(tmp_path)
    errors = tmp_path / "errors.jsonl"
    rc = main(["analyze", str(d), "--quote-model", "none", "--keep-going", "--max-chars", "10000", "--errors", str(errors)])
    out, err = capsys.readouterr()
    assert rc == 1
    failed = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert {f["error"] for f in failed} == {"InputError", "DocumentTooLargeError"}
    assert all(set(f) == {"doc", "error", "message"} for f in failed)
    n_in = 8  # 4 files + 4 JSONL lines
    assert f"{n_in} documents, 4 ok, 4 failed" in err
    recs = [json.loads(line) for line in out.splitlines()]
    # the valid documents are unchanged by the bad ones around them
    alone = stance.load(quote_model=None)(GOOD).to_records()
    for doc_id in (str(d / "a_valid.txt"), "j-ok"):
        got = [{**r, "doc": None} for r in recs if r["doc"] == doc_id]
        assert got == alone


def test_stops_at_first_failure_without_keep_going(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _mixed_corpus(tmp_path)
    rc = main(["analyze", str(d), "--quote-model", "none", "--max-chars", "10000", "--batch-size", "1"])
    _, err = capsys.readouterr()
    assert rc == 1 and "stopped at the first failure" in err and "3 documents, 2 ok, 1 failed" in err


def test_pipe_skip_policy_keeps_order_and_results(nlp: stance.Pipeline) -> None:
    small = stance.load(max_chars=500, quote_model=None)
    items = [GOOD, 42, "x" * 501, "", GOOD]
    docs = list(small.pipe(items, errors="skip", ids=list("abcde")))
    assert [d.id for d in docs] == list("abcde")
    assert [d.ok for d in docs] == [True, False, False, True, True]
    assert docs[1].error is not None and docs[1].error.startswith("TypeError")
    assert docs[2].error_record() == {"doc": "c", "error": "DocumentTooLargeError", "message": docs[2].error.split(": ", 1)[1]}  # type: ignore[union-attr]
    assert docs[0].to_records() == nlp(GOOD, id="a").to_records()
    with pytest.raises(TypeError):
        list(small.pipe(items))
    with pytest.raises(ValueError, match="errors must be"):
        list(small.pipe(items, errors="ignore"))


def test_same_records_alone_in_batches_and_in_any_order(nlp: stance.Pipeline) -> None:
    texts = [GOOD, "Jane Doe said the plan was dead.", '"A," she said. "B is here now," she added.', ""] * 16
    alone = [nlp(t).to_records() for t in texts[:4]]
    batched = [d.to_records() for d in nlp.pipe(texts, batch_size=64)]
    assert batched == alone * 16
    reordered = [d.to_records() for d in nlp.pipe(list(reversed(texts)), batch_size=7)]
    assert list(reversed(reordered)) == alone * 16


def _corpus_jsonl(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = f'"Statement number {i} is on the record," official {i} said. Jane Doe said item {i} was dead.'
            fh.write(json.dumps({"id": f"doc{i}", "text": text}) + "\n")


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` now (Linux /proc; empty elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, parent in parents.items() if parent == p]
        out.extend(kids)
        todo.extend(kids)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _analyze_cmd(src: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "stance", "analyze", str(src), "-o", str(out), "--batch-size", "4", "--quote-model", "none", *extra]


@pytest.mark.parametrize(
    ("sig", "procs"), [(signal.SIGKILL, "1"), (signal.SIGINT, "1"), (signal.SIGKILL, "2")], ids=["kill", "int", "kill-2procs"]
)
def test_resume_after_kill_gives_identical_output(tmp_path: Path, sig: signal.Signals, procs: str) -> None:
    src = tmp_path / "in.jsonl"
    _corpus_jsonl(src, 960)  # large enough that the run cannot finish before the signal
    full = tmp_path / "full.jsonl"
    # the uninterrupted run parses in one process: parse workers must not change the output
    subprocess.run(_analyze_cmd(src, full, "--parse-processes", "1"), check=True, capture_output=True, timeout=300)
    part = tmp_path / "part.jsonl"
    # the run starts as a shell starts it, with SIGINT at its default: a disposition the test
    # process inherited (an ignored SIGINT) would otherwise pass to the run and hide the signal
    proc = subprocess.Popen(
        _analyze_cmd(src, part, "--parse-processes", procs), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    progress = Path(str(part) + ".progress")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if progress.exists() and len(progress.read_text(encoding="utf-8").splitlines()) >= 4:
            break
        time.sleep(0.05)
    try:
        family = _descendants(proc.pid)
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
        err = proc.stderr.read() if proc.stderr else b""
    finally:  # an unclosed pipe would surface as a ResourceWarning in a later test
        if proc.stderr:
            proc.stderr.close()
    # no parse worker outlives the run, even after SIGKILL
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in family):
        time.sleep(0.2)
    assert not [p for p in family if _alive(p)], "parse workers outlived the killed run"
    assert rc != 0, "the run finished before it could be interrupted; make the corpus larger"
    if sig == signal.SIGINT:
        assert rc == 130 and b"--resume" in err
    done = subprocess.run(_analyze_cmd(src, part, "--resume", "--parse-processes", procs), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert part.read_bytes() == full.read_bytes()
    assert "960 documents, 960 ok, 0 failed" in done.stderr.decode()


def test_resume_refuses_other_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(GOOD, encoding="utf-8")
    b.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(a), "-o", str(out), "--quote-model", "none"]) == 0
    assert main(["analyze", str(b), "-o", str(out), "--resume", "--quote-model", "none"]) == 1
    assert "other inputs" in capsys.readouterr().err
    assert main(["analyze", str(a), "--resume"]) == 1
    assert "--resume needs -o" in capsys.readouterr().err


def test_single_thread_and_two_threads_agree(tiny_tagger_dir: str) -> None:
    import torch

    tagged = stance.load(quote_model=tiny_tagger_dir)  # the tagger is where threads could matter
    texts = [GOOD, '"A," she said. "B is here now," she added.'] * 4
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = [d.to_records() for d in tagged.pipe(texts, batch_size=3)]
        torch.set_num_threads(2)
        two = [d.to_records() for d in tagged.pipe(texts, batch_size=8)]
    finally:
        torch.set_num_threads(before)
    assert one == two


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_output_is_identical_across_processes(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _corpus_jsonl(src, 12)
    outs = []
    for k in range(2):
        out = tmp_path / f"o{k}.jsonl"
        subprocess.run(_analyze_cmd(src, out), check=True, capture_output=True, timeout=300)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def _stream(n: int, bad_every: int = 0) -> list[InputDocument]:
    docs = []
    for i in range(n):
        if bad_every and i % bad_every == 3:
            docs.append(InputDocument(f"d{i}", "", "DecodeError: unreadable bytes"))
        else:
            docs.append(InputDocument(f"d{i}", f'"Item {i} is on the record," Jane Doe said.'))
    return docs


@pytest.mark.parametrize("batch_size", [1, 4, 16])
def test_analyze_reads_inputs_lazily(monkeypatch: pytest.MonkeyPatch, nlp: stance.Pipeline, batch_size: int) -> None:
    """Memory stays bounded over any number of inputs: the reader is never far ahead of the output."""
    import io

    from stance import runner

    out, err = io.StringIO(), io.StringIO()
    ahead: list[int] = []

    def reader(_paths: object) -> Iterator[InputDocument]:
        for k, item in enumerate(_stream(300)):
            ahead.append(k - out.getvalue().count("\n"))
            yield item

    monkeypatch.setattr(runner, "read_inputs", reader)
    summary = runner.analyze_files(nlp, ["-"], out=out, errors_out=err, batch_size=batch_size)
    assert summary.n_docs == summary.n_ok == summary.n_quotes == 300
    assert max(ahead) <= 3 * batch_size + 1  # the batch being written, the one parsed, the one read


def test_analyze_keeps_order_with_unreadable_inputs(monkeypatch: pytest.MonkeyPatch, nlp: stance.Pipeline) -> None:
    import io

    from stance import runner

    monkeypatch.setattr(runner, "read_inputs", lambda _paths: iter(_stream(40, bad_every=5)))
    out, err = io.StringIO(), io.StringIO()
    summary = runner.analyze_files(nlp, ["-"], out=out, errors_out=err, batch_size=3, keep_going=True)
    assert (summary.n_docs, summary.n_failed) == (40, 8)
    ok_ids = [json.loads(line)["doc"] for line in out.getvalue().splitlines()]
    bad_ids = [json.loads(line)["doc"] for line in err.getvalue().splitlines()]
    assert ok_ids == [f"d{i}" for i in range(40) if i % 5 != 3]
    assert bad_ids == [f"d{i}" for i in range(40) if i % 5 == 3]


def test_analyze_shows_progress_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    _corpus_jsonl(src, 5)
    assert main(["analyze", str(src), "--quote-model", "none", "--progress", "-o", str(tmp_path / "o.jsonl")]) == 0
    assert "5doc" in capsys.readouterr().err.replace(" ", "")
    assert main(["analyze", str(src), "--quote-model", "none", "--no-progress", "-o", str(tmp_path / "p.jsonl")]) == 0
    assert "doc/s" not in capsys.readouterr().err
