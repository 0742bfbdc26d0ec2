"""Who said it: canonical speakers per article (names, pronouns, descriptors, anonymous sources)."""

from stance.attribution.ranker import MentionRanker
from stance.attribution.resolver import Cluster, Resolution, ResolverConfig, RuleResolver

__all__ = ["Cluster", "MentionRanker", "Resolution", "ResolverConfig", "RuleResolver"]
