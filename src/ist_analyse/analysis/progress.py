"""A progress bar for long steps, on stderr only: stdout belongs to ``--json``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def steps(total: int, first: str, enabled: bool | None = None) -> Iterator[Callable[[str], None]]:
    """Show ``total`` steps; yield ``advance(next_description)`` to call between them.

    Args:
        total: number of steps.
        first: description of the first step.
        enabled: ``None`` shows the bar only when stderr is a terminal.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda _description: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(first, total=total)

        def advance(description: str) -> None:
            bar.update(task, advance=1, description=description)

        yield advance
        bar.update(task, completed=total)
