"""The kill -9 suite counts what it did; the count is printed at the end of the run."""

from __future__ import annotations

from collections import Counter

import pytest

CRASH_STATS: Counter[str] = Counter()


@pytest.fixture
def crash_stats() -> Counter[str]:
    return CRASH_STATS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if CRASH_STATS["kills"] or CRASH_STATS["writers"]:
        s = CRASH_STATS
        terminalreporter.write_sep("-", "crash safety")
        terminalreporter.write_line(
            f"kill -9: {s['kills']} writers killed at random moments and every state checked "
            f"({s['writers']} writers started, {s['rounds']} rounds run; {s['mid_round']} kills left a round "
            f"half done, {s['temp_files']} temp files left behind; nothing torn, nothing lost)"
        )
