"""Does the news stance model gain when its context reaches back to where the target is named?

    python benchmarks/stance_target_sentence.py --data ../shared/data [--split dev] [--max-chars 200]

Most news quotes never name the target, and neither does their paragraph: the bundled example's
"We will not accept a peace that rewards aggression" is against "the US peace plan" only
through the article around it. This runs the shipped news model (float32, without its screen)
on the news-quote gold twice: with the context it was trained on (the quote's paragraph), and
with that context led by the nearest earlier sentence of the article that names the target
(``stance.data.news_stance.target_named``; at most ``--max-chars`` characters of it) wherever
neither the quote nor its paragraph names it. Prints macro-F1 and per-class F1 of both, and the
gold and predicted labels of the pairs whose context changed. An inference-time experiment:
the model was not trained with such contexts (docs/for-or-against-what.md has the result).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections import Counter

import stance
from stance.data.news_stance import default_gold, paragraph_at, read_news_stance, target_named
from stance.data.polnear import read_polnear
from stance.evaluation.stance_metrics import class_f1, macro_f1

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'\u201d\u2019]?|\n|$)")


def target_sentence(text: str, before: int, target: str, max_chars: int) -> str | None:
    """The last sentence of ``text[:before]`` that names ``target``, cut to ``max_chars``."""
    for m in reversed(list(_SENTENCE.finditer(text, 0, before))):
        sentence = m.group().strip()
        if sentence and target_named(sentence, target):
            return sentence[:max_chars]
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("STANCE_DATA", "../shared/data"))
    ap.add_argument("--split", default="dev", help="the news-stance gold split (dev: the model-selection set)")
    ap.add_argument("--max-chars", type=int, default=200)
    args = ap.parse_args()
    polnear = os.path.join(args.data, "polnear")
    examples = read_news_stance(default_gold(args.split), polnear)
    texts = {a.id: a.text for a in read_polnear(polnear, args.split)}
    clf = stance.load(quote_model=None, stance_screen=False, precision="float32", progress=False).stance
    labels = list(clf.config.labels)
    gold = [e.label for e in examples]
    reached: list[str] = []
    for e in examples:
        context = e.context
        if not target_named(e.quote, e.target) and not target_named(e.context, e.target):
            text = texts[e.doc]
            found = target_sentence(text, paragraph_at(text, e.content_start)[0], e.target, args.max_chars)
            if found:
                context = f"{found} … {e.context}".strip()
        reached.append(context)
    out: dict[str, object] = {"split": args.split, "pairs": len(examples)}
    pairs = [e.as_pair() for e in examples]
    for name, contexts in (("paragraph", [e.context for e in examples]), ("target_sentence", reached)):
        probs = clf.probabilities([p[0] for p in pairs], [p[1] for p in pairs], contexts,
                                  speakers=[e.speaker or None for e in examples])
        pred = [labels[i] for i in probs.argmax(dim=-1).tolist()]
        f1 = {k: class_f1(gold=gold, pred=pred, label=k) for k in labels}
        row: dict[str, object] = {"macro_f1": round(100 * macro_f1(gold=gold, pred=pred, labels=labels), 1),
                                  **{f"f1_{k}": round(100 * v, 1) for k, v in f1.items()}}
        if name == "target_sentence":
            changed = [i for i, (c, e) in enumerate(zip(contexts, examples, strict=True)) if c != e.context]
            row.update(changed=len(changed), changed_gold=dict(Counter(gold[i] for i in changed)),
                       changed_pred=dict(Counter(pred[i] for i in changed)))
        out[name] = row
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
