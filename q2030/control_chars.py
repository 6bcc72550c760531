"""Text that every document format can hold: no character XML 1.0 refuses.

lxml (so python-docx and odfdo) and openpyxl refuse the control characters `\\x00-\\x08`,
`\\x0b`, `\\x0c`, `\\x0e-\\x1f` and U+FFFE / U+FFFF; PostgreSQL refuses `\\x00`; a lone
surrogate cannot even be encoded. They arrive by paste: a form feed from a PDF, a vertical
tab from Excel or Word (their line break inside a cell). One stored such character used to
block every document of a département.

`clean_text` keeps tabs, line breaks and carriage returns, turns a vertical tab or a form
feed into a line break (what the person saw) and drops the rest. It is applied where every
write passes (the engine, `q2030.db`: bound parameters and JSON values) and again where
documents are rendered (`q2030.bureautique`, the XLSX writers), so that stored text can
never make a document fail.
"""

from __future__ import annotations

import json
import re

from q2030.frontieres import ValeurSql

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n"}


def clean_text(text: str) -> str:
    """The text without what XML cannot hold (vertical tab and form feed become line breaks)."""
    if not ILLEGAL.search(text):
        return text
    return ILLEGAL.sub(lambda match: _LINE_BREAKS.get(match.group(), ""), text)


def clean_value(value: ValeurSql) -> ValeurSql:
    """Strings cleaned inside any nesting of lists, tuples and dicts (keys too); other values unchanged."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_value(v) for v in value)
    return value


# The escapes `json.dumps` (ASCII output) writes for a character of ILLEGAL: u0000-u001f except
# tab, line feed and carriage return (b and f for two of them), ufffe, uffff, and surrogates
# ud800-udfff (a character beyond U+FFFF is written as a pair of them: it only takes the slow
# way). A backslash typed in the text is written doubled and may match too: the slow way, never a miss.
_ESCAPED_ILLEGAL = re.compile(r"\\(?:u00(?:0[0-8bcef]|1[0-9a-f])|uff(?:fe|ff)|ud[89a-f]|[bf])")


def clean_json(value: object) -> str:
    """`json.dumps` of the cleaned value: the engine's JSON serializer (escaped controls never stored).

    The common case, nothing to clean, is one `json.dumps` and one scan of its output (an
    import writes thousands of audit snapshots: cleaning each nested value first cost more
    than the encoding itself)."""
    dumped = json.dumps(value)
    if not _ESCAPED_ILLEGAL.search(dumped):
        return dumped
    return json.dumps(clean_value(value))


def _strings(parameters: object) -> str:
    """Every string among DB-API parameters (a row or a list of rows), joined: one scan finds a dirty one."""
    if isinstance(parameters, dict):
        return "\x20".join(v for v in parameters.values() if isinstance(v, str))
    if isinstance(parameters, (list, tuple)):
        return "\x20".join(
            v if isinstance(v, str) else _strings(v) for v in parameters if isinstance(v, (str, dict, list, tuple))
        )
    return ""


def clean_parameters(parameters: ValeurSql) -> ValeurSql:
    """DB-API parameters (tuple, dict, or a list of them for executemany) with their strings cleaned.

    The common case, nothing to clean, costs one scan and returns the same object.
    """
    if not parameters or not ILLEGAL.search(_strings(parameters)):
        return parameters
    return clean_value(parameters)
