"""Span metrics and the PolNeAR-format evaluator, on a fixture corpus written for these tests."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

import stance
import stance.evaluation.metrics
import stance.evaluation.speakers
import stance.pipeline
from stance._nlp import chunk_text
from stance.cli import main
from stance.data.polnear import parse_ann, read_polnear
from stance.evaluation import AttributionEvaluator, span_counts

TEXT = '"We will win," Jane Doe said. Talks failed, the official said.\n'
ANN = "\n".join(
    [
        "T1\tContent 0 14\t\"We will win,\"",
        "T2\tSource 15 23\tJane Doe",
        "T3\tCue 24 28\tsaid",
        "T4\tAttribution 24 28\tsaid",
        "E1\tAttribution:T4 Content:T1 Source:T2 Cue:T3",
        "T5\tContent 30 42\tTalks failed",
        "T6\tSource 44 56\tthe official",
        "T7\tCue 57 61\tsaid",
        "T8\tAttribution 57 61\tsaid",
        "E2\tAttribution:T8 Content:T5 Source:T6 Cue:T7",
    ]
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    for split in ("dev", "other"):
        (tmp_path / split / "text").mkdir(parents=True)
        (tmp_path / split / "attributions").mkdir(parents=True)
        (tmp_path / split / "text" / "pub_2016_art.txt").write_text(TEXT, encoding="utf-8")
        (tmp_path / split / "attributions" / "pub_2016_art_a1.ann").write_text(ANN, encoding="utf-8")
        # a second annotator: ignored (the first file in sorted order is used)
        (tmp_path / split / "attributions" / "pub_2016_art_b2.ann").write_text("", encoding="utf-8")
    return tmp_path


def _modules_with_examples() -> list[str]:
    """Every module of the package whose docstrings hold examples (optional extras skipped)."""
    import importlib
    import pkgutil

    names = ["stance"] + [m.name for m in pkgutil.walk_packages(stance.__path__, "stance.") if not m.name.endswith("__main__")]
    out = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional extra (e.g. pyspark) that is not installed
            continue
        examples = [e for t in doctest.DocTestFinder().find(module) for e in t.examples]
        if any(not e.options.get(doctest.SKIP) for e in examples):  # skipped ones show usage only
            out.append(name)
    return out


@pytest.mark.parametrize("name", _modules_with_examples())
def test_doctests(name: str) -> None:
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0


def test_doctests_cover_the_documented_modules() -> None:
    assert {"stance", "stance.pipeline", "stance.evaluation.metrics", "stance.attribution.resolver",
            "stance.quotes.extractor", "stance.quotes.hybrid"} <= set(_modules_with_examples())


def test_chunk_text_doctest() -> None:
    assert [(c.offset, c.text) for c in chunk_text("a b\n\n c", max_chars=2)] == [(0, "a "), (2, "b"), (6, "c")]


def test_reader_parses_relations_and_discontinuous_spans() -> None:
    text = '"A," he said. "B."'
    ann = "T1\tContent 0 4;14 18\t\"A,\" \"B.\"\nT2\tSource 5 7\the\nT3\tCue 8 12\tsaid\nE1\tAttribution:T3 Content:T1 Source:T2 Cue:T3"
    (rel,) = parse_ann(ann, text)
    assert rel.content == ((0, 4), (14, 18)) and rel.source == ((5, 7),) and rel.cue == ((8, 12),)


def test_reader_picks_first_annotator(corpus: Path) -> None:
    (art,) = read_polnear(corpus, "dev")
    assert art.annotator == "a1" and len(art.attributions) == 2 and art.publisher == "pub"


@pytest.mark.parametrize(
    ("pred", "gold", "exact_tp", "op", "or_"),
    [
        ([(0, 5)], [(0, 5)], 1, 1.0, 1.0),
        ([(0, 5)], [(6, 9)], 0, 0.0, 0.0),
        ([], [(0, 5)], 0, 0.0, 0.0),
        ([(0, 9)], [(0, 5)], 0, 0.5, 1.0),
        ([(0, 5), (0, 5)], [(0, 5)], 1, 1.0, 1.0),  # duplicates count once
    ],
)
def test_span_counts(pred: list[tuple[int, int]], gold: list[tuple[int, int]], exact_tp: int, op: float, or_: float) -> None:
    c = span_counts(text="aaaa bbbb cccc", pred=pred, gold=gold)
    assert (c.exact_tp, c.overlap_p, c.overlap_r) == (exact_tp, op, or_)


def test_evaluator_end_to_end(corpus: Path, nlp: stance.Pipeline) -> None:
    result = AttributionEvaluator(corpus, "dev", bootstrap=50)(nlp)
    assert result["n_docs"] == 1
    for role in ("source", "cue", "content"):
        assert result[f"{role}_exact_f1"] == 1.0
    assert result["content_direct_n_gold"] == 1 and result["content_indirect_n_gold"] == 1



def test_span_errors_of_no_documents_keep_their_columns() -> None:
    from stance.evaluation.attribution import span_errors

    errors = span_errors([], "content")
    assert errors.empty and {"error", "gold_kind", "publisher"} <= set(errors.columns)
    assert errors.groupby(["error", "gold_kind"]).size().empty

def test_cli_evaluate_json_any_split(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "attribution", "--data", str(corpus), "--split", "other", "--format", "json", "--bootstrap", "0", "--quote-model", "none"]) == 0
    result = json.loads(capsys.readouterr().out)
    keys = {"source_exact_f1", "cue_exact_f1", "content_exact_f1", "source_overlap_f1", "cue_overlap_f1", "content_overlap_f1", "n_docs"}
    assert keys <= set(result)


def test_cli_evaluate_missing_split(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "attribution", "--data", str(corpus), "--split", "nope"]) == 1
    assert "no PolNeAR split 'nope'" in capsys.readouterr().err


SPEAKER_TEXT = (
    "Jane Doe arrived in Brussels. She said the plan was dead. A senior source familiar with the matter "
    "said talks had stalled. The official said Kyiv would object. Another source said nothing was agreed.\n"
)


def _speaker_gold(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "corpus"
    (root / "dev" / "text").mkdir(parents=True)
    (root / "dev" / "attributions").mkdir(parents=True)
    (root / "dev" / "text" / "pub_x.txt").write_text(SPEAKER_TEXT, encoding="utf-8")
    (root / "dev" / "attributions" / "pub_x_a1.ann").write_text("", encoding="utf-8")

    def span(s: str, nth: int = 0) -> tuple[int, int]:
        i = -1
        for _ in range(nth + 1):
            i = SPEAKER_TEXT.index(s, i + 1)
        return i, i + len(s)

    rows = []
    for mention, form, speaker, type_, ante, cluster in [
        ("She", "pronoun", "Jane Doe", "person", span("Jane Doe"), None),
        ("A senior source familiar with the matter", "descriptor", "anonymous", "anonymous", span("A senior source familiar with the matter"), "anon1"),
        ("The official", "descriptor", "anonymous", "anonymous", span("A senior source familiar with the matter"), "anon1"),
        ("Another source", "descriptor", "anonymous", "anonymous", span("Another source"), "anon2"),
    ]:
        a, b = span(mention)
        rows.append({"doc": "pub_x", "annotator_file": "pub_x_a1", "source_start": a, "source_end": b, "form": form,
                     "speaker": speaker, "type": type_, "antecedent_start": ante[0], "antecedent_end": ante[1],
                     "cluster": cluster, "pass": 1})
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root, gold


def test_speaker_evaluator(tmp_path: Path, nlp: stance.Pipeline) -> None:
    from stance.evaluation.speakers import SpeakerEvaluator

    root, gold = _speaker_gold(tmp_path)
    ev = SpeakerEvaluator(root, "dev", gold=gold, bootstrap=20)
    result = ev(nlp)
    assert result["n_pronoun_descriptor"] == 4 and result["coverage_pronoun_descriptor"] == 1.0
    assert result["accuracy_pronoun_descriptor"] == 1.0, ev.errors().to_dict("records")
    assert result["anonymous_f1"] == 1.0 and result["type_macro_f1"] == 1.0
    # no error: an empty table that still groups by its columns (notebook 02 on a small sample)
    errors = ev.errors()
    assert errors.empty and errors.groupby(["error", "form", "gold_type"]).size().empty


def test_speaker_evaluator_catches_a_merged_anonymous_source(tmp_path: Path, nlp: stance.Pipeline) -> None:
    from stance.evaluation.speakers import SpeakerEvaluator

    root, gold = _speaker_gold(tmp_path)
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    rows[3]["cluster"] = "anon1"  # claim the second source is the first one: the prediction keeps them apart
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = SpeakerEvaluator(root, "dev", gold=gold, bootstrap=0)(nlp)
    assert result["accuracy_pronoun_descriptor"] == 0.25  # only the pronoun stays right


def test_speaker_evaluator_anonymity_only_gold(tmp_path: Path, nlp: stance.Pipeline) -> None:
    """A gold set labelled only for anonymity: its other sources are possible false alarms, not
    accuracy items; a named source wrongly called anonymous lowers precision."""
    from stance.evaluation.speakers import SpeakerEvaluator

    root, gold = _speaker_gold(tmp_path)
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    for r in rows:
        r["scope"] = "anonymity"
        if r["speaker"] != "anonymous":
            r.update(speaker="not anonymous", type=None, cluster=None)
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = SpeakerEvaluator(root, "dev", gold=gold, bootstrap=50)(nlp)
    assert result["n_anonymity_only"] == 1 and result["n_all"] == 3
    assert result["anonymous_n_gold"] == 3 and result["anonymous_recall_end_to_end"] == 1.0
    assert result["anonymous_f1"] == 1.0 and len(result["anonymous_f1_ci"]) == 2
    # the same pronoun source claimed anonymous: the prediction (a person) is a miss
    rows[0].update(speaker="anonymous", type="anonymous", cluster="anon9")
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = SpeakerEvaluator(root, "dev", gold=gold, bootstrap=0)(nlp)
    assert result["anonymous_recall"] == 0.75 and result["anonymous_precision"] == 1.0


GROUP_TEXT = (
    "Some experts said the plan would fail. Labor-policy experts said costs would rise. "
    "Other experts said the plan was fine.\n"
)


def test_speaker_evaluator_unnamed_groups(tmp_path: Path, nlp: stance.Pipeline) -> None:
    """Plural descriptors of one group are one speaker ("Some experts" = "Labor-policy
    experts"), "Other experts" another; the article's first speaker (id 0) is scored too."""
    from stance.evaluation.speakers import SpeakerEvaluator

    root = tmp_path / "corpus"
    (root / "dev" / "text").mkdir(parents=True)
    (root / "dev" / "attributions").mkdir(parents=True)
    (root / "dev" / "text" / "pub_g.txt").write_text(GROUP_TEXT, encoding="utf-8")
    (root / "dev" / "attributions" / "pub_g_a1.ann").write_text("", encoding="utf-8")
    rows = []
    for mention, speaker in [("Some experts", "unnamed: experts"), ("Labor-policy experts", "unnamed: experts"),
                             ("Other experts", "unnamed: other experts")]:
        a = GROUP_TEXT.index(mention)
        rows.append({"doc": "pub_g", "annotator_file": "pub_g_a1", "source_start": a, "source_end": a + len(mention),
                     "form": "descriptor", "speaker": speaker, "type": "group", "antecedent_start": None,
                     "antecedent_end": None, "cluster": None, "pass": 1})
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ev = SpeakerEvaluator(root, "dev", gold=gold, bootstrap=0)
    result = ev(nlp)
    assert result["coverage_descriptor"] == 1.0
    assert result["accuracy_descriptor"] == 1.0, ev.errors().to_dict("records")
    # gold that keeps the first two apart: the merged prediction is wrong for both
    rows[1]["speaker"] = "unnamed: labor-policy experts"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = SpeakerEvaluator(root, "dev", gold=gold, bootstrap=0)(nlp)
    assert abs(result["accuracy_descriptor"] - 1 / 3) < 1e-9


def test_cli_evaluate_speakers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, gold = _speaker_gold(tmp_path)
    assert main(["evaluate", "speakers", "--data", str(root), "--gold", str(gold), "--format", "json", "--bootstrap", "0", "--quote-model", "none"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"accuracy_pronoun", "accuracy_descriptor", "anonymous_f1", "type_macro_f1"} <= set(result)


# ---------------------------------------------------------------------------- the shipped gold sets
GOLD_DIR = Path(stance.evaluation.speakers.__file__).parent / "gold"
#: labels made to train on (the pronoun ranker, the descriptor linker), in their own format
TRAINING_LABELS = [GOLD_DIR / "polnear_train_pronoun_speakers.jsonl", GOLD_DIR / "polnear_train_descriptor_speakers.jsonl"]
SHIPPED_GOLD = sorted(  # the speaker sets (the news-stance files have their own test in test_news_stance.py,
    # the cross-document identity file its own below)
    p for p in GOLD_DIR.glob("*.jsonl")
    if "_stance" not in p.name and "_identity" not in p.name and p not in TRAINING_LABELS
)


@pytest.mark.parametrize("path", TRAINING_LABELS, ids=[p.name for p in TRAINING_LABELS])
def test_training_speaker_labels_are_well_formed(path: Path) -> None:
    """The training label files: documented fields, sorted and unique, an antecedent exactly for
    named speakers (pronouns: for every speaker but "unknown"), PolNeAR train only, and no
    article of a held-out speaker set."""
    from stance.attribution.train_ranker import held_out_docs

    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    keys = [(r["doc"], r["source_start"], r["source_end"]) for r in records]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    descriptor = "descriptor" in path.name
    allowed = {"doc", "split", "source_start", "source_end", "form", "speaker", "antecedent_start",
               "antecedent_end", "confidence", "batch"} | ({"type", "cataphora"} if descriptor else set())
    assert not {r["doc"] for r in records} & held_out_docs()
    for r in records:
        assert set(r) == allowed, set(r) ^ allowed
        assert r["split"] == "train" and r["form"] == ("descriptor" if descriptor else "pronoun")
        assert 0 <= r["source_start"] < r["source_end"] and str(r["speaker"]).strip()
        assert r["confidence"] in ("high", "low")
        a0, a1 = r["antecedent_start"], r["antecedent_end"]
        assert (a0 is None) == (a1 is None) and (a0 is None or a0 < a1)
        if descriptor:
            assert r["type"] in stance.evaluation.speakers.TYPES
            unnamed = r["speaker"] in ("anonymous", "group", "unknown")
            assert unnamed == (a0 is None), r
        else:
            assert (r["speaker"] == "unknown") <= (a0 is None)


def test_shipped_identity_gold_covers_the_named_dev_speakers() -> None:
    """One line per distinct (article, named speaker) of the dev speaker gold, an entity for each."""
    from stance.evaluation.identity import IDENTITY_GOLD, _read

    rows = _read(IDENTITY_GOLD)
    assert rows and all(set(r) == {"doc", "speaker", "type", "entity"} for r in rows)
    keys = [(r["doc"], r["speaker"]) for r in rows]
    assert len(set(keys)) == len(keys)
    named = {
        (r["doc"], r["speaker"]) for r in stance.evaluation.speakers.read_gold(stance.evaluation.speakers.DEFAULT_GOLD)
        if r["type"] in ("person", "organization", "media")
        and not str(r["speaker"]).startswith(("unnamed", "anonymous", "unknown"))
    }
    assert set(keys) == named
    assert all(str(r["entity"]).strip() for r in rows)


@pytest.mark.parametrize("path", SHIPPED_GOLD, ids=[p.name for p in SHIPPED_GOLD])
def test_shipped_speaker_gold_is_well_formed(path: Path) -> None:
    """Only the documented fields, sorted and unique; known forms and types; a cluster exactly
    for anonymous and unnamed speakers, and no antecedent for them."""
    records = stance.evaluation.speakers.read_gold(path)
    assert records
    keys = [(r["doc"], r["source_start"], r["source_end"]) for r in records]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    allowed = {"doc", "annotator_file", "source_start", "source_end", "form", "speaker", "type",
               "antecedent_start", "antecedent_end", "cluster", "pass", "scope"}
    for r in records:
        assert set(r) <= allowed, set(r) - allowed
        assert 0 <= r["source_start"] < r["source_end"]
        assert r["form"] in ("pronoun", "descriptor", "named")
        speaker = str(r["speaker"])
        clustered = speaker == "anonymous" or speaker.startswith("unnamed:")
        assert bool(r.get("cluster")) == clustered, r
        if r.get("scope") == "anonymity":  # labelled for anonymity only: no speaker name or type
            assert speaker in ("anonymous", "not anonymous")
            assert r["type"] == ("anonymous" if speaker == "anonymous" else None)
            continue
        assert r["type"] in stance.evaluation.speakers.TYPES
        assert (r["type"] == "anonymous") == (speaker == "anonymous"), r
        a0, a1 = r["antecedent_start"], r["antecedent_end"]
        assert (a0 is None) == (a1 is None)
        if speaker.startswith("unnamed:") or speaker == "unknown":
            assert a0 is None


def test_heldout_speaker_gold_has_its_second_pass() -> None:
    """The held-out set's blind second pass covers 60 of its pronoun/descriptor sources."""
    main_set = stance.evaluation.speakers.read_gold(stance.evaluation.speakers.SPEAKERS_HELDOUT_GOLD)
    second = stance.evaluation.speakers.read_gold(
        stance.evaluation.speakers.SPEAKERS_HELDOUT_GOLD.with_name("polnear_train_speakers_heldout_pass2.jsonl")
    )
    first = {(r["doc"], r["source_start"], r["source_end"]): r for r in main_set}
    assert len(second) == 60
    assert all(first[(r["doc"], r["source_start"], r["source_end"])]["form"] in ("pronoun", "descriptor") for r in second)


def test_cli_evaluate_speakers_named_gold_sets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--gold heldout`` (and the other shipped names) picks the set and its split; ``--split`` wins."""
    sp = stance.evaluation.speakers
    assert all(path.is_file() for path, _ in sp.GOLD_SETS.values())
    assert sp.GOLD_SETS["heldout"] == (sp.SPEAKERS_HELDOUT_GOLD, "train")
    assert sp.GOLD_SETS["dev"] == (sp.DEFAULT_GOLD, "dev")
    root, gold = _speaker_gold(tmp_path)
    monkeypatch.setitem(sp.GOLD_SETS, "mine", (gold, "dev"))
    args = ["evaluate", "speakers", "--data", str(root), "--gold", "mine", "--format", "json", "--bootstrap", "0", "--quote-model", "none"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "dev" and result["gold"] == str(gold)
    assert main([*args, "--split", "train"]) != 0  # the fixture has no train split
    assert "train" in capsys.readouterr().err
