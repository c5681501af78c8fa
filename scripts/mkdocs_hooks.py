"""MkDocs hook of the documentation site: the docstrings cite objects with Sphinx roles (:func:`~a.b.c`), which
mkdocstrings leaves as text; this shows them as plain code with the short name, as Sphinx would."""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|func|meth|data|attr|mod|exc|obj):<code>~?(?:[\w.]*\.)?([\w]+)</code>")


def on_page_content(html: str, **_: Any) -> str:
    """The page's HTML with each ``:role:`~x.y``` rendered as ``y`` in code."""
    return _ROLE.sub(r"<code>\1</code>", html)
