"""Step-by-step progress on stderr: a live bar on a terminal, plain timed lines in CI logs."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Steps:
    def __init__(self, total: int, title: str) -> None:
        self.total = total
        self.index = 0
        self.console = Console(stderr=True, highlight=False)
        self.live = sys.stderr.isatty()
        self.console.print(f"[bold]{title}[/bold]")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.index += 1
        label = f"[{self.index}/{self.total}] {name}"
        start = time.perf_counter()
        if self.live:
            with self.console.status(label):
                yield
        else:
            self.console.print(f"{label} ...")
            yield
        self.console.print(f"{label} done in {time.perf_counter() - start:.1f}s")

    @contextmanager
    def bar(self, name: str, total: int) -> Iterator["BarAdvance"]:
        """A counted sub-task (CV folds); a bar on a terminal, one line per unit elsewhere."""
        if not self.live:
            yield BarAdvance(lambda: None, self.console, name, total)
            return
        columns = (
            TextColumn("    {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task(name, total=total)
            yield BarAdvance(lambda: progress.advance(task), None, name, total)

    def note(self, text: str) -> None:
        self.console.print(f"    {text}")


class BarAdvance:
    def __init__(
        self, advance: Callable[[], None], console: Console | None, name: str, total: int
    ) -> None:
        self._advance = advance
        self._console = console
        self._name = name
        self._total = total
        self._done = 0

    def __call__(self, detail: str = "") -> None:
        self._done += 1
        if self._console is not None:
            self._console.print(f"    {self._name} {self._done}/{self._total} {detail}".rstrip())
        else:
            self._advance()
