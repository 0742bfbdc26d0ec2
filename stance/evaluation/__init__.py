"""Evaluators (one per task) and the metrics they share."""

from stance.evaluation.attribution import AttributionEvaluator, content_kind, predicted_spans
from stance.evaluation.metrics import SpanCounts, bootstrap_f1, prf, span_counts

__all__ = ["AttributionEvaluator", "SpanCounts", "bootstrap_f1", "content_kind", "predicted_spans", "prf", "span_counts"]
