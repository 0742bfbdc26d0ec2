"""Readers for the labelled stance corpora in ``shared/data`` (never shipped with the package).

Every reader returns a list of :class:`StanceExample` with one label set for all corpora:

==============  =====================================  ===========
corpus          source label                           ``label``
==============  =====================================  ===========
SemEval-2016    favor / against / none                 favor / against / neutral
VAST            pro (1) / con (0) / neutral (2)        favor / against / neutral
FNC-1           agree / disagree / discuss             favor / against / neutral
FNC-1           unrelated                              neutral, with ``related=False``
Emergent        for / against / observing              favor / against / neutral
RUW             FAVOR / AGAINST / NONE                 favor / against / neutral
GWSD            agree / disagree / neutral (argmax)    favor / against / neutral
Directed sent.  positive / negative / neutral, p->q    favor / against / neutral (speaker p, target q)
News quotes     favor / against / neutral (our gold)   the same (speaker and paragraph kept)
==============  =====================================  ===========

FNC-1 ``unrelated`` pairs are *not* a stance: their rows keep ``related=False`` (and the
original label in ``source_label``) so that training drops them and the FNC-1 evaluation
handles relatedness with a separate headline/body similarity step (see
:mod:`stance.evaluation.stance_eval`). Mapping them to neutral would teach the classifier that
an off-topic text is neutral, which is right for the pipeline but would swamp the corpus
(73% of FNC-1 pairs) and blur the discuss class.

Held-back splits (the RUW test split) are refused; the readers never open them.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DATASETS",
    "LABELS",
    "SEMEVAL_TARGETS",
    "StanceExample",
    "as_dataset",
    "default_stance_data_dir",
    "read_directed_sentiment",
    "read_emergent",
    "read_fnc1",
    "read_fnc1_pairs",
    "read_fnc1_bodies",
    "read_gwsd",
    "read_news_quotes",
    "read_ruw",
    "read_semeval",
    "read_stance",
    "read_vast",
    "select_sentences",
]

LABELS = ("favor", "against", "neutral")

#: the official SemEval-2016 Task 6 target strings, keyed by the TweetEval folder name
SEMEVAL_TARGETS = {
    "abortion": "Legalization of Abortion",
    "atheism": "Atheism",
    "climate": "Climate Change is a Real Concern",
    "feminist": "Feminist Movement",
    "hillary": "Hillary Clinton",
}

GWSD_TARGET = "Climate change/global warming is a serious concern"

#: dataset name -> splits that may be read
DATASETS: dict[str, tuple[str, ...]] = {
    "semeval": ("train", "val", "test"),
    "vast": ("train", "dev", "test"),
    "fnc1": ("train", "competition_test"),
    "emergent": ("train", "test"),
    "ruw": ("train", "val"),
    "gwsd": ("train", "test"),
    "dse": ("train", "valid", "test"),
    "news": ("train", "dev"),
}


@dataclass(frozen=True)
class StanceExample:
    """One (text, target) pair with its stance label and corpus-specific extras."""

    text: str
    target: str
    label: str
    dataset: str
    split: str
    group: str = ""  # grouping key for group-aware splits (topic, body, claim, tweet)
    extras: dict[str, Any] = field(default_factory=dict)
    context: str | None = None  # the paragraph around a news quote, quote cut out (``None`` elsewhere)

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"label must be one of {LABELS}, got {self.label!r}")


def default_stance_data_dir() -> Path:
    """``$STANCE_DATA`` if set, else ``../shared/data`` relative to the working directory."""
    return Path(os.environ.get("STANCE_DATA", "../shared/data"))


def _root(data_dir: str | os.PathLike[str] | None) -> Path:
    root = Path(data_dir) if data_dir is not None else default_stance_data_dir()
    if not root.is_dir():
        raise FileNotFoundError(f"stance data directory not found: {root} (set STANCE_DATA or pass --data)")
    return root


def _check_split(dataset: str, split: str) -> None:
    if dataset == "ruw" and split == "test":
        raise ValueError("the RUW test split is held back for the project's final evaluation; use 'val'")
    allowed = DATASETS[dataset]
    if split not in allowed:
        raise ValueError(f"{dataset} has splits {allowed}, got {split!r}")


def read_semeval(data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> list[StanceExample]:
    """SemEval-2016 Task 6A (TweetEval copy): five targets, ``none`` -> neutral."""
    _check_split("semeval", split)
    root = _root(data_dir) / "semeval2016_stance_tweeteval"
    names = {"0": "neutral", "1": "against", "2": "favor"}
    out = []
    for folder, target in SEMEVAL_TARGETS.items():
        texts = (root / folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (root / folder / f"{split}_labels.txt").read_text(encoding="utf-8").splitlines()
        if len(texts) != len(labels):
            raise ValueError(f"{folder}/{split}: {len(texts)} texts but {len(labels)} labels")
        for text, lab in zip(texts, labels, strict=False):
            out.append(
                StanceExample(
                    text.strip(), target, names[lab.strip()], "semeval", split, group=folder,
                    extras={"semeval_target": folder},
                )
            )
    return out


#: VAST's label codes, the same in the official files and the reduced re-export
_VAST_LABELS = {"0": "against", "1": "favor", "2": "neutral"}


def read_vast(data_dir: str | os.PathLike[str] | None = None, split: str = "dev") -> list[StanceExample]:
    """VAST: ``seen`` is 1 for few-shot topics, 0 for zero-shot ones. ``train`` is the official
    train split (``post`` / ``topic_str``, the topic string the test set is scored with); dev and
    test come from the reduced 4-column re-export."""
    _check_split("vast", split)
    if split == "train":
        import pandas as pd

        frame = pd.read_csv(_root(data_dir) / "vast" / "vast_train.csv.gz", dtype=str, keep_default_na=False)
        return [
            StanceExample(post.strip(), topic.strip(), _VAST_LABELS[lab.strip()], "vast", split, group=topic.strip(), extras={"seen": 1})
            for post, topic, lab in zip(frame["post"], frame["topic_str"], frame["label"], strict=True)
            if post.strip() and post.strip() != "#NAME?" and topic.strip()
        ]
    path = _root(data_dir) / "vast" / "mclda_reduced" / f"vast_{split}.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.append(
                StanceExample(
                    row["Tweet"].strip(), row["Target"].strip(), _VAST_LABELS[row["Stance"].strip()], "vast", split,
                    group=row["Target"].strip(), extras={"seen": int(row["seen?"])},
                )
            )
    return out


_SENT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[])|\n\s*\n+")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the of to in on at for and or but is are was were be been has have had it its this that with as by "
    "from will would can could after before over into about he she they we you i his her their our not no".split()
)


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def select_sentences(body: str, query: str, k: int = 3) -> str:
    """The ``k`` body sentences sharing most content words with ``query``, in body order.

    The first sentence wins ties (news leads carry the claim).

    >>> select_sentences("Cats purr. Dogs bark loudly. Birds sing. Dogs bite.", "dogs bark", k=2)
    'Dogs bark loudly. Dogs bite.'
    """
    sents = [s.strip() for s in _SENT.split(body) if s and s.strip()]
    if len(sents) <= k:
        return " ".join(sents)
    q = _content_words(query)
    scored = sorted(range(len(sents)), key=lambda i: (-len(q & _content_words(sents[i])), i))
    keep = sorted(scored[:k])
    return " ".join(sents[i] for i in keep)


def read_fnc1_bodies(data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> dict[str, str]:
    """``Body ID`` -> full article body."""
    _check_split("fnc1", split)
    path = _root(data_dir) / "fnc1" / f"{split}_bodies.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["Body ID"].strip(): row["articleBody"] for row in csv.DictReader(fh)}


def read_fnc1(
    data_dir: str | os.PathLike[str] | None = None, split: str = "train", *, body_sentences: int = 3
) -> list[StanceExample]:
    """FNC-1 headline (target) vs body (text: the ``body_sentences`` most headline-like sentences).

    ``extras``: ``related`` (False for ``unrelated``), ``source_label`` (the 4-way FNC label),
    ``body_id``.
    """
    bodies = read_fnc1_bodies(data_dir, split)
    names = {"agree": "favor", "disagree": "against", "discuss": "neutral", "unrelated": "neutral"}
    out = []
    cache: dict[tuple[str, str], str] = {}
    for headline, body_id, lab in read_fnc1_pairs(data_dir, split):
        key = (headline, body_id)
        if key not in cache:
            cache[key] = select_sentences(bodies[body_id], headline, k=body_sentences)
        out.append(
            StanceExample(
                cache[key], headline, names[lab], "fnc1", split, group=body_id,
                extras={"related": lab != "unrelated", "source_label": lab, "body_id": body_id},
            )
        )
    return out


def read_fnc1_pairs(data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> list[tuple[str, str, str]]:
    """FNC-1 ``(headline, body id, 4-way label)`` rows, without reading the bodies (what the
    relatedness steps need; :func:`read_fnc1` builds its examples on them)."""
    _check_split("fnc1", split)
    path = _root(data_dir) / "fnc1" / f"{split}_stances.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["Headline"].strip(), row["Body ID"].strip(), row["Stance"].strip()) for row in csv.DictReader(fh)]


def read_emergent(data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> list[StanceExample]:
    """Emergent: claim (target) vs article headline (text), Ferreira & Vlachos (2016) split."""
    _check_split("emergent", split)
    root = _root(data_dir) / "emergent"
    with (root / "emergent_split_ferreira2016.csv").open(encoding="utf-8", newline="") as fh:
        split_of = {row["id"]: row["split"] for row in csv.DictReader(fh)}
    names = {"for": "favor", "against": "against", "observing": "neutral"}
    out = []
    with (root / "url-versions-2015-06-14-clean.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if split_of.get(row["id"]) != split:
                continue
            out.append(
                StanceExample(
                    row["articleHeadline"].strip(), row["claimHeadline"].strip(), names[row["articleHeadlineStance"]],
                    "emergent", split, group=row["claimId"], extras={"claim_id": row["claimId"]},
                )
            )
    return out


def read_ruw(data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> list[StanceExample]:
    """RUW: each tweet gives two pairs (targets Russia and Ukraine). The test split is refused."""
    _check_split("ruw", split)
    path = _root(data_dir) / "ruw_russia_ukraine_stance" / f"raw_{split}_Russia_Ukraine.utf8.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for k, row in enumerate(csv.DictReader(fh)):
            text = row["Tweet"].strip()
            for t in ("1", "2"):
                out.append(
                    StanceExample(
                        text, row[f"Target {t}"].strip(), _ruw_label(row[f"Stance {t}"]), "ruw", split,
                        group=f"{split}-{k}", extras={"ruw_target": row[f"Target {t}"].strip()},
                    )
                )
    return out


def _ruw_label(raw: str) -> str:
    return {"FAVOR": "favor", "AGAINST": "against", "NONE": "neutral"}[raw.strip().upper()]


def read_gwsd(data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> list[StanceExample]:
    """GWSD sentences with label-model probabilities; label = argmax; ``test`` = held-out flag."""
    _check_split("gwsd", split)
    path = _root(data_dir) / "gwsd_desmog" / "GWSD.tsv"
    names = {"agree": "favor", "disagree": "against", "neutral": "neutral"}
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if not row.get("agree"):
                continue  # screening items carry no probabilities
            held_out = row["in_held_out_test"].strip() == "True"
            if held_out != (split == "test"):
                continue
            probs = {k: float(row[k]) for k in names}
            best = max(names, key=lambda k: probs[k])
            out.append(
                StanceExample(
                    row["sentence"].strip(), GWSD_TARGET, names[best], "gwsd", split, group=row["guid"],
                    extras={"max_prob": probs[best]},
                )
            )
    return out


def read_directed_sentiment(data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> list[StanceExample]:
    """Directed sentiment between entities in news (Park et al. 2021) as speaker -> target stance.

    A row "p holds a positive (negative) opinion of q" becomes the pair (``"p: sentence"``, q)
    labelled favor (against); the reverse directions swap p and q; a neutral row gives both
    directions, neutral. The entity brackets are removed. Exact duplicate rows are dropped, and
    ``valid``/``test`` rows that also occur in train are left out of those splits (their
    SOURCE.md counts 392 and 400 such rows).
    """
    import pandas as pd

    _check_split("dse", split)
    root = _root(data_dir) / "directed_sentiment"

    def load(name: str) -> Any:
        frame = pd.read_csv(root / f"{name}.txt", sep="\t", header=None, names=["sentence", "p", "q", "label"], dtype=str)
        return frame.dropna().drop_duplicates()

    frame = load(split)
    if split != "train":
        seen = set(map(tuple, load("train").itertuples(index=False)))
        frame = frame[[tuple(r) not in seen for r in frame.itertuples(index=False)]]
    out = []
    for k, (sentence, p, q, lab) in enumerate(frame.itertuples(index=False)):
        text = " ".join(sentence.replace("[", "").replace("]", "").split())
        p, q = p.strip(), q.strip()
        code = int(lab)
        pairs = {
            0: [(p, q, "neutral"), (q, p, "neutral")], 1: [(p, q, "favor")], 2: [(q, p, "favor")],
            3: [(p, q, "against")], 4: [(q, p, "against")],
        }[code]
        for speaker, target, label in pairs:
            out.append(StanceExample(f"{speaker}: {text}", target, label, "dse", split, group=f"{split}-{k}", extras={"dse_label": code}))
    return out


def read_news_quotes(
    data_dir: str | os.PathLike[str] | None = None, split: str = "train", *, gold: str | os.PathLike[str] | None = None
) -> list[StanceExample]:
    """The project's news-quote stance gold (PolNeAR quotes x targets), text = ``"speaker: quote"``,
    context = the quote's paragraph with the quote cut out (:func:`~stance.data.news_stance.quote_context`). ``gold`` defaults to the shipped file of ``split``
    (``stance/evaluation/gold/polnear_{split}_stance.jsonl``); PolNeAR is read from
    ``data_dir/polnear``."""
    from stance.data.news_stance import default_gold, read_news_stance

    _check_split("news", split)
    path = Path(gold) if gold is not None else default_gold(split)
    out = []
    for ex in read_news_stance(path, _root(data_dir) / "polnear"):
        text, target, context = ex.as_pair()
        out.append(
            StanceExample(text, target, ex.label, "news", split, group=ex.doc, context=context,
                          extras={"doc": ex.doc, "content_start": ex.content_start, "quote": ex.quote, "speaker": ex.speaker,
                                  "source": ex.source})
        )
    return out


_READERS = {
    "semeval": read_semeval,
    "vast": read_vast,
    "fnc1": read_fnc1,
    "emergent": read_emergent,
    "ruw": read_ruw,
    "gwsd": read_gwsd,
    "dse": read_directed_sentiment,
    "news": read_news_quotes,
}


def read_stance(dataset: str, data_dir: str | os.PathLike[str] | None = None, split: str = "train") -> list[StanceExample]:
    """Dispatch to the reader of ``dataset`` (one of :data:`DATASETS`)."""
    if dataset not in _READERS:
        raise ValueError(f"unknown stance dataset {dataset!r}; use one of {sorted(_READERS)}")
    _check_split(dataset, split)
    return _READERS[dataset](data_dir, split)


def as_dataset(examples: Sequence[StanceExample] | Iterable[StanceExample]) -> Any:
    """A ``datasets.Dataset`` with columns text, target, label, dataset, split, group + extras."""
    from datasets import Dataset

    rows = []
    for ex in examples:
        d = asdict(ex)
        extras = d.pop("extras")
        d.update(extras)
        rows.append(d)
    return Dataset.from_list(rows)
