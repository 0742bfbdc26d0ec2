"""Target stance: does a quote favour, oppose or stay neutral toward a user-named target?"""

from stance.targets.model import StanceClassifier, StanceConfig, default_model_dir

__all__ = ["StanceClassifier", "StanceConfig", "default_model_dir"]
