"""Making untrusted text (resource names, tags, messages that quote them) safe for the
place it is written to. Every renderer passes data through one of these:

- `terminal(s)`: no ANSI/OSC escape sequences (OSC-8 links, colours, cursor moves, window
  titles) and no control characters: data cannot repaint or hijack a terminal;
- `csv_cell(s)`: one physical line, and no cell a spreadsheet would run as a formula
  (`= + - @`, also after leading blanks, tab or CR);
- `xml(s)`: only characters XML 1.0 allows (others would make the file unreadable);
- `one_line(s)`: for headers (an email subject): controls and line breaks become spaces;
- `markdown(s)`: HTML special characters escaped, so a name cannot inject markup.
"""

from __future__ import annotations

import html
import re

# CSI ... final byte; OSC ... BEL or ST; other ESC sequences (two bytes); 8-bit CSI/OSC
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC (incl. OSC-8 hyperlinks)
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # other escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"
)  # 8-bit OSC
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROLS_AND_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# XML 1.0: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "|")


def terminal(s) -> str:
    """Text with escape sequences removed and control characters shown as '?' (newlines
    and tabs kept)."""
    s = _ESCAPES.sub("", str(s))
    return _CONTROLS.sub("?", s)


def one_line(s) -> str:
    """A single line: escapes removed, controls and line breaks as spaces, runs collapsed."""
    s = _ESCAPES.sub("", str(s))
    return " ".join(_CONTROLS_AND_BREAKS.sub(" ", s).split())


def csv_cell(s) -> str:
    """A spreadsheet-safe cell: no line breaks (a bare CR would start a new row in some
    readers), no escapes, and a leading quote before anything that starts a formula."""
    s = str(s)
    s = _ESCAPES.sub("", s).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    s = _CONTROLS.sub(" ", s)
    if s.lstrip(" ")[:1] in _FORMULA:
        return "'" + s
    return s


def xml(s) -> str:
    """Characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/FFFF) as '?'."""
    return _NOT_XML.sub("?", str(s))


def markdown(s) -> str:
    """HTML-escaped text for Markdown (also `|`, which would split a table cell), on one line."""
    return html.escape(one_line(s), quote=True).replace("|", "\\|")
