"""End-to-end fixtures: stacks of real processes, their logs on failure, measured figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Stack

FIGURES = pytest.StashKey[list[str]]()
OPEN = pytest.StashKey[list["Stacks"]]()  # stacks not closed yet: their logs go to failures


class Stacks:
    """Starts stacks for one test (or module) and closes all of them afterwards."""

    def __init__(self, root: Path, weights_dir: Path, config: pytest.Config) -> None:
        self.root = root
        self.weights_dir = weights_dir
        self.started: list[Stack] = []
        self._open = config.stash.setdefault(OPEN, [])
        self._open.append(self)

    def __call__(self, **options: Any) -> Stack:
        workdir = self.root / f"stack-{len(self.started) + 1}"
        workdir.mkdir(parents=True)
        stack = Stack(workdir, self.weights_dir, **options)
        self.started.append(stack)
        return stack.start()

    def close(self) -> None:
        """Close every stack, then fail if the bot sent a request the Bot API does not accept."""
        try:
            for stack in reversed(self.started):
                stack.close()
        finally:
            self._open.remove(self)
        for stack in self.started:
            stack.api.assert_no_violations()

    def log_tails(self) -> str:
        return "\n".join(s.log_tails() for s in self.started)


@pytest.fixture
def make_stack(request: pytest.FixtureRequest, tmp_path: Path, weights_dir: Path) -> Stacks:
    """``make_stack(**options)`` starts a :class:`Stack` of this test's own."""
    stacks = Stacks(tmp_path, weights_dir, request.config)
    request.addfinalizer(stacks.close)
    return stacks


@pytest.fixture(scope="module")
def make_module_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, weights_dir: Path
) -> Stacks:
    """Like ``make_stack``, for a stack that the tests of one module share."""
    stacks = Stacks(tmp_path_factory.mktemp("e2e"), weights_dir, request.config)
    request.addfinalizer(stacks.close)
    return stacks


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record a measured figure: printed now and again in the terminal summary."""

    def record(text: str) -> None:
        print(text)
        request.config.stash.setdefault(FIGURES, []).append(text)

    return record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed end-to-end test's report carries the tail of every running process's log."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for stacks in item.config.stash.get(OPEN, []):
            report.sections.append(("process logs", stacks.log_tails()))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = config.stash.get(FIGURES, [])
    if figures:
        terminalreporter.section("end-to-end figures")
        for text in figures:
            terminalreporter.write_line(text)
