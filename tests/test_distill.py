"""Distilling the tagger (issue #22): projecting a teacher's distributions onto another
tokenisation, the teacher cache, the loss, and a tiny end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from test_tagger import _tagger, _write_polnear

from stance.quotes.distill import (
    label_with_teacher,
    project_soft_labels,
    read_index,
    read_teacher_labels,
    unlabelled_news,
)
from stance.quotes.tagger import DEFAULT_LABELS, AttributionTagger
from stance.quotes.train_tagger import distill_loss

LABS = ["O", "B-source", "I-source"]


def _lp(*rows: list[float]) -> np.ndarray:
    return np.log(np.asarray(rows, dtype=np.float64) + 1e-12)


# (teacher offsets, teacher distributions, student offsets, expected student distributions)
PROJECTIONS = [
    # same pieces: copied
    ([[0, 5], [6, 11]], [[0.2, 0.8, 0.0], [0.1, 0.0, 0.9]], [[0, 5], [6, 11]],
     [[0.2, 0.8, 0.0], [0.1, 0.0, 0.9]]),
    # the student splits a teacher piece: its second half continues the span (B -> I)
    ([[0, 5]], [[0.3, 0.7, 0.0]], [[0, 2], [2, 5]], [[0.3, 0.7, 0.0], [0.3, 0.0, 0.7]]),
    # the teacher splits a student piece: the student takes the first teacher piece
    ([[0, 2], [2, 5]], [[0.1, 0.9, 0.0], [0.4, 0.0, 0.6]], [[0, 5]], [[0.1, 0.9, 0.0]]),
    # a student piece starting in a gap of the teacher's takes the next teacher piece
    ([[0, 3], [5, 8]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[0, 3], [4, 8]],
     [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    # past the teacher's last piece: the last one (continued, so B -> I)
    ([[0, 3]], [[0.0, 1.0, 0.0]], [[0, 3], [3, 6]], [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
]


@pytest.mark.parametrize(("t_off", "t_p", "s_off", "want"), PROJECTIONS)
def test_project_soft_labels(t_off: list, t_p: list, s_off: list, want: list) -> None:
    got = project_soft_labels(np.array(t_off), _lp(*t_p), np.array(s_off), LABS)
    assert got.shape == (len(s_off), 3)
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(got.sum(1), 1.0, atol=1e-6)


def test_project_soft_labels_edges_and_temperature() -> None:
    assert project_soft_labels(np.zeros((0, 2), int), np.zeros((0, 3)), np.zeros((0, 2), int), LABS).shape == (0, 3)
    # a teacher with no pieces says "outside" everywhere
    got = project_soft_labels(np.zeros((0, 2), int), np.zeros((0, 3)), np.array([[0, 2]]), LABS)
    assert got.tolist() == [[1.0, 0.0, 0.0]]
    sharp = project_soft_labels(np.array([[0, 2]]), _lp([0.2, 0.8, 0.0]), np.array([[0, 2]]), LABS, temperature=1.0)
    soft = project_soft_labels(np.array([[0, 2]]), _lp([0.2, 0.8, 0.0]), np.array([[0, 2]]), LABS, temperature=3.0)
    assert soft[0, 1] < sharp[0, 1] and soft[0, 0] > sharp[0, 0]


def test_projection_between_real_tokenisers(tiny_encoder: str) -> None:
    """Across two tokenisations of one text, every student piece gets a distribution, and a
    piece inside a word never begins a span."""
    teacher = _tagger(tiny_encoder)
    text = "Kallasová-Lindqvist told reporters: “Nothing about Ukraine without Ukraine.”"
    t = teacher.token_scores([text])[0]
    coarse = np.array([[m.start(), m.end()] for m in __import__("re").finditer(r"\S+", text)])
    got = project_soft_labels(t["offsets"], t["scores"], coarse, list(DEFAULT_LABELS))
    np.testing.assert_allclose(got.sum(1), 1.0, atol=1e-5)
    fine = t["offsets"]
    back = project_soft_labels(coarse, np.log(got + 1e-12), fine, list(DEFAULT_LABELS))
    inside = np.array([a > 0 and not text[a - 1].isspace() for a, _ in fine])
    b_cols = [i for i, lab in enumerate(DEFAULT_LABELS) if lab.startswith("B-")]
    assert inside.any() and np.all(back[inside][:, b_cols] == 0)


def test_teacher_cache_roundtrip_resume_and_refusals(tiny_encoder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    teacher = _tagger(tiny_encoder)
    docs = [("a", "Smith said it was fine."), ("b", "“No,” she said."), ("c", "Nothing here.")]
    calls: list[int] = []
    real = teacher.token_scores
    monkeypatch.setattr(teacher, "token_scores", lambda texts, **kw: calls.append(len(texts)) or real(texts, **kw))
    index = label_with_teacher(teacher, docs, tmp_path / "c", teacher_id="T1", shard_size=2)
    assert calls == [2, 1] and set(index["docs"]) == {"a", "b", "c"}
    got = read_teacher_labels(tmp_path / "c", docs)
    want = real([t for _, t in docs])
    for (off, lp), w in zip(got, want, strict=True):
        np.testing.assert_array_equal(off, w["offsets"])
        np.testing.assert_allclose(lp, w["scores"], atol=2e-3)  # stored as float16
    # resumed: nothing to do; a changed text is scored again
    label_with_teacher(teacher, docs, tmp_path / "c", teacher_id="T1")
    assert calls == [2, 1]
    changed = [("a", "Smith said it was not fine.")] + docs[1:]
    label_with_teacher(teacher, changed, tmp_path / "c", teacher_id="T1")
    assert calls == [2, 1, 1]
    assert read_teacher_labels(tmp_path / "c", changed)[0][0].shape[0] > got[0][0].shape[0]
    with pytest.raises(KeyError, match="not in the teacher cache"):
        read_teacher_labels(tmp_path / "c", docs)  # "a" now holds the changed text
    # every document of a shard scored again, then a new one: no shard still read is overwritten
    fresh = tmp_path / "f"
    label_with_teacher(teacher, docs, fresh, teacher_id="T1", shard_size=2)  # a, b -> 0; c -> 1
    again = [("a", "A new a."), ("b", "A new b.")]
    label_with_teacher(teacher, again, fresh, teacher_id="T1")  # a, b -> 2
    label_with_teacher(teacher, [("d", "D.")], fresh, teacher_id="T1")
    got = read_teacher_labels(fresh, [*again, docs[2], ("d", "D.")])
    for (off, _), text in zip(got, ["A new a.", "A new b.", docs[2][1], "D."], strict=True):
        np.testing.assert_array_equal(off, real([text])[0]["offsets"])
    with pytest.raises(ValueError, match="another teacher"):
        label_with_teacher(teacher, docs, tmp_path / "c", teacher_id="T2")
    assert read_index(tmp_path / "empty") == {"format": 1, "teacher": None, "docs": {}}


def test_distill_loss_terms() -> None:
    torch.manual_seed(0)
    z = torch.randn(2, 4, 3, requires_grad=True)
    y = torch.tensor([[0, 1, -100, 2], [-100, -100, -100, -100]])
    p = torch.softmax(torch.randn(2, 4, 3), -1)
    p[1, 3] = 0.0  # a padding row: no teacher term
    ce = torch.nn.functional.cross_entropy(z.reshape(-1, 3), y.reshape(-1), ignore_index=-100)
    assert torch.allclose(distill_loss(z, y, p, 0.0, 1.0), ce)
    keep = p.reshape(-1, 3).sum(-1) > 0.5
    logq = torch.log_softmax(z.reshape(-1, 3)[keep], -1)
    kl = (p.reshape(-1, 3)[keep] * (p.reshape(-1, 3)[keep].log() - logq)).sum(-1).mean()
    assert torch.allclose(distill_loss(z, y, p, 1.0, 1.0), kl)
    assert torch.allclose(distill_loss(z, y, p, 0.3, 1.0), 0.7 * ce + 0.3 * kl)
    # no gold in the batch: the teacher term alone, whatever the weight
    none = torch.full_like(y, -100)
    assert torch.allclose(distill_loss(z, none, p, 0.3, 1.0), kl)
    # the student that is the teacher has no teacher loss, at any temperature
    same = torch.log(p.clamp_min(1e-9)) * 2.0
    assert float(distill_loss(same, none, torch.softmax(same / 2.0, -1), 1.0, 2.0)) < 1e-5
    distill_loss(z, y, p, 0.5, 2.0).backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()


def _write_fnc1(root: Path) -> None:
    (root / "fnc1").mkdir(parents=True)
    rows = ["Body ID,articleBody"] + [f'{i},"Body {i}: the mayor said ""it is over."" Then {i} left."' for i in range(5)]
    (root / "fnc1" / "train_bodies.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_unlabelled_news_is_a_seeded_sample(tmp_path: Path) -> None:
    _write_fnc1(tmp_path)
    a, b = unlabelled_news(tmp_path, 3), unlabelled_news(tmp_path, 3)
    assert a == b and len(a) == 3 and all(k.startswith("fnc1:") and "mayor" in t for k, t in a)
    assert unlabelled_news(tmp_path, 0) == [] and len(unlabelled_news(tmp_path, 99)) == 5


def test_distilled_training_end_to_end_tiny(tiny_encoder: str, tmp_path: Path) -> None:
    from stance.data.polnear import read_polnear
    from stance.quotes.train_tagger import train

    data = tmp_path / "polnear"
    _write_polnear(data)
    _write_fnc1(tmp_path)
    teacher = _tagger(tiny_encoder)
    with torch.no_grad():  # a teacher with a clear preference, so its term has something to teach
        teacher.model.classifier.bias[list(DEFAULT_LABELS).index("I-content")] += 4.0
    docs = [(f"polnear:{a.id}", a.text) for a in read_polnear(data, "train")] + unlabelled_news(tmp_path, 2)
    label_with_teacher(teacher, docs, tmp_path / "teacher", teacher_id="tiny")
    student = _tagger(tiny_encoder)
    student.save_pretrained(tmp_path / "init")
    kw = dict(epochs=2, seed=3, train_batch_size=2, tune=False, checkpoint_every=0, init=tmp_path / "init",
              teacher_cache=tmp_path / "teacher", distill_weight=1.0, lr=5e-3, head_lr=5e-2,
              unlabelled_data=tmp_path, unlabelled_docs=2)
    card = train(data, tmp_path / "student", **kw)  # type: ignore[arg-type]
    d = card["hyperparameters"]["distillation"]
    assert d["weight"] == 1.0 and d["unlabelled_docs"] == 2 and card["hyperparameters"]["init"] == str(tmp_path / "init")
    out = AttributionTagger.from_pretrained(tmp_path / "student")
    assert out.config.to_dict() == student.config.to_dict()  # the init's settings
    assert "**Distilled** from a teacher tagger" in (tmp_path / "student" / "model_card.md").read_text(encoding="utf-8")
    text = [t for _, t in docs]
    agree = [
        float(np.mean(np.argmax(m.token_scores(text)[k]["scores"], 1) == np.argmax(teacher.token_scores(text)[k]["scores"], 1)))
        for m in (student, out) for k in range(len(text))
    ]
    n = len(text)
    assert np.mean(agree[n:]) > np.mean(agree[:n])  # the student moved towards its teacher
    # the same run again gives the same weights
    card2 = train(data, tmp_path / "student2", **kw)  # type: ignore[arg-type]
    assert card2["artefact"]["weights_sha256"] == card["artefact"]["weights_sha256"]
    with pytest.raises(ValueError, match="only used with a teacher"):
        train(data, tmp_path / "x", epochs=1, unlabelled_docs=2, unlabelled_data=tmp_path)
    with pytest.raises(ValueError, match="distill_weight"):
        train(data, tmp_path / "x", epochs=1, teacher_cache=tmp_path / "teacher", distill_weight=1.5)
    other = json.loads((tmp_path / "teacher" / "index.json").read_text())
    other["teacher"]["labels"] = ["O", "B-x", "I-x"]
    (tmp_path / "teacher" / "index.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match="differ from the student"):
        train(data, tmp_path / "x", **kw)  # type: ignore[arg-type]
