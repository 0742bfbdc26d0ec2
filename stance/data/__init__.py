"""Dataset readers. Data is never shipped: point them at a local copy (``STANCE_DATA`` or ``--data``)."""

from stance.data.polnear import Attribution, PolnearArticle, default_data_dir, read_polnear

__all__ = ["Attribution", "PolnearArticle", "default_data_dir", "read_polnear"]
