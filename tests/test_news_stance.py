"""News-quote stance: target selection, the gold files, the news readers, the article-level
bootstrap, the news evaluation, the "news" training recipe and per-speaker aggregation.

Fixture data (a two-article PolNeAR split, its news gold, VAST train, directed sentiment) is
written to ``tmp_path``; the shipped gold files are checked against the real PolNeAR only where
``../shared/data/polnear`` exists.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from test_stance_model import _write, data_dir, tiny_base, tiny_clf  # noqa: F401  (fixtures)

import stance
from stance.aggregate import speaker_stances
from stance.data.news_stance import (
    TARGETS,
    annotation_sheet,
    article_targets,
    default_gold,
    paragraph_at,
    quote_units,
    read_news_stance,
)
from stance.data.polnear import Attribution, PolnearArticle
from stance.data.stance_sets import read_directed_sentiment, read_news_quotes, read_vast
from stance.evaluation.stance_eval import StanceEvaluator
from stance.evaluation.stance_metrics import accuracy, group_bootstrap_ci, macro_f1

GOLD = Path(stance.__file__).parent / "evaluation" / "gold"
POLNEAR = Path("..") / "shared" / "data" / "polnear"

ART_A = (
    "Senator Vell attacks plan.\n\n"
    "Senator Mara Vell said on Monday that Mr. Okonkwo's tax plan was a disaster. "
    "\"It will ruin families,\" she said.\n\n"
    "Okonkwo defended the plan. \"It is the best plan we have,\" he said.\n"
)
ART_B = "Okonkwo rally draws crowd.\n\nThe crowd cheered. \"We love Okonkwo,\" a supporter said. Okonkwo waved.\n"


def _span(text: str, needle: str) -> tuple[int, int]:
    i = text.index(needle)
    return i, i + len(needle)


def _ann(text: str, source: str, cue: str, content: str) -> str:
    lines, k = [], 0
    for label, needle in (("Source", source), ("Cue", cue), ("Content", content)):
        a, b = _span(text, needle)
        k += 1
        lines.append(f"T{k}\t{label} {a} {b}\t{needle}")
    return "\n".join(lines) + "\nE1\tAttribution:T2 Source:T1 Cue:T2 Content:T3\n"


@pytest.fixture()
def news_dir(data_dir: Path) -> Path:  # noqa: F811
    """``data_dir`` plus a PolNeAR train/dev split, news gold for both, VAST train, directed sentiment."""
    pol = data_dir / "polnear"
    for split, art, text, att in (
        ("train", "a_2016-01-01_vell", ART_A, ("she", "said", "It will ruin families,")),
        ("dev", "b_2016-01-02_rally", ART_B, ("a supporter", "said", "We love Okonkwo,")),
    ):
        _write(pol / split / "text" / f"{art}.txt", text)
        _write(pol / split / "attributions" / f"{art}_x1.ann", _ann(text, *att))
    gold = data_dir / "gold"
    for split, art, text, content, speaker, label in (
        ("train", "a_2016-01-01_vell", ART_A, "It will ruin families,", "Mara Vell", "against"),
        ("dev", "b_2016-01-02_rally", ART_B, "We love Okonkwo,", "anonymous", "favor"),
    ):
        a, b = _span(text, content)
        rec = {"doc": art, "split": split, "content_start": a, "content_end": b, "target": "Okonkwo", "label": label,
               "speaker": speaker}
        _write(gold / f"{split}.jsonl", json.dumps(rec) + "\n")
    rows = ["author,post,ori_topic,ori_id,new_topic,label,type_idx,new_id,arc_id,text,pos_text,text_s,topic,topic_str,seen?,contains_topic?"]
    for i, (post, lab) in enumerate([("Guns kill people.", 0), ("Guns protect us.", 1), ("#NAME?", 2), ("Some facts.", 2)]):
        rows.append(f"a{i},{post},gun,{i},gun,{lab},1,{i},x,t,p,s,gun,gun control,1,1")
    (data_dir / "vast").mkdir(parents=True, exist_ok=True)
    with gzip.open(data_dir / "vast" / "vast_train.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    dse = (
        "[Obama] praised [Biden] warmly.\tObama\tBiden\t1\n"
        "[Cruz] was attacked by [Trump].\tCruz\tTrump\t4\n"
        "[Cruz] was attacked by [Trump].\tCruz\tTrump\t4\n"
        "[Pelosi] met [Ryan].\tPelosi\tRyan\t0\n"
    )
    for split in ("train", "valid", "test"):
        _write(data_dir / "directed_sentiment" / f"{split}.txt", dse if split == "train" else dse + "\"[A] said \"\"no\"\" to [B].\"\tA\tB\t3\n")
    return data_dir


# ---------------------------------------------------------------------------- target selection
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trump spoke. Trump left. Clinton waited. Clinton spoke.", ["Donald Trump", "Hillary Clinton"]),
        ("Bill Clinton spoke. Bill Clinton left.", []),  # the former president is not the candidate
        ("Obamacare, Obamacare, Obamacare.", ["Obamacare"]),  # not Obama
        ("Trump once. Clinton once.", []),  # one mention is not enough
        ("The Clinton Foundation and the Clinton Foundation.", ["the Clinton Foundation"]),
        ("Trump Trump Trump Trump Clinton Clinton Clinton Obama Obama Sanders Sanders",  # ties: by name
         ["Donald Trump", "Hillary Clinton", "Barack Obama"]),
        ("Trump Trump Trump Clinton Clinton Clinton Cruz Cruz", ["Donald Trump", "Hillary Clinton", "Ted Cruz"]),
    ],
)
def test_article_targets(text: str, expected: list[str]) -> None:
    assert article_targets(text) == expected


def test_article_targets_keeps_a_slot_for_a_non_candidate() -> None:
    text = "Trump " * 9 + "Clinton " * 9 + "the FBI, the FBI."
    assert article_targets(text, k=2) == ["Donald Trump", "the FBI"]


def test_catalogue_names_several_kinds_of_target() -> None:
    kinds = {kind for kind, _ in TARGETS.values()}
    assert kinds == {"person", "party", "organisation", "policy"}


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        ("One.\n\nTwo, he said.\n\nThree.", "he", "Two, he said."),
        ("One.\nTwo, he said.\nThree.", "he", "Two, he said."),  # no blank lines: single line breaks
        ("Only one paragraph.", "one", "Only one paragraph."),
    ],
)
def test_paragraph_at(text: str, needle: str, expected: str) -> None:
    a, b = paragraph_at(text, text.index(needle))
    assert text[a:b] == expected


def test_quote_units_and_sheet() -> None:
    s, c, q = _span(ART_A, "she"), _span(ART_A, "said."), _span(ART_A, "It will ruin families,")
    art = PolnearArticle("a", ART_A, (Attribution((s,), (c,), (q,)), Attribution((s,), (c,), ())))
    units = quote_units(art)
    assert len(units) == 1  # the attribution without content is no unit
    assert units[0].content == "It will ruin families," and units[0].source == "she"
    assert ART_A[slice(*units[0].paragraph)].startswith("Senator Mara Vell said")
    sheet = annotation_sheet(art, units, ["Okonkwo"])
    assert "q0: source: \"she\"" in sheet and "Targets: 'Okonkwo'" in sheet and ART_A.strip() in sheet


# ---------------------------------------------------------------------------- readers
def test_read_news_stance_joins_text_speaker_and_paragraph(news_dir: Path) -> None:
    exs = read_news_stance(news_dir / "gold" / "train.jsonl", news_dir / "polnear")
    assert len(exs) == 1
    ex = exs[0]
    assert ex.quote == "It will ruin families," and ex.speaker == "Mara Vell" and ex.label == "against"
    assert "Senator Mara Vell said" in ex.context and "defended" not in ex.context
    assert ex.as_pair() == ("Mara Vell: It will ruin families,", "Okonkwo", ex.context)
    assert read_news_stance(news_dir / "gold" / "train.jsonl", news_dir / "polnear", context=False)[0].context == ""


def test_read_news_stance_names_a_missing_article(news_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"doc": "nope", "split": "dev", "content_start": 0, "content_end": 3, "target": "x",
                               "label": "favor"}) + "\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="'nope'"):
        read_news_stance(bad, news_dir / "polnear")


def test_news_quotes_reader(news_dir: Path) -> None:
    exs = read_news_quotes(news_dir, "dev", gold=news_dir / "gold" / "dev.jsonl")
    assert [(e.text, e.target, e.label, e.dataset, e.group) for e in exs] == [
        ("anonymous: We love Okonkwo,", "Okonkwo", "favor", "news", "b_2016-01-02_rally")
    ]
    assert exs[0].context and "crowd cheered" in exs[0].context
    with pytest.raises(ValueError, match="'dev' and 'train'"):
        default_gold("test")


def test_vast_train_reader_skips_spreadsheet_artefacts(news_dir: Path) -> None:
    exs = read_vast(news_dir, "train")
    assert [(e.text, e.target, e.label) for e in exs] == [
        ("Guns kill people.", "gun control", "against"), ("Guns protect us.", "gun control", "favor"),
        ("Some facts.", "gun control", "neutral"),
    ]


def test_directed_sentiment_mapping_and_dedup(news_dir: Path) -> None:
    exs = read_directed_sentiment(news_dir, "train")
    got = [(e.text.split(":")[0], e.target, e.label) for e in exs]
    assert got == [
        ("Obama", "Biden", "favor"),  # 1: p -> q positive
        ("Trump", "Cruz", "against"),  # 4: q -> p negative; the duplicate row is dropped
        ("Pelosi", "Ryan", "neutral"), ("Ryan", "Pelosi", "neutral"),  # 0: both directions
    ]
    assert "[" not in exs[0].text
    test = read_directed_sentiment(news_dir, "test")  # rows also in train are left out of test
    assert [(e.text.split(":")[0], e.target, e.label) for e in test] == [("A", "B", "against")]


# ---------------------------------------------------------------------------- metrics
def test_group_bootstrap_is_wider_than_item_bootstrap_for_clustered_errors() -> None:
    from stance.evaluation.stance_metrics import bootstrap_ci

    # errors come in whole articles: resampling items understates the uncertainty
    gold = ["favor"] * 100
    pred = (["favor"] * 10 + ["against"] * 10) * 5
    groups = [str(i // 10) for i in range(100)]
    lo_g, hi_g = group_bootstrap_ci(gold=gold, pred=pred, groups=groups, metric=accuracy, n=300)
    lo_i, hi_i = bootstrap_ci(gold=gold, pred=pred, metric=accuracy, n=300)
    assert hi_g - lo_g > hi_i - lo_i
    with pytest.raises(ValueError, match="groups"):
        group_bootstrap_ci(gold=gold, pred=pred, groups=groups[:5], metric=macro_f1)


def test_news_evaluator_inputs(news_dir: Path, tiny_clf: object) -> None:  # noqa: F811
    gold = news_dir / "gold" / "dev.jsonl"
    full = StanceEvaluator("news", news_dir, n_boot=20, gold=gold)
    res = full(tiny_clf)
    assert res["n"] == 1 and res["n_articles"] == 1 and res["inputs"] == "full" and set(res["per_target"]) == {"Okonkwo"}
    assert set(res["ci"]) >= {"macro_f1", "f1_favor", "f1_against", "f1_neutral"}
    assert full.examples[0].context
    speaker = StanceEvaluator("news", news_dir, inputs="speaker", n_boot=0, gold=gold).examples[0]
    quote = StanceEvaluator("news", news_dir, inputs="quote", n_boot=0, gold=gold).examples[0]
    assert speaker.context is None and speaker.text.startswith("anonymous: ")
    assert quote.context is None and quote.text == "We love Okonkwo,"
    with pytest.raises(ValueError, match="inputs"):
        StanceEvaluator("news", news_dir, inputs="everything", gold=gold)


def test_news_recipe_trains_on_all_sources(news_dir: Path, tiny_base: Path, tmp_path: Path) -> None:  # noqa: F811
    from stance.targets.train import build_training_data, train

    gold = news_dir / "gold" / "train.jsonl"
    tr, calib = build_training_data(news_dir, recipe="news", news_gold=gold, news_repeat=2)
    names = {e.dataset for e in tr} | {e.dataset for e in calib}
    assert {"vast", "dse", "news", "semeval"} <= names
    assert all(e.split == "train" for e in tr if e.dataset == "vast")
    news = [e for e in tr + calib if e.dataset == "news"]
    assert news and all(e.context for e in news)
    with pytest.raises(ValueError, match="recipe"):
        build_training_data(news_dir, recipe="tweets")
    out = tmp_path / "m"
    card = train(news_dir, out, recipe="news", news_gold=gold, epochs=1, batch_size=4, trained_layers=1, max_length=48,
                 base_model=str(tiny_base), evaluate=False, threads="1")
    assert card["recipe"] == "news" and "news" in card["label_mapping"]
    again = train(news_dir, tmp_path / "m2", recipe="news", news_gold=gold, init=out, epochs=1, batch_size=4,
                  max_length=48, evaluate=False, threads="1", max_steps=1)
    assert again["init"] == str(out) and again["hyperparameters"]["trained_layers"] == 1


# ---------------------------------------------------------------------------- per-speaker stance
def _quotes() -> pd.DataFrame:
    return pd.DataFrame({
        "doc": ["d1", "d1", "d2", "d1", "d2", "d1", "d2"],
        "speaker": ["Ann Li", "ann  li", "Ann Li", "Bo", "Bo", "a senior source", "a senior source"],
        "speaker_type": ["person", "person", "person", "person", "person", "anonymous", "anonymous"],
        "text": ["q1", "q2", "q3", "q4", "q5", "q6", "q7"],
        "stance_the plan": ["against", "against", "favor", "favor", "against", "neutral", "favor"],
        "stance_the plan_score": [0.9, 0.8, 0.6, 0.7, 0.7, 0.9, 0.55],
    })


def test_speaker_stances_aggregates_across_documents() -> None:
    out = speaker_stances(_quotes())
    by = {(r.speaker.casefold(), r.n_docs): r for r in out.itertuples()}
    ann = by[("ann li", 2)]  # spelling variants of one name are one speaker
    assert (ann.label, ann.n_quotes, ann.n_favor, ann.n_against) == ("against", 3, 1, 2)
    assert ann.net_stance == pytest.approx((-0.9 - 0.8 + 0.6) / 3, abs=1e-4)
    assert ann.score == pytest.approx(0.85) and ann.quotes[:2] == ["q1", "q2"]
    assert by[("bo", 2)].label == "mixed"
    # an anonymous source is per document: two articles' "a senior source" are two rows
    anon = out[out.speaker_type == "anonymous"]
    assert sorted(anon.label) == ["favor", "neutral"] and set(anon.n_docs) == {1}
    unknown = speaker_stances(_quotes().assign(speaker="unknown", speaker_type="unknown"))
    assert len(unknown) == 2 and set(unknown.n_docs) == {1}  # quotes without a source: per document too


@pytest.mark.parametrize(
    ("kwargs", "labels"),
    [
        ({"min_score": 0.75}, {"Ann Li": "against", "Bo": "neutral"}),  # low-confidence labels count as neutral
        ({"min_quotes": 3}, {"Ann Li": "against"}),
    ],
)
def test_speaker_stances_thresholds(kwargs: dict, labels: dict) -> None:
    out = speaker_stances(_quotes(), **kwargs)
    got = {r.speaker: r.label for r in out.itertuples() if r.speaker_type == "person"}
    assert got == labels


def test_speaker_stances_errors_and_empty() -> None:
    with pytest.raises(ValueError, match="targets present"):
        speaker_stances(_quotes(), ["the war"])
    with pytest.raises(ValueError, match="targets="):
        speaker_stances(_quotes().drop(columns=["stance_the plan", "stance_the plan_score"]))
    with pytest.raises(KeyError, match="speaker"):
        speaker_stances(_quotes().drop(columns=["speaker"]))
    empty = speaker_stances(_quotes().iloc[:0])
    assert len(empty) == 0 and "net_stance" in empty.columns


def test_document_stances(nlp: stance.Pipeline) -> None:
    doc = nlp('"It is a good plan," Jane Doe said. "It is a bad plan," Jane Doe added.')
    assert doc.stances().empty  # no targets were scored
    scored = stance.Document(
        doc.text, tuple(q.__class__(**{**q.__dict__, "stance": {"the plan": stance.StanceScore("favor", 0.9)}}) for q in doc.quotes),
        doc.speakers,
    )
    rows = scored.stances()
    assert list(rows.speaker) == ["Jane Doe"] and rows.loc[0, "label"] == "favor" and rows.loc[0, "n_quotes"] == 2


# ---------------------------------------------------------------------------- shipped gold
def _records(name: str) -> list[dict]:
    return [json.loads(line) for line in (GOLD / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_shipped_news_gold_files_are_well_formed() -> None:
    dev, train = _records("polnear_dev_stance.jsonl"), _records("polnear_train_stance.jsonl")
    assert len(dev) >= 800 and len({r["doc"] for r in dev}) >= 20
    for recs, split in ((dev, "dev"), (train, "train")):
        assert {r["split"] for r in recs} == {split}
        assert {r["label"] for r in recs} == {"favor", "against", "neutral"}
        assert len({(r["doc"], r["content_start"], r["content_end"], r["target"]) for r in recs}) == len(recs)
        assert all(0 <= r["content_start"] < r["content_end"] for r in recs)
    for r in dev:  # two passes, and every disagreement adjudicated
        assert len(r["pass_labels"]) == 2
        assert r["decided"] == ("agreed" if r["pass_labels"][0] == r["pass_labels"][1] else "adjudicated")
        assert r["decided"] == "adjudicated" or r["label"] == r["pass_labels"][0]
    assert len({r["target"] for r in dev}) >= 8  # people, parties, policies, organisations
    assert not {r["doc"] for r in dev} & {r["doc"] for r in train}
    assert {r["target_source"] for r in train} == {"catalogue", "annotator"}
    by_article: dict[tuple[str, str], set[int]] = {}
    for r in train:  # every quote of an article is labelled for every target of that article
        by_article.setdefault((r["doc"], r["target"]), set()).add(r["q"])
    quotes = {d: set().union(*(q for (d2, _), q in by_article.items() if d2 == d)) for d, _ in by_article}
    assert all(q == quotes[d] for (d, _), q in by_article.items())


@pytest.mark.skipif(not (POLNEAR / "dev").is_dir(), reason="PolNeAR not beside the checkout")
def test_shipped_news_gold_matches_polnear() -> None:
    from stance.data.polnear import parse_ann

    for split in ("dev", "train"):
        records = _records(f"polnear_{split}_stance.jsonl")
        arts = {}
        for doc in sorted({r["doc"] for r in records}):  # only the articles the gold names
            text = (POLNEAR / split / "text" / f"{doc}.txt").read_text(encoding="utf-8")
            first = sorted((POLNEAR / split / "attributions").glob(f"{doc}_*.ann"))[0]
            arts[doc] = PolnearArticle(doc, text, parse_ann(first.read_text(encoding="utf-8"), text), first.stem.rpartition("_")[2])
        targets = {doc: article_targets(art.text) for doc, art in arts.items()}
        for r in records:
            art = arts[r["doc"]]
            assert f"{art.id}_{art.annotator}" == r["annotator_file"]
            assert any(att.content and att.content[0][0] == r["content_start"] and att.content[-1][1] == r["content_end"]
                       for att in art.attributions)
            if r.get("target_source", "catalogue") == "catalogue":
                assert r["target"] in targets[art.id]


# ---------------------------------------------------------------------------- pipeline inputs
ARTICLE = 'Mara Vell attacked the plan.\n\n"We will never accept it," Mara Vell said.\n\nThe Kremlin said the plan was dead.'


@pytest.mark.parametrize(
    ("extra", "stance_context", "with_context"),
    [
        ({"inputs": "speaker+context"}, None, True),  # a news model: as it was trained
        ({}, None, False),  # the benchmarks model reads the quote alone
        ({}, True, True),  # forced on
        ({"inputs": "speaker+context"}, False, False),  # forced off (cheaper)
    ],
)
def test_pipeline_gives_a_news_model_speaker_and_paragraph(
    tiny_clf: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict, stance_context: bool | None,  # noqa: F811
    with_context: bool,
) -> None:
    from dataclasses import replace

    from stance.targets import StanceClassifier

    tiny_clf.config = replace(tiny_clf.config, extra=extra)  # type: ignore[attr-defined]
    path = tiny_clf.save_pretrained(tmp_path / "m")  # type: ignore[attr-defined]
    seen: dict[str, object] = {}
    real = StanceClassifier.predict_grid

    def spy(self: StanceClassifier, texts: list, targets: list, contexts: object = None, **kw: object) -> object:
        seen.update(texts=texts, contexts=contexts)
        return real(self, texts, targets, contexts, **kw)

    monkeypatch.setattr(StanceClassifier, "predict_grid", spy)
    doc = stance.load(quote_model=None, stance_model=str(path), stance_context=stance_context)(ARTICLE, targets=["the plan"])
    quote = next(q for q in doc.quotes if "never accept" in q.text)
    i = doc.quotes.index(quote)
    if with_context:
        assert seen["texts"][i] == f"{quote.speaker.name}: {quote.text}"  # type: ignore[index]
        context = seen["contexts"][i]  # type: ignore[index]
        assert "never accept" not in context and "said" in context and "Kremlin" not in context
    else:
        assert seen["texts"][i] == quote.text and seen["contexts"] is None  # type: ignore[index]


# ---------------------------------------------------------------------------- the shipped model
_NAMES = [  # invented names from several cultures: the labels must not depend on knowing them
    ("Mara Vell", "Vell", "Tomas Okonkwo", "Okonkwo"), ("Aiko Tanaka", "Tanaka", "Rafael Mendoza", "Mendoza"),
    ("Ingrid Solberg", "Solberg", "Kwame Asante", "Asante"), ("Priya Raman", "Raman", "Dmitri Volkov", "Volkov"),
]


@pytest.mark.parametrize(
    ("text", "target", "context", "label"),
    [
        ('{A}: "{b} is a liar and a disgrace to this country,"', "{B}", "Senator {AF} attacked her rival on Monday. … she said.", "against"),
        ('{A}: "{b} will make this country strong again. I trust him completely,"', "{B}",
         "At a rally, {AF}, a longtime ally of {b}, spoke. … she said.", "favor"),
        ('{A}: "The hearing is scheduled for Tuesday,"', "{B}", "{AF}, a court spokeswoman, said of the case against {b}. …", "neutral"),
        ('{A}: "We will never accept his plan,"', "{B}", "{AF} rejected the tax plan that {b} announced last week. … she said.", "against"),
    ],
)
def test_shipped_news_model_does_not_depend_on_knowing_the_names(text: str, target: str, context: str, label: str) -> None:
    from stance.pipeline import NEWS_STANCE_MODEL
    from stance.targets import StanceClassifier

    clf = StanceClassifier.from_pretrained(NEWS_STANCE_MODEL)
    assert clf.config.extra["inputs"] == "speaker+context"
    for a_full, a, b_full, b in _NAMES:
        f = {"A": a, "AF": a_full, "b": b, "B": b_full}
        got = clf.predict([text.format(**f)], [target.format(**f)], [context.format(**f)])[0]
        assert str(got.label) == label, (a_full, b_full, got)


def test_self_repeat_oversamples_pairs_whose_speaker_is_the_target(news_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stance.data.stance_sets import StanceExample
    from stance.targets import train as train_mod

    def fake_news(root: object, split: str, gold: object = None) -> list[StanceExample]:
        out = []
        for i in range(40):  # 40 articles: Okonkwo on Okonkwo, and Mara Vell on Okonkwo
            for speaker in ("Ada Okonkwo", "Mara Vell"):
                out.append(StanceExample(f"{speaker}: q{i}", "Ada Okonkwo", "favor", "news", "train", group=f"d{i}",
                                         context="c", extras={"speaker": speaker}))
        return out

    monkeypatch.setattr(train_mod, "read_news_quotes", fake_news)
    counts = {}
    for k in (1, 3):
        tr, _ = train_mod.build_training_data(news_dir, recipe="news", news_repeat=2, self_repeat=k)
        news = [e for e in tr if e.dataset == "news"]
        counts[k] = (sum(e.extras["speaker"] == "Ada Okonkwo" for e in news), sum(e.extras["speaker"] == "Mara Vell" for e in news))
    assert counts[1][0] == counts[1][1] > 0  # seen as often as the others
    assert counts[3] == (3 * counts[1][0], counts[1][1])  # three times as often, the others unchanged
    with pytest.raises(ValueError, match="self_repeat"):
        train_mod.build_training_data(news_dir, recipe="news", self_repeat=0)
