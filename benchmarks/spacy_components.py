"""Where the spaCy parse spends its time: each component of the pipeline's spaCy model timed on
its own over the paragraphs of PolNeAR dev articles (as the pipeline parses them, paragraph by
paragraph), in one run.

    python benchmarks/spacy_components.py --data ../shared/data/polnear [--articles 84] [--threads 1]

Prints seconds and share per component, and which token attributes the rules and the speaker
resolver read from each (so which component could be dropped: none, see docs/speed.md).
"""

from __future__ import annotations

import argparse
import json
import time

from stance._nlp import DEFAULT_SPACY_MODEL, chunk_text
from stance.data.polnear import read_polnear

#: what ``ParsedText`` keeps of each component's output, and who reads it
USES = {
    "tok2vec": "the features the tagger and parser read",
    "tagger": "Token.tag (NNS/NNPS plurals, DT/PRP$ determiners) in the resolver and extractor",
    "parser": "Token.dep / head / sentences: cue verbs, their subjects and complements, sentence bounds",
    "attribute_ruler": "Token.pos (PROPN / NOUN / PRON / VERB) from the tags, read everywhere",
    "lemmatizer": "Token.lemma: speech verbs (said -> say), source nouns, descriptor heads",
    "ner": "entities: speaker types (PERSON / ORG / NORP / GPE), names, mention spans",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/polnear")
    ap.add_argument("--articles", type=int, default=84)
    ap.add_argument("--repeat", type=int, default=2, help="best of this many passes per component")
    args = ap.parse_args()
    import spacy

    nlp = spacy.load(DEFAULT_SPACY_MODEL)
    paragraphs = [c.text for a in read_polnear(args.data, "dev")[: args.articles] for c in chunk_text(a.text)]
    list(nlp.pipe(paragraphs[:50]))  # warm up
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        docs = [nlp.make_doc(p) for p in paragraphs]
        times = {"tokenizer": time.perf_counter() - start}
        for name, proc in nlp.pipeline:
            start = time.perf_counter()
            docs = list(proc.pipe(docs, batch_size=64))
            times[name] = time.perf_counter() - start
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    total = sum(best.values())
    rows = {k: {"seconds": round(v, 2), "share": round(100 * v / total, 1), "used_for": USES.get(k, "")} for k, v in best.items()}
    print(json.dumps({"model": DEFAULT_SPACY_MODEL, "articles": args.articles, "paragraphs": len(paragraphs),
                      "seconds": round(total, 2), "disabled": list(nlp.disabled), "components": rows}, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
