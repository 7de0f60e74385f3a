"""Can this model still be fine-tuned, and is it still served? Dates come from the price table.

    >>> import datetime as dt
    >>> fine_tuning_status("gpt-3.5-turbo-0125", on=dt.date(2026, 11, 25)).can_fine_tune
    False
    >>> fine_tuning_status("gpt-4o-mini", on=dt.date(2026, 11, 25)).warnings[0]
    'gpt-4o-mini-2024-07-18: new fine-tuning jobs can be started only until 2027-01-06 (42 days left)'
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from .prices import price_for

__all__ = ["LifecycleStatus", "fine_tuning_status", "SOON_DAYS"]

SOON_DAYS = 90  # warn this many days ahead of a deadline


@dataclass(frozen=True)
class LifecycleStatus:
    """Whether `model` can be fine-tuned and served on `on`, with human-readable warnings."""

    model: str
    on: dt.date
    can_fine_tune: bool
    is_served: bool
    fine_tunable_until: dt.date | None
    shutdown_date: dt.date | None
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when a new fine-tune can be started and its model will be served on `on`."""
        return self.can_fine_tune and self.is_served


def fine_tuning_status(
    model: str, *, on: dt.date | None = None, table: str | os.PathLike[str] | None = None
) -> LifecycleStatus:
    """Lifecycle of `model` on date `on` (default today): past deadlines are errors-in-waiting, near ones warnings."""
    on = on or dt.date.today()
    price = price_for(model, table=table)
    until, shutdown = price.fine_tunable_until, price.shutdown_date
    can_fine_tune = until is None or on <= until
    is_served = shutdown is None or on < shutdown
    warnings: list[str] = []
    if shutdown is not None and not is_served:
        warnings.append(f"{price.model}: shut down on {shutdown} — neither it nor fine-tunes of it can be used")
    elif not can_fine_tune:
        warnings.append(f"{price.model}: new fine-tuning jobs could be started only until {until}")
    elif until is not None and (until - on).days <= SOON_DAYS:
        warnings.append(
            f"{price.model}: new fine-tuning jobs can be started only until {until} ({(until - on).days} days left)"
        )
    if shutdown is not None and is_served and (shutdown - on).days <= SOON_DAYS:
        warnings.append(
            f"{price.model}: it and every fine-tune of it shut down on {shutdown} ({(shutdown - on).days} days left)"
        )
    return LifecycleStatus(price.model, on, can_fine_tune, is_served, until, shutdown, tuple(warnings))
