"""What was said: quote marks, cues and content spans (direct, indirect, mixed)."""

from stance.quotes.extractor import ExtractorConfig, RuleExtractor

__all__ = ["ExtractorConfig", "RuleExtractor"]
