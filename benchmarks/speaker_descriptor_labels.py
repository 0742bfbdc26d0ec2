"""The default resolver on the descriptor training labels (``polnear_train_descriptor_speakers.jsonl``,
451 sources of 144 PolNeAR train articles): a diagnostic for the descriptor linker, not a gold-set score.

    python benchmarks/speaker_descriptor_labels.py [--data ../shared/data/polnear] [--speaker-model novels]

Per labelled type, among sources whose quote the pipeline finds (its mention overlaps the source):
a named speaker is right when the predicted speaker has the labelled name or a mention overlapping the
labelled antecedent; an unnamed one (anonymous, group, unknown) when the predicted type is the
labelled type. Prints counts and accuracies (float32, default pipeline).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict

import stance
from stance.data.polnear import read_polnear
from stance.evaluation.speakers import DEFAULT_GOLD, _same_name

LABELS = DEFAULT_GOLD.parent / "polnear_train_descriptor_speakers.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--speaker-model", default="default")
    args = ap.parse_args()
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_doc[r["doc"]].append(r)
    arts = {a.id: a for a in read_polnear(args.data, "train") if a.id in by_doc}
    ids = sorted(by_doc)
    nlp = stance.load(precision="float32", progress=False, speaker_model=args.speaker_model)
    counts: Counter[tuple[str, str]] = Counter()
    for doc_id, doc in zip(ids, nlp.pipe([arts[i].text for i in ids]), strict=True):
        for r in by_doc[doc_id]:
            q = next((q for q in doc.quotes if q.mention is not None
                      and q.mention.start < r["source_end"] and r["source_start"] < q.mention.end), None)
            unnamed = r["antecedent_start"] is None
            key = f"unnamed {r['type']}" if unnamed else r["type"]
            if q is None:
                counts[key, "not detected"] += 1
                continue
            sp = q.speaker
            if unnamed:
                ok = str(sp.type) == r["type"]
            else:
                ok = _same_name(sp.name, r["speaker"]) or any(
                    m.start < r["antecedent_end"] and r["antecedent_start"] < m.end for m in sp.mentions)
            counts[key, "right" if ok else "wrong"] += 1
    out = {}
    for key in sorted({k for k, _ in counts}):
        right, wrong, missed = counts[key, "right"], counts[key, "wrong"], counts[key, "not detected"]
        out[key] = {"n": right + wrong + missed, "detected": right + wrong,
                    "accuracy_on_detected": round(100 * right / max(1, right + wrong), 1)}
    print(json.dumps(out, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
