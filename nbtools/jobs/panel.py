"""The launch panel: the pre-flight findings, a Confirm button when the cost needs a yes, and a Launch button.

A thin ipywidgets view: it shows a :class:`Preflight`, confirms it with :meth:`Preflight.confirm`, and calls the
``launch`` function it was given (``launch_job`` bound to a client); the launched job's watcher, when asked for,
appears below. Errors from the functions it calls are shown in the panel.

    panel = launch_panel(client, spec, label="my-notebook")   # findings, [Confirm cost], [Launch]
    panel.record                                                # the JobRecord once launched
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as w

from ..widget_errors import ERROR_COLOR, error_html
from .launch import launch_job
from .preflight import Preflight, preflight
from .runlog import JobRecord
from .spec import JobSpec

__all__ = ["LaunchPanel", "launch_panel"]

_COLORS = {"ok": "#1b7a1b", "warning": "#9a6700", "error": ERROR_COLOR}


class LaunchPanel(w.VBox):
    """Findings, Confirm and Launch for one pre-flight; see the module docstring."""

    def __init__(self, check: Preflight, *, launch: Callable[[Preflight], JobRecord],
                 after_launch: Callable[[JobRecord], Any] | None = None) -> None:
        self.check = check
        self.record: JobRecord | None = None
        self._launch, self._after_launch = launch, after_launch
        self.findings = w.HTML()
        self.confirm_button = w.Button(description="Confirm the cost", button_style="warning", icon="check")
        self.launch_button = w.Button(description="Launch", button_style="primary", icon="rocket")
        self.message = w.HTML()
        self.below = w.VBox()
        self.confirm_button.on_click(self._on_confirm)
        self.launch_button.on_click(self._on_launch)
        super().__init__([self.findings, w.HBox([self.confirm_button, self.launch_button]), self.message,
                          self.below])
        self.render()

    def render(self) -> None:
        """Show the findings and enable the buttons that apply."""
        rows = "".join(
            f'<tr><td>{html.escape(f.check)}</td><td style="color:{_COLORS[f.severity]}">{f.severity}</td>'
            f"<td>{html.escape(f.message)}</td></tr>" for f in self.check.findings)
        self.findings.value = f"<b>Pre-flight</b><table>{rows}</table>"
        waiting = self.check.needs_confirmation and not self.check.confirmed
        self.confirm_button.layout.display = None if waiting else "none"
        self.launch_button.disabled = not self.check.ok or self.record is not None
        if waiting:
            self.message.value = "The cost estimate is over the threshold: confirm it to launch."
        elif not self.check.ok:
            self.message.value = (f'<span style="color:{ERROR_COLOR}">Fix the problems above, then run the pre-flight '
                                  "again.</span>")

    def _on_confirm(self, _button: Any = None) -> None:
        self.check = self.check.confirm()
        self.message.value = "Cost confirmed."
        self.render()

    def _on_launch(self, _button: Any = None) -> None:
        self.launch_button.disabled = True
        try:
            self.record = self._launch(self.check)
        except Exception as exc:  # shown to the person who clicked; the library raised a clear message
            self.message.value = error_html(exc)
            self.render()
            return
        self.message.value = (f"Launched <code>{html.escape(self.record.job_id)}</code> on the "
                              f"{html.escape(self.record.backend)} backend.")
        if self._after_launch is not None:
            shown = self._after_launch(self.record)
            if isinstance(shown, w.Widget):
                self.below.children = (shown,)


def launch_panel(client: Any, spec: JobSpec, *, label: str | None = None, watch: bool = True,
                 home: Any = None, **preflight_options: Any) -> LaunchPanel:
    """Run the pre-flight of `spec` and return a panel that launches it on `client`'s backend (and watches it).

    `preflight_options` go to :func:`preflight` (``max_usd``, ``max_cpu_minutes``, ``on``).
    """
    check = preflight(spec, **preflight_options)

    def launch(confirmed: Preflight) -> JobRecord:
        return launch_job(client, spec, preflight=confirmed, label=label, home=home)

    after = None
    if watch:
        from .widget import watch_widget

        def after(record: JobRecord):
            return watch_widget(client, record.job_id, home=home)

    return LaunchPanel(check, launch=launch, after_launch=after)
