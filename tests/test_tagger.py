"""Offline tests of the attribution tagger with a tiny random BERT (seconds, no training)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from stance.data.polnear import Attribution
from stance.quotes.tagger import (
    DEFAULT_LABELS,
    AttributionTagger,
    TaggerConfig,
    allowed_transitions,
    group_relations,
    merge_fragments,
    postprocess_spans,
    snap_quotes,
    snap_to_words,
    split_on_newlines,
    strip_trailing_punct,
    tags_to_spans,
    viterbi_decode,
)
from stance.quotes.train_tagger import score

L = list(DEFAULT_LABELS)
IDX = {lab: i for i, lab in enumerate(L)}

TEXTS = [
    'Clinton said on Monday that the plan "will not work, and we know it." Then she left.',
    '\n\nTrump told reporters: "We\'re going to win."\n\nHe added that the polls were wrong.',
    "A short one.",
    " ".join(["The senator argued that taxes must rise."] * 30),
]


def _tagger(encoder: str, **kw: object) -> AttributionTagger:
    torch.manual_seed(0)
    cfg = TaggerConfig(encoder=encoder, max_length=32, stride=8, train_layers=1, batch_size=3, **kw)  # type: ignore[arg-type]
    return AttributionTagger(cfg)


def _bias_towards_content(tagger: AttributionTagger) -> None:
    """Make the classifier prefer content so that decoding produces spans."""
    with torch.no_grad():
        tagger.model.classifier.weight.mul_(0.01)
        bias = torch.full((len(L),), -5.0)
        bias[IDX["I-content"]] = 3.0
        bias[IDX["B-content"]] = 2.0
        tagger.model.classifier.bias.copy_(bias)


@pytest.fixture()
def tagger(tiny_encoder: str) -> AttributionTagger:
    return _tagger(tiny_encoder)


# ---------------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"labels": ("B-cue", "I-cue", "O")}, "start with 'O'"),
        ({"labels": ("O", "B-cue")}, "no matching"),
        ({"labels": ("O", "X-cue", "I-cue")}, "not of the form"),
        ({"labels": ("O", "B-cue", "I-cue", "B-cue")}, "duplicate"),
        ({"max_length": 8}, "max_length"),
        ({"max_length": 1024}, "max_length"),
        ({"stride": 200}, "stride"),
        ({"stride": -1}, "stride"),
        ({"train_layers": -1}, "train_layers"),
        ({"dropout": 1.0}, "dropout"),
        ({"batch_size": 0}, "batch_size"),
        ({"strip_punct_roles": ("speaker",)}, "unknown roles"),
        ({"merge_gap": "("}, "regex"),
        ({"label_bias": (("B-speaker", 1.0),)}, "unknown labels"),
    ],
)
def test_config_validation(kw: dict, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        TaggerConfig(**kw)


def test_config_roundtrip_dict() -> None:
    cfg = TaggerConfig(
        max_length=128,
        stride=32,
        strip_punct_roles=["content"],  # type: ignore[arg-type]
        label_bias=[["B-cue", 1]],  # type: ignore[arg-type]
    )
    assert cfg.label_bias == (("B-cue", 1.0),)
    assert cfg.strip_punct_roles == ("content",)
    assert TaggerConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert cfg.roles == ("source", "cue", "content")


# ------------------------------------------------------------------------- BIO decoding


def _scores(seq: list[dict[str, float]]) -> np.ndarray:
    out = np.full((len(seq), len(L)), -10.0)
    for t, d in enumerate(seq):
        for lab, v in d.items():
            out[t, IDX[lab]] = v
    return out


@pytest.mark.parametrize(
    "seq, expected",
    [
        # unconstrained argmax is already valid
        ([{"B-cue": 0}, {"I-cue": 0}, {"O": 0}], ["B-cue", "I-cue", "O"]),
        # I- first is forbidden: the next best valid start is B- of the same role
        ([{"I-source": 0, "B-source": -1}, {"I-source": 0}], ["B-source", "I-source"]),
        # O -> I-content forbidden; the content span is repaired to start with B
        (
            [{"O": 0}, {"I-content": 0, "B-content": -2}, {"I-content": 0}],
            ["O", "B-content", "I-content"],
        ),
        # O -> I- forbidden and B- unlikely: cheaper to extend the span backwards
        (
            [{"O": 0, "B-content": -0.5}, {"I-content": 0, "B-content": -5}],
            ["B-content", "I-content"],
        ),
        # B-source -> I-cue forbidden (role change needs B-)
        ([{"B-source": 0}, {"I-cue": 0, "B-cue": -1}], ["B-source", "B-cue"]),
        # negatives: valid alternations stay as they are
        ([{"B-cue": 0}, {"B-cue": 0}, {"B-source": 0}], ["B-cue", "B-cue", "B-source"]),
        ([{"O": 0}], ["O"]),
    ],
)
def test_viterbi_table(seq: list[dict[str, float]], expected: list[str]) -> None:
    assert [L[i] for i in viterbi_decode(_scores(seq), L)] == expected


def test_viterbi_never_violates_constraints() -> None:
    rng = np.random.default_rng(0)
    start_ok, trans_ok = allowed_transitions(L)
    for _ in range(200):
        n = int(rng.integers(1, 12))
        path = viterbi_decode(rng.normal(size=(n, len(L))), L)
        assert start_ok[path[0]]
        assert all(trans_ok[a, b] for a, b in zip(path, path[1:], strict=False))


def test_viterbi_matches_brute_force() -> None:
    import itertools

    rng = np.random.default_rng(1)
    start_ok, trans_ok = allowed_transitions(L)
    for _ in range(20):
        sc = rng.normal(size=(4, len(L)))
        best, best_path = -np.inf, None
        for path in itertools.product(range(len(L)), repeat=4):
            if not start_ok[path[0]] or not all(
                trans_ok[a, b] for a, b in zip(path, path[1:], strict=False)
            ):
                continue
            s = sum(sc[t, k] for t, k in enumerate(path))
            if s > best:
                best, best_path = s, list(path)
        assert viterbi_decode(sc, L) == best_path


def test_viterbi_edge_cases() -> None:
    assert viterbi_decode(np.zeros((0, len(L))), L) == []
    with pytest.raises(ValueError):
        viterbi_decode(np.zeros((3, 2)), L)


@pytest.mark.parametrize(
    "tags, spans",
    [
        (["O", "B-cue", "I-cue", "O"], [("cue", 1, 3)]),
        (["B-source", "B-source", "I-source"], [("source", 0, 1), ("source", 1, 3)]),
        (["I-content", "I-content"], [("content", 0, 2)]),  # stray I- starts a span
        (["B-source", "I-cue"], [("source", 0, 1), ("cue", 1, 2)]),
        (["O", "O"], []),
        ([], []),
    ],
)
def test_tags_to_spans(tags: list[str], spans: list[tuple[str, int, int]]) -> None:
    assert tags_to_spans(tags) == spans


# ----------------------------------------------------------------------- post-processing


@pytest.mark.parametrize(
    "text, spans, expected",
    [
        (
            "said it was good",
            [("content", 5, 7), ("content", 8, 16)],
            [("content", 5, 16)],
        ),  # blank gap
        (
            "said it was\n\ngood",
            [("content", 5, 11), ("content", 13, 17)],
            [("content", 5, 11), ("content", 13, 17)],
        ),  # newline
        (
            "said it was good",
            [("content", 5, 7), ("cue", 8, 11)],
            [("content", 5, 7), ("cue", 8, 11)],
        ),  # other role
        (
            "x, he said, y",
            [("content", 0, 1), ("content", 12, 13)],
            [("content", 0, 1), ("content", 12, 13)],
        ),  # words
        ("", [], []),
    ],
)
def test_merge_fragments(text: str, spans: list, expected: list) -> None:
    assert merge_fragments(text, spans, r"[ \t]*") == expected


def test_merge_fragments_not_between_quotations() -> None:
    text = '"We won." "They lost."'
    spans = [("content", 0, 9), ("content", 10, 22)]
    assert merge_fragments(text, spans, r"[ \t]*") == spans


def test_merge_fragments_punctuation_gap() -> None:
    text = "one - two"
    spans = [("content", 0, 3), ("content", 6, 9)]
    assert merge_fragments(text, spans, r"[ \t]*") == spans
    assert merge_fragments(text, spans, r"[\s\-]*") == [("content", 0, 9)]


@pytest.mark.parametrize(
    "text, span, expected",
    [
        ("the senator said", (5, 9), (4, 11)),
        ("the senator said", (4, 11), (4, 11)),
        ("ab", (0, 2), (0, 2)),
        ("U.S. officials", (0, 1), (0, 1)),
    ],
)
def test_snap_to_words(text: str, span: tuple[int, int], expected: tuple[int, int]) -> None:
    assert snap_to_words(text, *span) == expected


def test_split_on_newlines() -> None:
    text = "first part\n\n second part \nthird"
    assert [text[a:b] for a, b in split_on_newlines(text, 0, len(text))] == [
        "first part",
        "second part",
        "third",
    ]
    assert split_on_newlines("\n\n", 0, 2) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the plan will fail.", "the plan will fail"),
        ("taxes, jobs,;", "taxes, jobs"),
        ("made in the U.S.", "made in the U.S."),
        ("said", "said"),
        (".", None),
    ],
)
def test_strip_trailing_punct(text: str, expected: str | None) -> None:
    out = strip_trailing_punct(text, 0, len(text))
    assert (text[out[0] : out[1]] if out else None) == expected


@pytest.mark.parametrize(
    "text, span, expected",
    [
        ('He said "we will win." Then', (9, 20), '"we will win."'),  # both quote marks absorbed
        ('He said "we will win" today', (8, 20), '"we will win"'),
        ('He said we will win. "Next"', (8, 19), "we will win"),  # unquoted: not stretched
        ('"A," he said, "B."', (0, 2), '"A,"'),
    ],
)
def test_snap_quotes(text: str, span: tuple[int, int], expected: str) -> None:
    a, b = snap_quotes(text, *span)
    assert text[a:b] == expected


def test_postprocess_pipeline() -> None:
    text = 'Sources said "the deal is done.\n\nIt will be signed," he added.'
    cfg = TaggerConfig()
    out = postprocess_spans(text, [("content", 14, 50), ("cue", 8, 12), ("source", 0, 7)], cfg)
    got = [(r, text[a:b]) for r, a, b in out]
    assert ("content", '"the deal is done.') in got
    assert ("content", 'It will be signed,"') in got
    assert ("cue", "said") in got
    assert ("source", "Sources") in got
    for _, a, b in out:
        assert "\n" not in text[a:b]


def test_group_relations() -> None:
    text = 'Smith said the plan works. "It is fine," Jones added. Later, nothing.'
    spans = [
        ("source", 0, 5),
        ("cue", 6, 10),
        ("content", 11, 25),
        ("content", 27, 40),
        ("source", 41, 46),
        ("cue", 47, 52),
    ]
    rels = group_relations(text, spans)
    assert Attribution(source=((0, 5),), cue=((6, 10),), content=((11, 25),)) in rels
    assert Attribution(source=((41, 46),), cue=((47, 52),), content=((27, 40),)) in rels
    # content far from any cue forms its own relation; a lone source is kept
    far = "x" * 500 + " done"
    rels = group_relations(far, [("content", 501, 505), ("source", 0, 3)], link_window=100)
    assert Attribution(content=((501, 505),)) in rels
    assert Attribution(source=((0, 3),)) in rels
    assert group_relations(text, []) == []


def test_score_perfect_and_empty() -> None:
    text = "Smith said the plan works."
    gold = [[Attribution(source=((0, 5),), cue=((6, 10),), content=((11, 25),))]]
    s = score([text], gold, gold)
    for r in ("source", "cue", "content"):
        assert s[r]["exact_f1"] == 1.0 and s[r]["overlap_f1"] == 1.0
    s = score([text], gold, [[Attribution(content=((15, 25),))]])
    assert s["content"]["exact_f1"] == 0.0
    assert 0.0 < s["content"]["overlap_f1"] < 1.0
    assert s["source"]["exact_f1"] == 0.0


# ------------------------------------------------------------------------------- model


def _check_offsets(texts: list[str], preds: list[list[Attribution]]) -> int:
    n = 0
    for text, rels in zip(texts, preds, strict=True):
        for rel in rels:
            assert isinstance(rel, Attribution)
            for role in ("source", "cue", "content"):
                for a, b in rel.role(role):
                    assert isinstance(a, int) and isinstance(b, int)
                    assert 0 <= a < b <= len(text)
                    frag = text[a:b]
                    assert frag == frag.strip() and frag
                    n += 1
    return n


def test_predict_offsets_valid(tagger: AttributionTagger) -> None:
    _bias_towards_content(tagger)
    preds = tagger.predict(TEXTS)
    assert len(preds) == len(TEXTS)
    assert _check_offsets(TEXTS, preds) > 0
    # long text is windowed (max_length 32) but decoded as one sequence: one big content span
    assert len(preds[3]) == 1 and preds[3][0].content[0][0] == 0


def test_predict_random_weights_offsets_valid(tiny_encoder: str) -> None:
    tg = _tagger(tiny_encoder)
    with torch.no_grad():
        tg.model.classifier.weight.normal_(0, 2.0)
    _check_offsets(TEXTS, tg(TEXTS))


def test_predict_empty_and_whitespace(tagger: AttributionTagger) -> None:
    assert tagger.predict([]) == []
    assert tagger.predict(["", "   \n\t "]) == [[], []]
    _bias_towards_content(tagger)
    out = tagger.predict(["", TEXTS[0], "  "])
    assert out[0] == [] and out[2] == [] and out[1]
    with pytest.raises(TypeError):
        tagger.predict(TEXTS[0])  # type: ignore[arg-type]


def test_predict_batch_invariant(tagger: AttributionTagger) -> None:
    _bias_towards_content(tagger)
    together = tagger.predict(TEXTS, batch_size=4)
    alone = [tagger.predict([t], batch_size=1)[0] for t in TEXTS]
    assert together == alone


def test_non_ascii_offsets(tagger: AttributionTagger) -> None:
    _bias_towards_content(tagger)
    texts = ["Müller sagte: „Das ist gut.“ Ça va — déjà vu…", "😀 emoji first, then “quotes” here."]
    _check_offsets(texts, tagger.predict(texts))


def test_only_trained_parts_saved(tagger: AttributionTagger, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    tagger.save_pretrained(tmp_path)
    state = load_file(str(tmp_path / "tagger.safetensors"))
    assert all(k.startswith(("classifier.", "encoder.encoder.layer.1.")) for k in state)
    assert all(v.dtype == torch.float16 for v in state.values())
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta["library_version"]
    assert len(meta["weights_sha256"]) == 64
    assert not list(tmp_path.glob("*.bin")) and not list(tmp_path.glob("*.pkl"))


def test_save_load_roundtrip(tagger: AttributionTagger, tmp_path: Path) -> None:
    _bias_towards_content(tagger)
    tagger.save_pretrained(tmp_path / "a")
    loaded = AttributionTagger.from_pretrained(tmp_path / "a")
    assert loaded.config == tagger.config
    sa = tagger.token_scores(TEXTS[:2])
    sb = loaded.token_scores(TEXTS[:2])
    for x, y in zip(sa, sb, strict=True):
        np.testing.assert_allclose(x["scores"], y["scores"], atol=1e-2)
    # a second roundtrip is exact (weights are already fp16-representable)
    loaded.save_pretrained(tmp_path / "b")
    again = AttributionTagger.from_pretrained(tmp_path / "b")
    assert loaded.predict(TEXTS) == again.predict(TEXTS)
    cfg_a = json.loads((tmp_path / "a" / "config.json").read_text())
    cfg_b = json.loads((tmp_path / "b" / "config.json").read_text())
    from safetensors.torch import load_file

    wa = load_file(str(tmp_path / "a" / "tagger.safetensors"))
    wb = load_file(str(tmp_path / "b" / "tagger.safetensors"))
    assert [k for k in wa if not torch.equal(wa[k], wb[k])] == []
    assert cfg_a["weights_sha256"] == cfg_b["weights_sha256"]
    assert loaded.to("cpu") is loaded


def test_checksum_mismatch_refused(tagger: AttributionTagger, tmp_path: Path) -> None:
    tagger.save_pretrained(tmp_path)
    weights = tmp_path / "tagger.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum mismatch"):
        AttributionTagger.from_pretrained(tmp_path)


def test_from_pretrained_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="config.json"):
        AttributionTagger.from_pretrained(tmp_path)


def test_load_encoder_errors(tmp_path: Path) -> None:
    from stance._encoder import load_encoder

    with pytest.raises(FileNotFoundError):
        load_encoder(tmp_path / "nope")


def test_token_labels_roundtrip(tagger: AttributionTagger) -> None:
    """Gold fragments -> BIO labels -> decoding recovers the fragments exactly."""
    from stance.data.polnear import PolnearArticle
    from stance.quotes.train_tagger import token_labels

    text = 'Smith said "the plan works," adding that it is cheap. Jones agreed.'
    rel = Attribution(source=((0, 5),), cue=((6, 10),), content=((11, 28), (41, 52)))
    art = PolnearArticle("x", text, (rel, Attribution(source=((54, 59),), cue=((60, 66),))))
    enc = tagger.encode([text])[0]
    lab = token_labels(tagger, art, enc["offsets"])
    sc = np.full((len(lab), len(L)), -20.0)
    sc[np.arange(len(lab)), lab] = 0.0
    spans = tagger.decode_spans(text, enc["offsets"], sc)
    got = {(r, text[a:b]) for r, a, b in spans}
    assert got == {
        ("source", "Smith"),
        ("cue", "said"),
        ("content", '"the plan works,"'),
        ("content", "it is cheap"),
        ("source", "Jones"),
        ("cue", "agreed"),
    }


@pytest.mark.slow
def test_shipped_model_on_dev() -> None:
    from stance.data.polnear import default_data_dir, read_polnear

    root = Path(__file__).resolve().parents[1] / "stance" / "models" / "attribution-tagger"
    if not (root / "config.json").exists():
        pytest.skip("no shipped model")
    try:
        dev = read_polnear(default_data_dir(), "dev")[:5]
    except FileNotFoundError:
        pytest.skip("PolNeAR not available")
    tg = AttributionTagger.from_pretrained(root)
    preds = tg.predict([a.text for a in dev])
    _check_offsets([a.text for a in dev], preds)
    s = score([a.text for a in dev], [a.attributions for a in dev], preds)
    assert s["content"]["overlap_f1"] > 0.5


def test_label_bias_changes_decoding(tagger: AttributionTagger) -> None:
    import dataclasses

    text = "Smith said it."
    enc = tagger.encode([text])[0]
    sc = np.full((len(enc["ids"]), len(L)), -1.0)
    sc[:, IDX["O"]] = 0.0
    assert tagger.decode_spans(text, enc["offsets"], sc) == []
    cfg = dataclasses.replace(tagger.config, label_bias=(("B-cue", 2.0),))
    spans = tagger.decode_spans(text, enc["offsets"], sc, cfg)
    assert spans and all(r == "cue" for r, _, _ in spans)


def _write_polnear(root: Path) -> None:
    docs = {
        "a_2016_x": (
            'Smith said "the plan works." Jones agreed that it was cheap.\n\nThe end.',
            [],
        ),
        "b_2016_y": (
            "Officials told reporters that taxes will rise, he said.\n\nNothing else.",
            [],
        ),
    }
    for split in ("train", "dev"):
        (root / split / "text").mkdir(parents=True)
        (root / split / "attributions").mkdir(parents=True)
        for name, (text, _) in docs.items():
            (root / split / "text" / f"{name}.txt").write_text(text, encoding="utf-8")
            lines = []
            n = 0
            for m_src, m_cue, m_con in [
                ("Smith", "said", '"the plan works."'),
                ("Jones", "agreed", "it was cheap"),
                ("Officials", "told", "taxes will rise"),
            ]:
                if m_src not in text:
                    continue
                ids = []
                for label, surf in (("Source", m_src), ("Cue", m_cue), ("Content", m_con)):
                    n += 1
                    a = text.index(surf)
                    lines.append(f"T{n}\t{label} {a} {a + len(surf)}\t{surf}")
                    ids.append(f"T{n}")
                lines.append(
                    f"E{n}\tAttribution:{ids[1]} Source:{ids[0]} Cue:{ids[1]} Content:{ids[2]}"
                )
            (root / split / "attributions" / f"{name}_ann1.ann").write_text(
                "\n".join(lines) + "\n", encoding="utf-8"
            )


def test_train_end_to_end_tiny(tiny_encoder: str, tmp_path: Path) -> None:
    from stance.quotes.train_tagger import train

    data = tmp_path / "polnear"
    _write_polnear(data)
    cfg = TaggerConfig(encoder=tiny_encoder, max_length=32, stride=8, train_layers=1)
    card = train(
        data,
        tmp_path / "model",
        epochs=1,
        seed=3,
        config=cfg,
        checkpoint_every=1,
        train_batch_size=2,
    )
    out = tmp_path / "model"
    for name in ("config.json", "tagger.safetensors", "model_card.md", "model_card.json"):
        assert (out / name).is_file()
    assert card["selected_epoch"] == 1 and card["data"]["train_docs"] == 2
    assert "dev_metrics_default_decoding" in card and "decoding_tuning" in card
    loaded = AttributionTagger.from_pretrained(out)
    assert loaded.config.encoder == tiny_encoder
    assert loaded.config.to_dict() == card["hyperparameters"]["tagger_config"]
    # same seed -> same weights
    card2 = train(data, tmp_path / "model2", epochs=1, seed=3, config=cfg, train_batch_size=2)
    assert card2["artefact"]["weights_sha256"] == card["artefact"]["weights_sha256"]
    assert card["hyperparameters"]["device"] == "cpu"


def test_train_max_steps_scores_the_partial_epoch(tiny_encoder: str, tmp_path: Path) -> None:
    """``max_steps`` stops mid-epoch like a time budget: that partial epoch is scored and may be kept."""
    from stance.quotes.train_tagger import train

    data = tmp_path / "polnear"
    _write_polnear(data)
    cfg = TaggerConfig(encoder=tiny_encoder, max_length=32, stride=8, train_layers=1)
    card = train(
        data, tmp_path / "m", epochs=3, seed=3, config=cfg, train_batch_size=2, max_steps=1,
        tune=False, checkpoint_every=0,
    )
    assert card["stopped_early"]
    assert [(h["epoch"], h["step"], h["partial_epoch"]) for h in card["history"]] == [(1, 1, True)]
    assert "on\ncpu" in (tmp_path / "m" / "model_card.md").read_text(encoding="utf-8")


def test_soup_averages_the_trained_weights(tiny_encoder: str, tmp_path: Path) -> None:
    from stance.quotes.train_tagger import soup

    a, b = _tagger(tiny_encoder), _tagger(tiny_encoder)
    with torch.no_grad():
        b.model.classifier.bias.add_(2.0)
    a.save_pretrained(tmp_path / "a")
    b.save_pretrained(tmp_path / "b")
    mixed = soup([tmp_path / "a", tmp_path / "b"])
    got = mixed.trained_state_dict()["classifier.bias"]
    want = (a.trained_state_dict()["classifier.bias"].half().float() + b.trained_state_dict()["classifier.bias"].half().float()) / 2
    assert torch.allclose(got, want, atol=1e-3)
    # a soup of one model with itself is that model
    same = soup([tmp_path / "a", tmp_path / "a"]).trained_state_dict()
    assert all(torch.equal(v, AttributionTagger.from_pretrained(tmp_path / "a").trained_state_dict()[k]) for k, v in same.items())


def test_soup_refuses_mismatched_or_single_taggers(tiny_encoder: str, tmp_path: Path) -> None:
    from stance.quotes.train_tagger import soup

    _tagger(tiny_encoder).save_pretrained(tmp_path / "a")
    AttributionTagger(TaggerConfig(encoder=tiny_encoder, max_length=32, stride=8, train_layers=2)).save_pretrained(tmp_path / "b")
    with pytest.raises(ValueError, match="differs"):
        soup([tmp_path / "a", tmp_path / "b"])
    with pytest.raises(ValueError, match="at least two"):
        soup([tmp_path / "a"])
    _tagger(tiny_encoder, lora_rank=2).save_pretrained(tmp_path / "c")
    with pytest.raises(ValueError, match="adapters"):
        soup([tmp_path / "c", tmp_path / "c"])


def test_soup_command_writes_a_tuned_model_with_its_card(tiny_encoder: str, tmp_path: Path) -> None:
    from stance.quotes.train_tagger import main

    data = tmp_path / "polnear"
    _write_polnear(data)
    for seed in (1, 2):
        torch.manual_seed(seed)
        _tagger(tiny_encoder).save_pretrained(tmp_path / f"m{seed}")
    out = tmp_path / "soup"
    assert main(["--data", str(data), "--output", str(out), "--soup", str(tmp_path / "m1"), str(tmp_path / "m2"),
                 "--encoder", tiny_encoder, "--no-linker", "--no-optimism-check"]) == 0
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert len(card["soup"]) == 2 and "--soup" in card["command"] and "decoding_tuning" in card
    assert "model soup" in (out / "model_card.md").read_text(encoding="utf-8")
    assert AttributionTagger.from_pretrained(out).config.encoder == tiny_encoder
