"""The command line's progress bar: one look for every long command (verify, submit, demo)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Bar:
    """One task's bar; call it as the `on_progress(done, total)` a long operation reports to."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def __call__(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def stage(self, stage: str, done: int, total: int) -> None:
        """Like a call, naming the stage the work is in."""
        self._progress.update(self._task, description=stage, completed=done, total=total)

    def advance(self, steps: int) -> None:
        self._progress.advance(self._task, steps)

    def stop(self) -> None:
        self._progress.stop()


@contextmanager
def progress_bar(console: Console, description: str, *, total: int | None = None, shown: bool = True) -> Iterator[Bar]:
    """A bar on `console` (hidden when not `shown`, e.g. when stderr is not a terminal)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not shown) as progress:
        yield Bar(progress, progress.add_task(description, total=total))
