"""Cross-document speaker identity: do quotes of one real speaker in different articles get one
corpus speaker, and quotes of different speakers different ones?

    stance evaluate identity --data ../shared/data/polnear [--quote-model none]

Gold: ``stance/evaluation/gold/polnear_dev_speaker_identity.jsonl`` gives, for every named gold
speaker of the PolNeAR dev speaker gold (person, organisation or media; 831 distinct
(article, name as written) pairs), the real-world entity it is, spelled one way across
articles ("Mr. Obama", "Obama" -> "Barack Obama"; "Scott" -> "Keith Lamont Scott" in one
article, "Bobby Scott" in another); its README section says how it was made. For every pair of
*detected* gold sources of those speakers in two different articles, the pair is linked in gold
when the entities are equal, and predicted linked when
:func:`stance.identity.corpus_speakers` gives the two predicted speakers one
``corpus_speaker_id``. Prints pairwise precision / recall / F1 for that and, as the baseline,
for linking by the predicted name as written (case and whitespace folded: what
``speaker_stances`` did before), and for the records' ``speaker_id``
(:func:`stance.identity.speaker_key`: one document's names, titles set aside, nothing linked). Sources whose entity the annotator could not tell are left
out. Pairs where the within-article speaker is already wrong count as they fall: the figure is
end to end over detected sources.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

#: the real-world entity of every named speaker of the dev speaker gold
IDENTITY_GOLD = Path(__file__).parent / "gold" / "polnear_dev_speaker_identity.jsonl"


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pairwise(gold: list[str], pred: list[str], docs: list[str]) -> dict[str, float]:
    """Pairwise P/R/F1 over cross-document pairs: counted through cluster sizes, not pair lists."""

    def linked(keys: list[str]) -> int:
        by_key = Counter(keys)
        same_doc = Counter(zip(keys, docs, strict=True))
        return sum(n * (n - 1) // 2 for n in by_key.values()) - sum(n * (n - 1) // 2 for n in same_doc.values())

    both = linked([f"{g}\x00{p}" for g, p in zip(gold, pred, strict=True)])
    g, p = linked(gold), linked(pred)
    precision = both / p if p else 0.0
    recall = both / g if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold_pairs": g, "predicted_pairs": p}


def evaluate(data: str | None = None, quote_model: str | None = None) -> dict[str, Any]:
    """The scores above (``data``: the PolNeAR folder, default as for the speaker gold)."""
    import pandas as pd

    import stance
    from stance.evaluation.speakers import DEFAULT_GOLD, SpeakerEvaluator
    from stance.identity import corpus_speakers, speaker_key

    nlp = stance.load(quote_model=quote_model, precision="float32", progress=False)
    ev = SpeakerEvaluator(data, "dev", gold=DEFAULT_GOLD, bootstrap=0)
    ev(nlp)
    entity = {(r["doc"], r["speaker"]): r["entity"] for r in _read(IDENTITY_GOLD)}
    items = [
        i for i in ev.items
        if i.detected and i.predicted_name and not entity.get((i.gold["doc"], i.gold["speaker"]), "UNCLEAR").startswith("UNCLEAR")
    ]
    frame = pd.DataFrame({"doc": [i.gold["doc"] for i in items], "speaker": [i.predicted_name for i in items],
                          "speaker_type": [i.predicted_type for i in items]})
    linked = corpus_speakers(frame)
    docs = list(frame["doc"])
    gold_names = [entity[(i.gold["doc"], i.gold["speaker"])] for i in items]
    as_written = [f"{t}:{' '.join(str(s).split()).casefold()}" for s, t in zip(frame["speaker"], frame["speaker_type"], strict=True)]
    return {
        "gold": IDENTITY_GOLD.name, "quote_model": quote_model or "none", "n_sources": len(items), "n_docs": len(set(docs)),
        "corpus_speakers": pairwise(gold_names, list(linked["corpus_speaker_id"]), docs),
        "speaker_id": pairwise(gold_names, [speaker_key(s, t, d) for s, t, d in zip(frame["speaker"], frame["speaker_type"], docs,
                                                                                     strict=True)], docs),
        "names_as_written": pairwise(gold_names, as_written, docs),
    }

