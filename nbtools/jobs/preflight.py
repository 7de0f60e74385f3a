"""Check a job before launching it: the files validate, the cost is known and accepted, the model can be tuned.

Findings are plain records (check, severity, message). A cost over the threshold (dollars for hosted models, CPU
minutes for local ones), or a cost that cannot be estimated, needs a confirmation: ``confirmed=True`` or a
``confirm`` callback that receives the unconfirmed Preflight and answers True or False.

    >>> Finding("cost", "warning", "about $12.00").as_dict()
    {'check': 'cost', 'severity': 'warning', 'message': 'about $12.00'}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

from ..errors import InputError, ModelNotFoundError
from .spec import JobSpec

if TYPE_CHECKING:
    import pandas as pd

    from ..cost import LifecycleStatus, TrainingEstimate
    from ..validate import ValidationReport

__all__ = ["Finding", "Preflight", "preflight", "DEFAULT_MAX_USD", "DEFAULT_MAX_CPU_MINUTES"]

DEFAULT_MAX_USD = 5.0
DEFAULT_MAX_CPU_MINUTES = 15.0
Severity = Literal["ok", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    """One pre-flight result: which check, how bad, and a message for people."""

    check: str
    severity: Severity
    message: str

    def as_dict(self) -> dict[str, str]:
        """A table row."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, eq=False)
class Preflight:
    """Everything checked before launch. ``ok`` is True when nothing failed and any needed confirmation was given."""

    spec: JobSpec
    findings: tuple[Finding, ...]
    training: "ValidationReport"
    validation: "ValidationReport | None"
    estimate: "TrainingEstimate | None"
    lifecycle: "LifecycleStatus | None"
    needs_confirmation: bool
    confirmed: bool

    @property
    def ok(self) -> bool:
        """True when the job may be launched."""
        return not self.problems

    @property
    def problems(self) -> tuple[str, ...]:
        """Messages of the failed checks (an unconfirmed cost counts as one)."""
        failed = [f"{f.check}: {f.message}" for f in self.findings if f.severity == "error"]
        if self.needs_confirmation and not self.confirmed:
            failed.append("confirmation: the cost estimate needs your confirmation (confirmed=True)")
        return tuple(failed)

    def to_frame(self) -> "pd.DataFrame":
        """The findings as a table: check, severity, message."""
        import pandas as pd

        rows = [f.as_dict() for f in self.findings]
        if self.needs_confirmation:
            rows.append({"check": "confirmation", "severity": "ok" if self.confirmed else "error",
                         "message": "confirmed" if self.confirmed else "not confirmed: pass confirmed=True"})
        return pd.DataFrame(rows, columns=["check", "severity", "message"])

    def raise_for_problems(self) -> None:
        """Raise InputError listing every failed check (nothing when ``ok``)."""
        if self.problems:
            raise InputError("pre-flight check failed, the job was not launched:\n  " + "\n  ".join(self.problems),
                             file=str(self.spec.training_file))

    def confirm(self) -> "Preflight":
        """This pre-flight with the cost confirmed."""
        return dataclasses.replace(self, confirmed=True)


def _validate(path, spec: JobSpec, role: str) -> tuple["ValidationReport", Finding]:
    from ..validate import validate_file

    # the 10-example minimum applies to training files; a validation file may be smaller
    minimum: dict[str, Any] = {} if role == "training" else {"min_examples": 1}
    try:
        report = validate_file(path, model=spec.model, method=spec.method, **minimum)
    except ModelNotFoundError:  # a provider's model nbtools cannot count tokens for: check the format anyway
        report = validate_file(path, model=None, method=spec.method, **minimum)
    name = path.name
    if report.ok:
        warned = f", {report.n_warnings} warning(s): {', '.join(sorted(report.warning_counts))}" if report.n_warnings \
            else ""
        return report, Finding(f"{role} file", "warning" if report.n_warnings else "ok",
                               f"{name}: {report.n_examples} valid {report.kind} examples{warned}")
    return report, Finding(f"{role} file", "error", f"{name}: {report.n_errors} error(s); first: {report.first_error}")


