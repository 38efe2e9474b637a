"""Reliability tests report figures (counts, throughput, timings) at the end of the run.

Printed output is swallowed unless pytest runs with ``-s``; figures passed to the
``figures`` fixture are also shown in a terminal summary section, whatever the options.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

_FIGURES: list[str] = []


@pytest.fixture
def figures(request: pytest.FixtureRequest, record_property: Callable[[str, object], None]) -> Callable[[str], None]:
    """``figures("…")``: print a line, keep it for the summary and the JUnit XML."""

    def report(line: str) -> None:
        text = f"{request.node.name}: {line}"
        print(text)
        _FIGURES.append(text)
        record_property("figures", line)

    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("qcoder reliability figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
