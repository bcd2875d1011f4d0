"""docs/documents.md promises runnable code: execute its Python blocks in order."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "documents.md"


def test_documents_guide_code_blocks_run(capsys) -> None:  # type: ignore[no-untyped-def]
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    out = capsys.readouterr().out
    assert "parse_error json" in out
    assert "[expires_after_issued_on]" in out


def test_documents_guide_lists_every_rule() -> None:
    from openbadges_core._ob2._validation import RULES

    text = DOC.read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in text] == []