def _cost(report: "ValidationReport", spec: JobSpec, *, max_usd: float, max_cpu_minutes: float
          ) -> tuple["TrainingEstimate | None", Finding, bool]:
    from ..cost import estimate_training

    if report.tokens.n == 0:
        return None, Finding("cost", "warning", "no valid example to count, cost not estimated"), False
    try:
        estimate = estimate_training(report.tokens.totals, model=spec.model, n_epochs=spec.n_epochs)
    except ModelNotFoundError:
        return None, Finding("cost", "warning", f"no price known for {spec.model!r}: the cost cannot be estimated "
                                                "and needs your confirmation"), True
    tokens = f"{estimate.billed_tokens:,} training tokens ({estimate.n_epochs} epoch(s) of {estimate.n_examples})"
    if estimate.cpu_seconds is not None:
        minutes = estimate.cpu_seconds / 60
        over = minutes > max_cpu_minutes
        took = f"{minutes:.1f} min" if minutes >= 1 else f"{estimate.cpu_seconds:.0f} s"
        text = f"{tokens}: about {took} of CPU on a 2-core machine, no charge"
        return estimate, Finding("cost", "warning" if over else "ok",
                                 text + (f" (over the {max_cpu_minutes:g} min threshold)" if over else "")), over
    over = estimate.cost_usd > max_usd
    text = f"{tokens}: about ${estimate.cost_usd:,.2f} at prices of {estimate.price_as_of}"
    return estimate, Finding("cost", "warning" if over else "ok",
                             text + (f" (over the ${max_usd:g} threshold)" if over else "")), over


def _lifecycle(spec: JobSpec, on: dt.date | None) -> tuple["LifecycleStatus | None", list[Finding]]:
    from ..cost import fine_tuning_status

    try:
        status = fine_tuning_status(spec.model, on=on)
    except ModelNotFoundError:
        return None, [Finding("model", "warning", f"{spec.model!r} is not in the price table: cannot tell whether it "
                                                  "can still be fine-tuned; the backend will say")]
    if not status.ok:
        return status, [Finding("model", "error", w) for w in status.warnings] or [
            Finding("model", "error", f"{status.model} can no longer be fine-tuned")]
    findings = [Finding("model", "warning", w) for w in status.warnings]
    return status, findings or [Finding("model", "ok", f"{status.model} can be fine-tuned")]


def preflight(spec: JobSpec, *, max_usd: float = DEFAULT_MAX_USD, max_cpu_minutes: float = DEFAULT_MAX_CPU_MINUTES,
              confirm: Callable[[Preflight], bool] | None = None, confirmed: bool = False,
              on: dt.date | None = None) -> Preflight:
    """Validate the files of `spec`, estimate the cost, check the model's lifecycle, ask for confirmation if needed.

    `on` is the date for lifecycle checks (today by default). `confirm` is called only when a confirmation is
    needed and `confirmed` is False.
    """
    findings: list[Finding] = []
    training, found = _validate(spec.training_path, spec, "training")
    findings.append(found)
    validation = None
    if spec.validation_path is not None:
        validation, found = _validate(spec.validation_path, spec, "validation")
        findings.append(found)
        if validation.ok and training.ok and validation.kind != training.kind:
            findings.append(Finding("validation file", "error", f"holds {validation.kind} examples but the training "
                                                                f"file holds {training.kind} examples"))
    estimate, found, needs_confirmation = _cost(training, spec, max_usd=max_usd, max_cpu_minutes=max_cpu_minutes)
    findings.append(found)
    lifecycle, found_model = _lifecycle(spec, on)
    findings.extend(found_model)
    result = Preflight(spec, tuple(findings), training, validation, estimate, lifecycle, needs_confirmation,
                       confirmed=bool(confirmed))
    if needs_confirmation and not confirmed and confirm is not None:
        result = dataclasses.replace(result, confirmed=bool(confirm(result)))
    return result
