"""The learned pronoun resolver: input marking, windows, safe save/load, GAP reading and scoring,
and its hook in the resolver (a tiny random encoder stands in for MiniLM)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stance._nlp import ParsedText, load_spacy
from stance._spans import RawQuote
from stance.attribution import ResolverConfig, RuleResolver
from stance.attribution.pronoun_model import (
    PronounExample,
    PronounModel,
    PronounModelConfig,
    mark_mentions,
)
from stance.errors import ModelLoadError


@pytest.mark.parametrize(
    ("text", "pronoun", "candidates", "marked", "n_marks"),
    [
        ("Ann met Bo. She left.", (12, 15), [[(0, 3)]], "# Ann # met Bo. @ She @ left.", [1]),
        ("Ann met Bo. She left.", (12, 15), [[(0, 3)], [(8, 10)]], "# Ann # met # Bo #. @ She @ left.", [1, 1]),
        # no candidate: only the pronoun is marked
        ("Ann met Bo. She left.", (12, 15), [], "Ann met Bo. @ She @ left.", []),
        # a mention overlapping the pronoun, an empty one and a repeated one are skipped
        ("Ann met Bo. She left.", (12, 15), [[(11, 14), (4, 4), (0, 3), (0, 3)]], "# Ann # met Bo. @ She @ left.", [1]),
        # overlapping mentions of two candidates: the first kept, the other candidate has none
        ("Mary Ann Lee spoke. She left.", (20, 23), [[(0, 8)], [(5, 12)]], "# Mary Ann # Lee spoke. @ She @ left.", [1, 0]),
        # a candidate with two mentions
        ("Ann Li spoke. Li left. She cried.", (23, 26), [[(0, 6), (14, 16)]], "# Ann Li # spoke. # Li # left. @ She @ cried.", [2]),
    ],
)
def test_mark_mentions(
    text: str, pronoun: tuple[int, int], candidates: list[list[tuple[int, int]]], marked: str, n_marks: list[int],
) -> None:
    out, p_at, m_at = mark_mentions(text, pronoun, candidates)
    assert out == marked
    assert out[p_at] == "@" and out[p_at + 2 : p_at + 2 + pronoun[1] - pronoun[0]] == text[pronoun[0] : pronoun[1]]
    assert [len(m) for m in m_at] == n_marks
    assert all(out[k] == "#" for m in m_at for k in m)


@pytest.fixture(scope="module")
def tiny_model(tiny_encoder: str) -> PronounModel:
    return PronounModel(PronounModelConfig(base_model=tiny_encoder, max_length=48, window_chars=200, after_chars=20))


def test_window_keeps_the_pronoun_and_shifts_spans(tiny_model: PronounModel) -> None:
    text = "x " * 300 + "Jane Doe spoke. Then she left the room and went home quietly."
    p0 = text.index("she")
    jane = (text.index("Jane"), text.index("Jane") + 8)
    w, p, cs = tiny_model.window(text, (p0, p0 + 3), [[jane, (0, 1)], [(2, 3)]])
    assert w[p[0] : p[1]] == "she"
    assert [[w[a:b] for a, b in ms] for ms in cs] == [["Jane Doe"], []]  # mentions 600 characters back are outside
    assert len(w) <= 200 + 3 + 20 and not w.startswith(" ")
    assert w.endswith("went") or w.endswith("and")  # cut at a word end


def test_encode_points_at_the_markers(tiny_model: PronounModel) -> None:
    long_text = "Filler words go here. " * 40 + "Jane Doe met Bo Li. Later she said it was over."
    p0 = long_text.index("she")
    jane = (long_text.index("Jane"), long_text.index("Jane") + 8)
    bo = (long_text.index("Bo Li"), long_text.index("Bo Li") + 5)
    items = [(long_text, (p0, p0 + 3), [[jane], [bo], [(0, 6)]]), ("Ann spoke. He left.", (11, 13), [[(0, 3)]])]
    enc = tiny_model.encode(items)
    tok = tiny_model.tokenizer
    assert enc["input_ids"].shape[1] <= 48  # truncated from the left: the pronoun is kept
    assert tuple(enc["c_mask"].shape[:2]) == (2, 3)
    for i in range(2):
        ids = enc["input_ids"][i].tolist()
        assert tok.convert_ids_to_tokens(ids[int(enc["p_idx"][i])]) == "@"
    ids = enc["input_ids"][0].tolist()
    assert [tok.convert_ids_to_tokens(ids[j]) for j in range(len(ids)) if enc["c_mask"][0, 0, j]] == ["#"]
    assert int(enc["c_mask"][0, 1].sum()) == 1
    assert int(enc["c_mask"][0, 2].sum()) == 0  # "Filler" is cut away
    assert int(enc["c_mask"][1, 1].sum()) == 0  # padding candidate
    scores = tiny_model.score(items)
    assert [len(s) for s in scores] == [3, 1]
    assert scores[0][2] is None and all(isinstance(v, float) for v in scores[0][:2] + scores[1])


def test_save_load_roundtrip_and_refusals(tiny_model: PronounModel, tmp_path: Path) -> None:
    ex = PronounExample("Ann met Bo. She left.", (12, 15), [[(0, 3)], [(8, 10)]], ["Ann", "Bo"])
    assert None not in tiny_model.score_example(ex)
    before = tiny_model.score_example(ex)
    out = tiny_model.save_pretrained(tmp_path / "m")
    again = PronounModel.from_pretrained(out)
    assert again.config.max_length == 48
    after = again.score_example(ex)
    assert after == pytest.approx(before, abs=1e-2)  # stored in fp16
    assert json.loads((out / "config.json").read_text())["weights_sha256"]
    # tampered weights, a missing directory, a wrong format version: clear errors
    (out / "model.safetensors").write_bytes((out / "model.safetensors").read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(ModelLoadError):
        PronounModel.from_pretrained(out)
    with pytest.raises(ModelLoadError):
        PronounModel.from_pretrained(tmp_path / "nowhere")
    out2 = tiny_model.save_pretrained(tmp_path / "m2")
    cfg = json.loads((out2 / "config.json").read_text())
    cfg["format_version"] = 99
    (out2 / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="format_version 99"):
        PronounModel.from_pretrained(out2)


@pytest.mark.parametrize("bad", [{"max_length": 8}, {"window_chars": 10}, {"after_chars": -1}, {"dropout": 1.0}])
def test_config_validation(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        PronounModelConfig(**bad)


GAP_ROWS = [
    ("t-1", "Anna Berg met Carl Holm in Oslo. She thanked him.", "She", 33, "Anna Berg", 0, "TRUE", "Carl Holm", 14, "FALSE"),
    ("t-2", "Carl Holm met Anna Berg in Oslo. He thanked her.", "He", 33, "Carl Holm", 0, "TRUE", "Anna Berg", 14, "FALSE"),
    ("t-3", "Anna Berg met Carl Holm. Later Dora Vik said she was tired.", "she", 45, "Anna Berg", 0, "FALSE", "Carl Holm", 14, "FALSE"),
]


def _write_gap(root: Path) -> None:
    header = "ID\tText\tPronoun\tPronoun-offset\tA\tA-offset\tA-coref\tB\tB-offset\tB-coref\tURL\n"
    body = "".join("\t".join(map(str, r)) + "\thttp://x\n" for r in GAP_ROWS)
    for name in ("gap-development.tsv", "gap-validation.tsv", "gap-test.tsv"):
        (root / name).write_text(header + body, encoding="utf-8")


def test_gap_reader(tmp_path: Path) -> None:
    from stance.data.gap import gap_examples, read_gap

    _write_gap(tmp_path)
    rows = read_gap(tmp_path, "test")
    assert [r["a_coref"] for r in rows] == [True, True, False]
    ex = gap_examples(tmp_path, "train")
    assert [e.labels for e in ex] == [[1, 0], [1, 0], [0, 0]]
    for e in ex:
        assert e.text[e.pronoun[0] : e.pronoun[1]].lower() in ("she", "he")
        assert [e.text[a:b] for a, b in e.candidates[0]] == [e.names[0]]
    with pytest.raises(ValueError):
        read_gap(tmp_path, "dev")
    with pytest.raises(FileNotFoundError):
        read_gap(tmp_path / "missing", "test")


class _FixedScores:
    """Stands in for a pronoun model: a fixed logit for a candidate whose first mention reads as
    a given name, 0 otherwise."""

    def __init__(self, by_name: dict[str, float]) -> None:
        self.by_name = by_name
        self.calls: list[str] = []

    def score(self, items: Any, batch_size: int = 16) -> list[list[float | None]]:
        out = []
        for text, _pronoun, candidates in items:
            names = [text[ms[0][0] : ms[0][1]] if ms else "" for ms in candidates]
            self.calls.extend(names)
            out.append([self.by_name.get(n, 0.0) for n in names])
        return out


def test_gap_scores_is_the_official_f1(tmp_path: Path) -> None:
    from stance.attribution.train_pronoun import gap_scores

    _write_gap(tmp_path)
    # "Anna Berg" is always the antecedent, "Carl Holm" never: row 1 (she) one true positive;
    # row 2 (he) a miss (Carl) and a false positive (Anna); row 3 (she) a false positive (Anna)
    model = _FixedScores({"Anna Berg": 1.0, "Carl Holm": -1.0})
    assert gap_scores(_FixedScores({"Anna Berg": -1.0, "Carl Holm": -2.0}), tmp_path, "test")["f1"] == 0.0  # type: ignore[arg-type]
    r = gap_scores(model, tmp_path, "test")  # type: ignore[arg-type]
    assert r["n"] == 3
    assert r["f1"] == pytest.approx(100 * 2 * 1 / (2 * 1 + 2 + 1), abs=0.1)
    assert r["f1_feminine"] == pytest.approx(100 * 2 / (2 + 1), abs=0.1)
    assert r["f1_masculine"] == 0.0


TEXT = 'Jane Doe said the plan was dead. Later, Mary Smith met the Danish envoy. "We will win," she said.'


@pytest.fixture(scope="module")
def spacy_nlp() -> object:
    return load_spacy()


def _speaker(resolver: RuleResolver, nlp: Any) -> str:
    parsed = ParsedText.from_text(TEXT, nlp)
    s = TEXT.index("she said")
    q1 = RawQuote(((TEXT.index("the plan"), TEXT.index("dead") + 4),), "indirect", source=(0, 8))
    q2 = RawQuote(((TEXT.index("We will"), TEXT.index("win,") + 4),), "direct", source=(s, s + 3))
    res = resolver(parsed, [q1, q2])
    return res.clusters[res.quote_cluster[1]].name


@pytest.mark.parametrize("favourite", ["Jane Doe", "Mary Smith"])
def test_resolver_follows_the_pronoun_model(spacy_nlp: object, favourite: str) -> None:
    resolver = RuleResolver(ResolverConfig(ranker=None))
    fixed = _FixedScores({favourite: 5.0})
    resolver.pronoun_model = fixed  # type: ignore[assignment]
    assert _speaker(resolver, spacy_nlp) == favourite
    assert sorted(set(fixed.calls)) == ["Jane Doe", "Mary Smith"]  # both candidates scored


def test_pronoun_model_adds_to_the_ranker(spacy_nlp: object) -> None:
    from stance.attribution.resolver import DEFAULT_RANKER

    # with the shipped ranker, a weak model logit does not overrule it; a strong one does
    base = _speaker(RuleResolver(ResolverConfig()), spacy_nlp)
    other = "Jane Doe" if base == "Mary Smith" else "Mary Smith"
    weak = RuleResolver(ResolverConfig(ranker=DEFAULT_RANKER, pronoun_weight=0.001))
    weak.pronoun_model = _FixedScores({other: 1.0})  # type: ignore[assignment]
    assert _speaker(weak, spacy_nlp) == base
    strong = RuleResolver(ResolverConfig(ranker=DEFAULT_RANKER, pronoun_weight=100.0))
    strong.pronoun_model = _FixedScores({other: 1.0})  # type: ignore[assignment]
    assert _speaker(strong, spacy_nlp) == other


def test_resolver_loads_a_saved_model(tiny_model: PronounModel, tmp_path: Path, spacy_nlp: object) -> None:
    out = str(tiny_model.save_pretrained(tmp_path / "pm"))
    resolver = RuleResolver(ResolverConfig(ranker=None, pronoun_model=out))
    assert isinstance(resolver.pronoun_model, PronounModel)
    assert _speaker(resolver, spacy_nlp) in ("Jane Doe", "Mary Smith")
    with pytest.raises(ValueError):
        ResolverConfig(pronoun_weight=-1.0)
    with pytest.raises(ModelLoadError):
        RuleResolver(ResolverConfig(pronoun_model=str(tmp_path / "nowhere")))


def test_listwise_loss() -> None:
    import math

    import torch

    from stance.attribution.train_pronoun import listwise_loss

    logits = torch.tensor([[2.0, 0.0, 5.0]])
    present = torch.tensor([[True, True, False]])  # the third candidate was cut away: ignored
    # softmax over [none=0, 2, 0]: the gold (first) has probability e^2 / (1 + e^2 + 1)
    got = listwise_loss(logits, present, torch.tensor([[1, 0, 0]]))
    assert float(got) == pytest.approx(-math.log(math.exp(2) / (2 + math.exp(2))), rel=1e-5)
    # no antecedent among the present candidates: the target is "none of them"
    got = listwise_loss(logits, present, torch.tensor([[0, 0, 1]]))
    assert float(got) == pytest.approx(-math.log(1 / (2 + math.exp(2))), rel=1e-5)
    # two antecedents: their probabilities add up
    got = listwise_loss(logits, present, torch.tensor([[1, 1, 0]]))
    assert float(got) == pytest.approx(-math.log((1 + math.exp(2)) / (2 + math.exp(2))), rel=1e-5)


def test_ranking_accuracy_with_and_without_none() -> None:
    from stance.attribution.train_pronoun import ranking_accuracy

    text = "Anna Berg met Carl Holm. The official left."
    cands = [[(0, 9)], [(14, 23)]]
    positive = PronounExample(text, (25, 37), cands, ["Anna Berg", "Carl Holm"], [1, 0])
    new = PronounExample(text, (25, 37), cands, ["Anna Berg", "Carl Holm"], [0, 0])
    prefers_anna = _FixedScores({"Anna Berg": 1.0, "Carl Holm": -1.0})
    doubts_all = _FixedScores({"Anna Berg": -0.5, "Carl Holm": -1.0})
    assert ranking_accuracy(prefers_anna, [positive, new]) == 0.5  # type: ignore[arg-type]
    assert ranking_accuracy(prefers_anna, [positive, new], allow_none=True) == 0.5  # type: ignore[arg-type]
    # below "none of them": right for the new entity, wrong for the positive when none is allowed
    assert ranking_accuracy(doubts_all, [positive, new], allow_none=True) == 0.5  # type: ignore[arg-type]
    assert ranking_accuracy(doubts_all, [positive]) == 1.0  # type: ignore[arg-type]
    assert ranking_accuracy(doubts_all, [positive], allow_none=True) == 0.0  # type: ignore[arg-type]


DESC_TEXT = 'Mary Smith met Jane Doe in Oslo on Monday. "We will win," the senator said.'


def _descriptor_speaker(mode: str, scores: dict[str, float], nlp: Any) -> str:
    resolver = RuleResolver(ResolverConfig(pronoun_descriptors=mode))
    resolver.pronoun_model = _FixedScores(scores)  # type: ignore[assignment]
    parsed = ParsedText.from_text(DESC_TEXT, nlp)
    s = DESC_TEXT.index("the senator")
    q = RawQuote(((DESC_TEXT.index("We will"), DESC_TEXT.index("win,") + 4),), "direct", source=(s, s + 11))
    res = resolver(parsed, [q])
    return res.clusters[res.quote_cluster[0]].name


@pytest.mark.parametrize("favourite", ["Jane Doe", "Mary Smith"])
def test_descriptors_follow_the_model_when_it_picks_someone(spacy_nlp: object, favourite: str) -> None:
    for mode in ("first", "decide"):
        assert _descriptor_speaker(mode, {favourite: 3.0}, spacy_nlp) == favourite


def test_descriptor_modes_when_the_model_prefers_none(spacy_nlp: object) -> None:
    doubts = {"Jane Doe": -2.0, "Mary Smith": -3.0}
    rules = _descriptor_speaker("off", doubts, spacy_nlp)
    assert _descriptor_speaker("first", doubts, spacy_nlp) == rules  # falls back to the rules
    assert _descriptor_speaker("decide", doubts, spacy_nlp) == "the senator"  # a new speaker
    with pytest.raises(ValueError):
        ResolverConfig(pronoun_descriptors="sometimes")


def test_cli_pronoun_model_option(tiny_model: PronounModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--pronoun-model DIR --pronoun-weight W`` reach the resolver; a missing directory is one
    clear error line, no records."""
    from stance.cli import main, resolver_config

    cfg = resolver_config("default", "some/dir", 0.5)
    assert (cfg.pronoun_model, cfg.pronoun_weight) == ("some/dir", 0.5)
    assert resolver_config("none").pronoun_model is None
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    saved = str(tiny_model.save_pretrained(tmp_path / "pm"))
    args = ["analyze", str(article), "--quote-model", "none", "--stance-model", "none"]
    assert main([*args, "--pronoun-model", saved, "--pronoun-weight", "2"]) == 0
    out, _ = capsys.readouterr()
    assert len(out.splitlines()) >= 2
    assert main([*args, "--pronoun-model", str(tmp_path / "missing")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "pronoun model" in err
