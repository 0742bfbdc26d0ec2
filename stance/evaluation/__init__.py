"""Evaluators (one per task) and the metrics they share."""

from stance.evaluation.attribution import AttributionEvaluator, content_kind, predicted_spans
from stance.evaluation.metrics import SpanCounts, bootstrap_f1, prf, span_counts
from stance.evaluation.speakers import SpeakerEvaluator

__all__ = ["AttributionEvaluator", "SpeakerEvaluator", "SpanCounts", "bootstrap_f1", "content_kind", "predicted_spans", "prf", "span_counts"]
