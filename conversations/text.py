"""What a resident's text looks like once stored: the same words, without what breaks the pipeline.

``clean`` runs at the edge, before an event is stored (web API and LINE webhook):

- an unpaired UTF-16 surrogate (``"\\ud800"`` in JSON decodes to one) becomes U+FFFD: it cannot
  be encoded, so PostgreSQL, JSON and every later step would fail on it;
- NUL and the other C0/C1 control characters go (tab and line feed stay; CR LF and CR become LF);
- bidirectional embedding, override and isolate controls go (they make a text read differently
  from how it is stored, in the console and in logs).

Nothing else changes: width, kana and emoji are kept as the resident wrote them.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` with lone surrogates replaced and control characters removed (see the module)."""
    if not text:
        return text
    text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)
