"""What does the learned pronoun ranker cost? Times the speaker stage alone (the resolver) with
the rules alone and with the default ranker, on the same parses and quotes.

    python benchmarks/speaker_stage.py --data ../shared/data/polnear --split dev [--quote-model none]

Every article of the split is parsed once and its quotes extracted once (by the rules unless
``--quote-model`` names a tagger); each resolver then runs over all of them ``--repeat`` times.
Prints seconds per pass (the best of the repeats), the number of quotes, and how many quotes
got a different speaker name from the two resolvers.
"""

from __future__ import annotations

import argparse
import json
import time

import stance
from stance._nlp import ParsedText, load_spacy
from stance.attribution import ResolverConfig, RuleResolver
from stance.data.polnear import read_polnear


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--quote-model", default="none", help="the quotes to resolve: none (rules), default, fast or a directory")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    articles = read_polnear(args.data, args.split)
    nlp = load_spacy()
    parsed = [ParsedText.from_text(a.text, nlp) for a in articles]
    pipe = stance.load(quote_model=None if args.quote_model == "none" else args.quote_model, progress=False)
    quotes = pipe.extractor.predict_batch(parsed)
    out: dict[str, object] = {"split": args.split, "articles": len(articles), "quotes": sum(len(q) for q in quotes)}
    names: dict[str, list[str]] = {}
    for label, ranker in (("rules", None), ("rules+ranker", ResolverConfig().ranker)):
        resolver = RuleResolver(ResolverConfig(ranker=ranker))
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            results = [resolver(p, q) for p, q in zip(parsed, quotes, strict=True)]
            best = min(best, time.perf_counter() - t0)
        out[f"{label}_seconds"] = round(best, 3)
        names[label] = [r.clusters[k].name for r in results for k in r.quote_cluster]
    out["quotes_with_another_speaker"] = sum(a != b for a, b in zip(names["rules"], names["rules+ranker"], strict=True))
    print(json.dumps(out, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
