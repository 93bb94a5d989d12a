"""Every Python file of both modules can be read by Odoo's term extraction (Babel).

Babel evaluates the arguments of ``_()`` calls; an f-string among them makes it give up on the whole file,
and every string of that file silently disappears from the .pot (and from the Chinese translation).
"""

from pathlib import Path

import pytest
from babel.messages.extract import extract

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(path for module in ("credit_control", "credit_control_insurance")
               for path in (ROOT / module).rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_terms_extract(path):
    with path.open("rb") as source:
        list(extract("python", source, keywords={"_": None, "_lt": None}))
