"""MkDocs hook: show the docstrings' Sphinx roles (:class:`~stance.Document`) as code links.

The library's docstrings are reST-flavoured prose read by mkdocstrings with
``docstring_style: sphinx``; that parser reads ``:param:`` fields but leaves inline roles as
``:class:<code>~stance.document.Document</code>``. This turns each into an optional
cross-reference, resolved by mkdocs-autorefs to the API page when the object is documented
there and shown as plain code otherwise (never a warning).
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|data|attr|exc|obj|const):<code>(~?)([^<]+)</code>")


def _ref(match: re.Match[str]) -> str:
    tilde, target = match.group(1), match.group(2).strip()
    shown = target.rsplit(".", 1)[-1] if tilde else target
    # short class names in the docstrings (:class:`Document`, :meth:`Pipeline.pipe`) mean the
    # public ``stance.Document``; other short paths (pandas.DataFrame) stay as written
    ident = f"stance.{target}" if target[:1].isupper() else target
    return f'<autoref identifier="{ident}" slug="{target}" optional><code>{shown}</code></autoref>'


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_ref, html)
