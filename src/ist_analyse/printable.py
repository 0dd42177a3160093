"""Text from the data made safe to show: invisible and format-breaking characters as escapes.

An activity name or case attribute can hold anything its source allowed: a bell (U+0007) from a
copy-paste, an escape sequence (``ESC[31m``) that recolours a terminal, C1 controls from a
wrongly decoded export, the noncharacters U+FFFE/U+FFFF, a lone surrogate, or a right-to-left
override (U+202E) that shows ``exe.txt`` as ``txt.exe`` ("Trojan Source", CVE-2021-42574).
XML 1.0 forbids most of these (§2.2 ``Char``), so an SVG, the Graphviz label parser or the
Excel download refuses them; a terminal obeys them. The data themselves are kept exactly as read
(Parquet and ``--json`` carry them unchanged, JSON as ``\\u`` escapes); only where text is shown
— process maps, the HTML/PDF report, charts, downloads, terminal tables — :func:`visible`
replaces each such character by its Python escape (``\\x07``, ``\\x1b``, ``\\ufffe``,
``\\u202e``), so a reader sees that something odd is there and two labels that differ only in
it stay apart. Tab, line feed and carriage return are ordinary white space and stay.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls except tab/LF/CR, DEL, C1 controls, surrogates, the bidi embeddings, overrides
#: and isolates (U+202A–U+202E, U+2066–U+2069), and the noncharacters U+FFFE/U+FFFF
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
                         "\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: Any) -> str:
    """``text`` as a string with every unprintable character shown as its escape.

    >>> visible("Antrag\\x07 eingegangen"), visible("A\\u202eB"), visible("Prüfung")
    ('Antrag\\\\x07 eingegangen', 'A\\\\u202eB', 'Prüfung')
    """
    return UNPRINTABLE.sub(_escape, str(text))


def terminal(text: Any) -> str:
    """``text`` for a rich console: :func:`visible`, and rich markup (``[bold]``) shown as
    text."""
    from rich.markup import escape

    return escape(visible(text))
