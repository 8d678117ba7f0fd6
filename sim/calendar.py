"""The model's calendar: the clock, the burn-in, the spin-up and the recorded run.

The clock counts simulated months, the burn-in included. A run holds its drivers at the burn-in
year (``origin_year``: the scenario's start year, or ``start_year`` if earlier) during the
burn-in, then simulates from January of ``origin_year`` (the spin-up, unrecorded, when
``start_year`` is later) and records from January of ``start_year``. Every date the model shows
derives from these few numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Calendar:
    start_year: int  # first recorded year (January)
    origin_year: int  # the year the burn-in is held at
    clock: int = 0  # months simulated, burn-in included (the month being simulated, 1-based)
    burn_in_months: int = 0
    in_burn_in: bool = True
    recording: bool = False

    def advance(self) -> None:
        self.clock += 1

    @property
    def months_since_origin(self) -> int:
        """Months since January of the burn-in year of the month being simulated (negative
        during the burn-in)."""
        return self.clock - 1 - self.burn_in_months

    @property
    def month_index(self) -> int:
        """Months since January of ``start_year`` of the month being simulated (negative before
        the recorded run)."""
        return self.months_since_origin - 12 * (self.start_year - self.origin_year)

    @property
    def spin_up_months(self) -> int:
        return 12 * (self.start_year - self.origin_year)

    @property
    def calendar_month(self) -> int:
        return (self.clock - 1) % 12 + 1

    @property
    def year(self) -> int:
        return self.origin_year + (self.months_since_origin // 12 if not self.in_burn_in else 0)

    @property
    def year_f(self) -> float:
        """The time drivers are read at: frozen at the burn-in year during the burn-in."""
        return self.origin_year + (self.months_since_origin / 12.0 if not self.in_burn_in
                                   else 0.0)

    @property
    def recorded_month(self) -> int:
        """1-based number of the month being recorded (Mesa's ``steps`` while recording)."""
        return self.month_index + 1


class CalendarView:
    """The calendar's numbers as attributes of the model (``model.clock``, ``model.year`` ...),
    for the submodels and for users; the model's `Calendar` is their one home."""

    calendar: Calendar

    @property
    def clock(self) -> int:
        return self.calendar.clock

    @property
    def start_year(self) -> int:
        return self.calendar.start_year

    @property
    def origin_year(self) -> int:
        return self.calendar.origin_year

    @property
    def in_burn_in(self) -> bool:
        return self.calendar.in_burn_in

    @property
    def recording(self) -> bool:
        return self.calendar.recording

    @property
    def burn_in_months(self) -> int:
        return self.calendar.burn_in_months

    @property
    def months_since_origin(self) -> int:
        return self.calendar.months_since_origin

    @property
    def month_index(self) -> int:
        return self.calendar.month_index

    @property
    def calendar_month(self) -> int:
        return self.calendar.calendar_month

    @property
    def year(self) -> int:
        return self.calendar.year

    @property
    def year_f(self) -> float:
        return self.calendar.year_f
