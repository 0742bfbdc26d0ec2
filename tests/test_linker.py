"""The relation linker: which cue each content and source fragment belongs to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stance._nlp import ParsedText, load_spacy
from stance.data.polnear import Attribution
from stance.errors import ModelLoadError
from stance.quotes import RuleExtractor
from stance.quotes._relations import span_gap
from stance.quotes.hybrid import HybridConfig, HybridExtractor, complement_span
from stance.quotes.linker import FEATURES, RelationLinker, _DocIndex, link_candidates

# Articles written for these tests. In each, the content ends right before another cue, so the
# nearest cue by characters is the wrong one.
DOCS = {
    "a_2016_one": (
        "Smith said that the new tax would hurt farmers. Jones now says it will not. Brown agreed.",
        [("Smith", "said", "that the new tax would hurt farmers"), ("Jones", "now says", "it will not")],
    ),
    "b_2016_two": (
        "The mayor told reporters that the bridge was safe. Critics argue the opposite. Rain fell.",
        [("The mayor", "told", "that the bridge was safe"), ("Critics", "argue", "the opposite")],
    ),
    "c_2016_three": (
        '"We will win," Lee said. Park insisted that nothing had changed. Kim replied that it had.',
        [("Lee", "said", '"We will win,"'), ("Park", "insisted", "that nothing had changed"),
         ("Kim", "replied", "that it had")],
    ),
    "d_2016_four": (
        "Doe warned that prices would climb. Roe claimed that wages would too. Nobody listened.",
        [("Doe", "warned", "that prices would climb"), ("Roe", "claimed", "that wages would too")],
    ),
}


def write_polnear(root: Path) -> None:
    for split in ("train", "dev"):
        (root / split / "text").mkdir(parents=True)
        (root / split / "attributions").mkdir(parents=True)
        for name, (text, rels) in DOCS.items():
            (root / split / "text" / f"{name}.txt").write_text(text, encoding="utf-8")
            lines, n = [], 0
            for rel in rels:
                ids = []
                for label, surf in zip(("Source", "Cue", "Content"), rel, strict=True):
                    n += 1
                    a = text.index(surf)
                    lines.append(f"T{n}\t{label} {a} {a + len(surf)}\t{surf}")
                    ids.append(f"T{n}")
                lines.append(f"E{n}\tAttribution:{ids[1]} Source:{ids[0]} Cue:{ids[1]} Content:{ids[2]}")
            (root / split / "attributions" / f"{name}_ann1.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[RelationLinker, dict, Path]:
    from stance.quotes.train_linker import train

    root = tmp_path_factory.mktemp("linker")
    write_polnear(root / "polnear")
    linker, results = train(str(root / "polnear"), str(root / "out"), hidden_sizes=(4,), epochs=150, seed=3)
    return linker, results, root


def spans_of(text: str, rels: list[tuple[str, str, str]]) -> list[tuple[str, int, int]]:
    out = []
    for rel in rels:
        for role, surf in zip(("source", "cue", "content"), rel, strict=True):
            a = text.index(surf)
            out.append((role, a, a + len(surf)))
    return sorted(set(out))


def test_feature_vectors_have_every_feature() -> None:
    text, rels = DOCS["a_2016_one"]
    ix = _DocIndex(ParsedText.from_text(text, load_spacy()), spans_of(text, rels))
    frag = ix.by_role["content"][0]
    cands = link_candidates(ix, "content", frag, 600)
    assert cands[0].cue is None and cands[0].features[FEATURES.index("null")] == 1.0
    assert [c.cue for c in cands[1:]] == sorted(ix.by_role["cue"], key=lambda c: span_gap(c, frag))
    assert all(len(c.features) == len(FEATURES) for c in cands)
    # a cue out of reach is no candidate
    assert [c.cue for c in link_candidates(ix, "content", frag, 5)] == [None, (6, 10)]


@pytest.mark.parametrize("name", sorted(DOCS))
def test_trained_linker_recovers_relations(trained: tuple, name: str) -> None:
    linker, _, _ = trained
    text, rels = DOCS[name]
    got = linker.link(ParsedText.from_text(text, load_spacy()), spans_of(text, rels))
    as_text = {tuple(text[a:b] for a, b in getattr(r, role)) for r in got for role in ("source",)}
    assert len(got) == len(rels), as_text
    for src, cue, content in rels:
        rel = next(r for r in got if r.cue and text[r.cue[0][0] : r.cue[0][1]] == cue)
        assert [text[a:b] for a, b in rel.content] == [content]
        assert [text[a:b] for a, b in rel.source] == [src]


def test_linker_beats_nearest_cue_on_fixture(trained: tuple) -> None:
    _, results, _ = trained
    assert results["content_dev_accuracy"] == 1.0
    assert results["content_dev_accuracy_nearest_cue"] < 1.0  # the fixture is built so it fails


def test_no_cue_and_one_source_per_cue(trained: tuple) -> None:
    linker, _, _ = trained
    text = "Smith and the mayor. Jones said that the tax would hurt farmers."
    parsed = ParsedText.from_text(text, load_spacy())
    spans = sorted([("source", 0, 5), ("source", text.index("the mayor"), text.index("the mayor") + 9),
                    ("source", text.index("Jones"), text.index("Jones") + 5),
                    ("cue", text.index("said"), text.index("said") + 4)])
    rels = linker.link(parsed, spans)
    with_cue = [r for r in rels if r.cue]
    assert len(with_cue) == 1 and len(with_cue[0].source) == 1
    assert text[with_cue[0].source[0][0] : with_cue[0].source[0][1]] == "Jones"
    # every fragment is kept, once
    placed = sorted((role, a, b) for r in rels for role in ("source", "cue", "content") for a, b in getattr(r, role))
    assert placed == spans
    # a content with no cue in reach forms a relation of its own
    alone = linker.link(parsed, [("content", 0, 5)])
    assert alone == [Attribution(content=((0, 5),))]
    assert linker.link(parsed, []) == []


def test_training_is_deterministic(trained: tuple, tmp_path: Path) -> None:
    from stance.quotes.train_linker import train

    _, _, root = trained
    train(str(root / "polnear"), str(tmp_path), hidden_sizes=(4,), epochs=150, seed=3)
    a = json.loads((root / "out" / "linker.json").read_text())
    b = json.loads((tmp_path / "linker.json").read_text())
    assert a["weights_sha256"] == b["weights_sha256"]


def test_save_load_roundtrip_and_refusals(trained: tuple, tmp_path: Path) -> None:
    linker, _, root = trained
    out = root / "out"
    assert RelationLinker.exists(out) and not RelationLinker.exists(tmp_path)
    loaded = RelationLinker.from_pretrained(out)
    text, rels = DOCS["b_2016_two"]
    parsed = ParsedText.from_text(text, load_spacy())
    assert loaded.link(parsed, spans_of(text, rels)) == linker.link(parsed, spans_of(text, rels))
    assert loaded.meta["dev_linking"]["content_dev_accuracy"] == 1.0
    with pytest.raises(ModelLoadError, match="no linker.json"):
        RelationLinker.from_pretrained(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in out.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    data = bytearray((bad / "linker.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (bad / "linker.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="checksum mismatch"):
        RelationLinker.from_pretrained(bad)
    cfg = json.loads((out / "linker.json").read_text())
    cfg["features"] = cfg["features"][:-1]
    (bad / "linker.json").write_text(json.dumps(cfg))
    (bad / "linker.safetensors").write_bytes((out / "linker.safetensors").read_bytes())
    with pytest.raises(ModelLoadError, match="retrain the linker"):
        RelationLinker.from_pretrained(bad)
    with pytest.raises(ModelLoadError, match="shape"):
        RelationLinker({}, hidden=4)


COMPLEMENTS = [
    # (text, cue, source, expected content or None)
    ("Trump said that taxes would rise.", "said", "Trump", "that taxes would rise"),
    ("The senator denied the report on Monday.", "denied", "The senator", "the report"),
    ("Officials told reporters the bridge was safe.", "told", "Officials", "the bridge was safe"),
    ("The mayor agreed.", "agreed", "The mayor", None),  # nothing was said: no content
    ("Smith left early.", "left", "Smith", None),
]


@pytest.mark.parametrize(("text", "cue", "source", "expected"), COMPLEMENTS)
def test_complement_span(text: str, cue: str, source: str, expected: str | None) -> None:
    parsed = ParsedText.from_text(text, load_spacy())
    c, s = text.index(cue), text.index(source)
    got = complement_span(parsed, (c, c + len(cue)), (s, s + len(source)))
    assert (text[got[0] : got[1]] if got else None) == expected


class FakeTagger:
    def __init__(self, relations: list[Attribution]) -> None:
        self.relations = relations

    def predict(self, texts: list[str], batch_size: int | None = None) -> list[list[Attribution]]:
        return [self.relations for _ in texts]


@pytest.mark.parametrize(
    ("source", "cfg", "expected"),
    [
        (True, {}, ["that taxes would rise"]),  # source + cue, no tagged content: from the parse
        (True, {"content_from_parse": False}, []),
        (False, {}, []),  # a cue alone is not enough evidence of a statement
    ],
)
def test_hybrid_content_from_parse(source: bool, cfg: dict, expected: list[str]) -> None:
    text = "Trump said that taxes would rise."
    rel = Attribution(source=((0, 5),) if source else (), cue=((6, 10),))
    ex = HybridExtractor(FakeTagger([rel]), RuleExtractor(), HybridConfig(**cfg))  # type: ignore[arg-type]
    quotes = ex.predict_batch([ParsedText.from_text(text, load_spacy())])[0]
    assert [text[q.spans[0][0] : q.spans[0][1]] for q in quotes] == expected


def test_shipped_pipeline_uses_the_linker() -> None:
    import stance

    ext = stance.load().extractor
    assert isinstance(ext, HybridExtractor) and isinstance(ext.linker, RelationLinker)
    assert ext.linker.n_parameters < 10_000


def test_tagger_without_a_linker_groups_by_distance_and_says_so(
    tiny_tagger_dir: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    import stance

    with caplog.at_level(logging.INFO, logger="stance.pipeline"):
        ext = stance.load(quote_model=tiny_tagger_dir).extractor
    assert isinstance(ext, HybridExtractor) and ext.linker is None
    assert "no relation linker" in caplog.text and "linker=distance" in repr(ext)


def test_one_command_trains_tagger_and_linker(tiny_encoder: str, tmp_path: Path) -> None:
    """`stance train attribution` reproduces the whole extractor: the tagger, then the linker."""
    from stance.quotes.train_tagger import main as train_attribution

    write_polnear(tmp_path / "polnear")
    out = tmp_path / "model"
    args = ["--data", str(tmp_path / "polnear"), "--output", str(out), "--encoder", tiny_encoder, "--epochs", "1",
            "--max-length", "160", "--train-layers", "1", "--no-tune", "--no-optimism-check"]
    assert train_attribution(args) == 0
    assert (out / "tagger.safetensors").is_file() and RelationLinker.exists(out)
    assert "train_linker" in json.loads((out / "linker.json").read_text())["command"]
    out2 = tmp_path / "model2"
    assert train_attribution([*args[:3], str(out2), *args[4:], "--no-linker"]) == 0
    assert not RelationLinker.exists(out2)
