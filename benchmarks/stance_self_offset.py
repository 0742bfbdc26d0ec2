"""Would a per-label logit offset for pairs whose speaker is the target (Trump on Trump) help?

Fits the offsets on the news calibration pairs (the held-out train articles the stance model's
temperature is fitted on; never dev or test) in two ways: by likelihood (a proper scoring rule),
and by a grid over the favor offset that maximises calibration macro-F1; then prints news dev
macro-F1 and per-class F1 for each, beside the model as shipped. It prints the dev figures of the
whole grid too, so that what a dev-tuned offset would claim can be seen next to what the
calibration pairs choose.

    python benchmarks/stance_self_offset.py --data ../shared/data [--model DIR]

"Speaker is the target" is :func:`stance.targets.model.speaker_names_target`.
"""

from __future__ import annotations

import argparse
import json

import torch

from stance.data.stance_sets import read_news_quotes
from stance.evaluation.stance_metrics import class_f1, macro_f1
from stance.pipeline import NEWS_STANCE_MODEL
from stance.targets import StanceClassifier
from stance.targets.model import speaker_names_target
from stance.targets.train import build_training_data

GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def _scores(clf: StanceClassifier, exs: list) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    z = clf.logits([e.text for e in exs], [e.target for e in exs], [e.context for e in exs], batch_size=32,
                   speakers=[e.extras["speaker"] for e in exs])
    own = torch.tensor([speaker_names_target(e.target, e.extras["speaker"]) for e in exs])
    y = torch.tensor([clf.config.labels.index(e.label) for e in exs])
    return z / clf.config.temperature, own, y


def _f1(z: torch.Tensor, y: torch.Tensor, labels: tuple[str, ...]) -> dict[str, float]:
    """Per-class and macro F1 (percent) of the argmax of ``z`` against ``y``."""
    pred = [labels[k] for k in z.argmax(-1).tolist()]
    gold = [labels[k] for k in y.tolist()]
    out = {lab: round(100 * class_f1(gold=gold, pred=pred, label=lab), 1) for lab in labels}
    out["macro"] = round(100 * macro_f1(gold=gold, pred=pred, labels=labels), 1)
    return out


def _shift(z: torch.Tensor, own: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    z = z.clone()
    z[own] += offset
    return z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--model", default=str(NEWS_STANCE_MODEL))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clf = StanceClassifier.from_pretrained(args.model)
    labels = clf.config.labels
    _, calib = build_training_data(args.data, seed=0, recipe="news")
    zc, oc, yc = _scores(clf, [e for e in calib if e.dataset == "news"])
    zd, od, yd = _scores(clf, read_news_quotes(args.data, "dev"))
    out: dict = {"model": args.model, "calibration_pairs": len(yc), "calibration_self_pairs": int(oc.sum()),
                 "dev_pairs": len(yd), "dev_self_pairs": int(od.sum())}
    for name, z, own, y in (("calibration", zc, oc, yc), ("dev", zd, od, yd)):
        out[f"{name}_self_gold"] = {lab: int((y[own] == k).sum()) for k, lab in enumerate(labels)}
        out[f"{name}_self_predicted"] = {lab: int((z[own].argmax(-1) == k).sum()) for k, lab in enumerate(labels)}
        out[f"{name}_as_shipped"] = _f1(z, y, labels)
    # likelihood fit of the offsets on the calibration self pairs (neutral's fixed at 0)
    b = torch.zeros(len(labels), requires_grad=True)
    opt = torch.optim.LBFGS([b], max_iter=200)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(zc[oc] + b, yc[oc])
        loss.backward()
        return loss

    opt.step(closure)
    nll = (b - b[labels.index("neutral")]).detach()
    out["nll_offsets"] = {lab: round(float(v), 3) for lab, v in zip(labels, nll, strict=True)}
    out["dev_nll_offsets"] = _f1(_shift(zd, od, nll), yd, labels)
    grid = []
    for x in GRID:
        o = torch.zeros(len(labels))
        o[labels.index("favor")] = x
        grid.append({"favor_offset": x, "calibration_macro": _f1(_shift(zc, oc, o), yc, labels)["macro"],
                     "dev": _f1(_shift(zd, od, o), yd, labels)})
    out["favor_offset_grid"] = grid
    print(json.dumps(out, indent=2))  # noqa: T201 - a benchmark script prints its figures


if __name__ == "__main__":
    main()
