"""The walkthrough's notebook runner: executed copies keep widget state (final progress), are trusted, carry the
snapshot banner, say which notebook failed, and run the kernel without ipykernel's TCP warning."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.sign import NotebookNotary

from nbtools.walkthrough import SNAPSHOT_MARK, NotebookFailed, run_notebook, run_notebooks

WIDGET_CELL = "import ipywidgets as w\nw.VBox([w.HTML('<b>Compare answers</b>'), w.Button(description='Left is better')])"
PROGRESS_CELL = "from tqdm.auto import tqdm\nfor _ in tqdm(range(18), desc='answers'):\n    pass"


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _widget_states(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return nb, nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


def test_the_copy_keeps_widget_state_with_progress_bars_at_their_end(tmp_path, capfd):
    source = _notebook(tmp_path / "demo.ipynb", WIDGET_CELL, PROGRESS_CELL)
    notary_dir = tmp_path / "notary"
    notary_dir.mkdir()
    run = run_notebook(source, tmp_path / "executed", data_dir=notary_dir)

    nb, states = _widget_states(run.output)
    models = {state["model_name"] for state in states.values()}
    assert {"VBoxModel", "HTMLModel", "ButtonModel", "FloatProgressModel"} <= models
    bars = [s["state"] for s in states.values() if s["model_name"] == "FloatProgressModel"]
    assert [(bar["value"], bar["max"]) for bar in bars] == [(18, 18)]
    views = [o for cell in nb["cells"] for o in cell.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 2 and all(v["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] in states
                                   for v in views)
    assert SNAPSHOT_MARK in nb["cells"][0]["metadata"]["tags"] and "Executed snapshot" in "".join(nb["cells"][0]["source"])
    assert NotebookNotary(data_dir=str(notary_dir)).check_signature(nbformat.read(run.output, as_version=4))
    assert run.seconds > 0 and run.name == "demo"
    assert "without encryption" not in capfd.readouterr().err


def test_running_twice_keeps_one_banner(tmp_path):
    source = _notebook(tmp_path / "twice.ipynb", "1 + 1")
    first = run_notebook(source, tmp_path / "out", data_dir=tmp_path)
    again = run_notebook(first.output, tmp_path / "out2", data_dir=tmp_path)
    cells = nbformat.read(again.output, as_version=4).cells
    assert sum(SNAPSHOT_MARK in c.metadata.get("tags", []) for c in cells) == 1 and cells[1].outputs[0]["data"]["text/plain"] == "2"


def test_a_failing_cell_names_the_notebook_and_stops_the_walkthrough(tmp_path):
    bad = _notebook(tmp_path / "01_bad.ipynb", "x = 1", "raise ValueError('the sample file is missing')")
    later = _notebook(tmp_path / "02_later.ipynb", "y = 2")
    done = []
    with pytest.raises(NotebookFailed, match=r"01_bad\.ipynb failed in cell 2 .*ValueError: the sample file is missing"):
        run_notebooks([bad, later], tmp_path / "executed", on_done=done.append, data_dir=tmp_path)
    assert done == [] and not (tmp_path / "executed" / "02_later.ipynb").exists()
    partial = nbformat.read(tmp_path / "executed" / "01_bad.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for o in partial.cells[2].outputs)


def test_a_missing_notebook_is_an_input_error(tmp_path):
    from nbtools.errors import InputError

    with pytest.raises(InputError, match="no such notebook"):
        run_notebook(tmp_path / "nope.ipynb", tmp_path / "out")
