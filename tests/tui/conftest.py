"""The workbench tests read English screens unless they ask for Chinese (``QCODER_LANG`` / ``language=``).

A new project's language is Chinese, so ``open_app`` would choose Chinese; the tests
written against the English screen text pin English here, and the language tests
(``test_i18n.py``) choose explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qcoder.i18n import set_language


@pytest.fixture(autouse=True)
def english_interface(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("QCODER_LANG", "en")
    yield
    set_language("en")
