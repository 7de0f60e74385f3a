"""Run the tutorial notebooks unattended and keep executed copies that open in JupyterLab as the user saw them live.

Three things make an executed copy render like the live notebook:

- **widget state**: nbclient records the state of every widget the kernel created (``store_widget_state``), so
  the comparison, job watcher and studio widgets render from the saved state, and a progress bar shows its final
  value (``18/18``), not the ``0/18`` of its text fallback;
- **trust**: JupyterLab renders widget views only in *trusted* notebooks, and a notebook executed outside
  JupyterLab is not signed. The copies are signed with this user's notebook secret (as ``jupyter trust`` does);
- **a snapshot banner**: a first cell says that the widgets show saved state and do not call the kernel.

The kernel talks to nbclient over local IPC sockets rather than TCP on 127.0.0.1, which is also why ipykernel's
"Kernel is running over TCP without encryption" warning does not appear.

    timings = run_notebooks(["notebooks/01_clean_corpus.ipynb"], "build/executed")
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.sign import NotebookNotary

from ..errors import InputError, NbtoolsError

__all__ = ["NotebookRun", "NotebookFailed", "run_notebook", "run_notebooks", "SNAPSHOT_MARK"]

SNAPSHOT_MARK = "nbtools-snapshot"
_BANNER = (
    "> **Executed snapshot** ({when}, {seconds:.0f} s). The widgets below show the state they had when this copy was "
    "made; they do not talk to a kernel. To use them live, open `notebooks/{name}` and run it."
)


class NotebookFailed(NbtoolsError):
    """A tutorial notebook raised while it ran; the message names the notebook and the failing cell."""


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: where it came from, where its copy is, how long it took."""

    source: Path
    output: Path
    seconds: float

    @property
    def name(self) -> str:
        return self.source.stem


def _snapshot_banner(nb: nbformat.NotebookNode, name: str, seconds: float) -> None:
    """Put (or replace) the snapshot note as the first cell."""
    nb.cells = [c for c in nb.cells if SNAPSHOT_MARK not in c.get("metadata", {}).get("tags", [])]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    cell = nbformat.v4.new_markdown_cell(_BANNER.format(when=when, seconds=seconds, name=name),
                                         metadata={"tags": [SNAPSHOT_MARK]})
    nb.cells.insert(0, cell)


def _trust(path: Path, data_dir: str | os.PathLike[str] | None) -> None:
    """Sign the notebook file as written (what ``jupyter trust`` does), so JupyterLab renders its widgets."""
    notary = NotebookNotary(data_dir=str(data_dir)) if data_dir else NotebookNotary()
    notary.sign(nbformat.read(path, as_version=4))


def run_notebook(source: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, timeout: int = 1800,
                 data_dir: str | os.PathLike[str] | None = None) -> NotebookRun:
    """Execute one notebook in its own folder and write a signed snapshot copy (widget state kept) to `out_dir`.

    Raises :class:`NotebookFailed` naming the notebook and the cell when a cell fails; the partly executed copy is
    still written so the error can be read in it.
    """
    source = Path(source)
    if not source.is_file():
        raise InputError("no such notebook", file=str(source))
    nb = nbformat.read(source, as_version=4)
    out = Path(out_dir) / source.name
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nbtools-kernel-") as sockets:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                resources={"metadata": {"path": str(source.parent)}})
        # IPC sockets in a private folder instead of TCP on 127.0.0.1.
        client.km = client.create_kernel_manager()
        client.km.transport = "ipc"
        client.km.ip = str(Path(sockets) / "kernel")
        start = time.monotonic()
        failure: CellExecutionError | None = None
        try:
            client.execute()
        except CellExecutionError as exc:
            failure = exc
        seconds = time.monotonic() - start
    _snapshot_banner(nb, source.name, seconds)
    nbformat.write(nb, out)
    _trust(out, data_dir)
    if failure is not None:
        cell = next((i for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error"
                                                                 for o in c.get("outputs", []))), None)
        where = f"in cell {cell}" if cell is not None else "while starting"  # index 0 is the banner
        raise NotebookFailed(f"{source.name} failed {where} after {seconds:.0f} s: {failure.ename}: "
                             f"{failure.evalue} (the executed copy with the traceback: {out})")
    return NotebookRun(source=source, output=out, seconds=seconds)


def run_notebooks(sources: Iterable[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *,
                  timeout: int = 1800, on_done: Callable[[NotebookRun], None] | None = None,
                  data_dir: str | os.PathLike[str] | None = None) -> list[NotebookRun]:
    """Execute notebooks in order (each reads what the previous wrote); stop at the first failure."""
    runs = []
    for source in sources:
        run = run_notebook(source, out_dir, timeout=timeout, data_dir=data_dir)
        runs.append(run)
        if on_done is not None:
            on_done(run)
    return runs
