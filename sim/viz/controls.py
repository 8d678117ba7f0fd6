"""The app's sidebar and the lines above the map: run buttons, settings grouped by kind, what
the running model uses, and which changed settings wait for Reset.

Settings are kept as the keyword arguments of `CentreApp` (``town``, ``scenario_name``, the
three driver multipliers, ``years``, ``rng``, ``policy_<lever>`` and ``intensity_<lever>``).
The page holds two copies: the *applied* settings (the running model was built from them) and
the *chosen* ones (what the controls show). A control that differs from the applied value is
marked "press Reset to apply", and a note above the map lists every such control; Reset builds
a new model from the chosen settings. Choosing another future sets the run to that future's own
years.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import solara
from mesa.visualization.utils import force_update, update_counter

from ..policies import POLICIES
from ..scenarios.loader import available_scenarios
from .model import CentreApp, own_years
from .settings import DRIVER_MAX, INTENSITY_MAX, town_choices

#: Milliseconds between steps when playing: slow enough to watch a medium town month by month.
PLAY_INTERVAL_MS = 50
#: Levers by what they work on (every lever of `sim.policies.POLICIES` is in one group).
LEVER_GROUPS = {
    "Space and stock": ("compaction", "herverkaveling", "transformation", "demolition"),
    "Use and mix": ("blurring", "popup_programme", "evening_economy", "deregulation"),
    "Money and rules": ("starter_support", "vacancy_ordinance", "biz", "peripheral_levy"),
    "Visitors": ("car_free", "hide_vacancy"),
}
DRIVERS = {"online_growth": "online share growth (x future)",
           "ageing": "ageing, 65+ share (x future)",
           "contagion": "vacancy contagion (x future)"}
LABELS = {"town": "town", "scenario_name": "future (scenario)", "years": "years to simulate",
          "rng": "random seed", **DRIVERS}
PENDING = "press Reset to apply"


def lever_groups() -> dict[str, tuple[str, ...]]:
    """`LEVER_GROUPS` plus an "Other" group for levers added later."""
    grouped = {n for names in LEVER_GROUPS.values() for n in names}
    rest = tuple(n for n in POLICIES if n not in grouped)
    return {**{k: tuple(n for n in v if n in POLICIES) for k, v in LEVER_GROUPS.items()},
            **({"Other": rest} if rest else {})}


def lever_summary(name: str) -> str:
    """A lever's one-line meaning (the first line of its docstring)."""
    return (POLICIES[name].__doc__ or "").strip().splitlines()[0].strip()


def initial_settings(town: str, scenario: str, start: int | None = None) -> dict[str, Any]:
    """Every control's first value."""
    start, years = own_years(scenario, start)
    out: dict[str, Any] = {"town": town, "scenario_name": scenario, "online_growth": 1.0,
                           "ageing": 1.0, "contagion": 1.0, "years": years, "rng": "0",
                           "start_year": start}
    for name in POLICIES:
        out[f"policy_{name}"] = False
        out[f"intensity_{name}"] = 1.0
    return out


def label_of(key: str) -> str:
    if key.startswith("policy_"):
        return f"policy {key.removeprefix('policy_').replace('_', ' ')}"
    if key.startswith("intensity_"):
        return f"{key.removeprefix('intensity_').replace('_', ' ')} intensity"
    return LABELS.get(key, key.replace("_", " "))


def changed(chosen: dict[str, Any], applied: dict[str, Any]) -> list[str]:
    """Controls whose chosen value differs from the running model's (intensities only where
    the lever is switched on)."""
    out = []
    for key, value in chosen.items():
        if key == "start_year" or value == applied.get(key):
            continue
        if key.startswith("intensity_") and not (chosen.get(f"policy_{key[10:]}")
                                                 or applied.get(f"policy_{key[10:]}")):
            continue
        out.append(key)
    return out


def active_lines(app: CentreApp) -> list[str]:
    """What the running model uses, in words: future and years, town and seed, drivers,
    policies."""
    s = app.settings
    end = s.start + s.years - 1
    drivers = ", ".join(f"{DRIVERS[k].split(' (')[0]} x{getattr(s, k):g}" for k in DRIVERS)
    levers = ", ".join(f"{n.replace('_', ' ')} (intensity {v:g})"
                       for n, v in s.policies.items()) or "none"
    return [f"Future: {s.scenario.replace('_', ' ')}, January {s.start} to December {end} "
            f"({s.years} years); town {s.town}; seed {s.seed}",
            f"Drivers: {drivers}", f"Active policies: {levers}"]


def idle_lines(app: CentreApp) -> list[str]:
    """Settings of the running model that do nothing (`sim.idle`)."""
    from ..idle import idle_settings

    if app.sim is None:
        return []
    lines = idle_settings(app.sim.municipality.policies, app.settings.start, app.settings.years,
                          app.sim.town)
    # the page sets no lever's start: the remedy here is a longer run
    return [re.sub(r" \(give start=\d+ or more years\)$", " (choose more years)", line)
            for line in lines]


@solara.component
def RunControls(app: solara.Reactive, chosen: solara.Reactive, applied: solara.Reactive,
                playing: solara.Reactive):
    """Reset (build the model from the chosen settings), play / pause, step; the finished
    state."""
    update_counter.get()
    model = app.value
    running = bool(model.running)
    lock = solara.use_memo(threading.Lock, [])

    def reset() -> None:
        playing.set(False)
        with lock:
            kwargs = dict(chosen.value)
            app.set(CentreApp(**kwargs))
            applied.set(kwargs)
        force_update()

    def step() -> None:
        with lock:
            app.value.step()
        force_update()

    def play_loop() -> None:
        while playing.value and app.value.running:
            time.sleep(PLAY_INTERVAL_MS / 1000)
            with lock:
                if not playing.value:
                    break
                app.value.step()
            force_update()
        if playing.value:  # the run ended by itself: show play again (disabled)
            playing.set(False)
            force_update()

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=reset)
        solara.Button("❚❚ Pause" if playing.value else "▶ Play", color="primary",
                      on_click=lambda: playing.set(not playing.value),
                      disabled=not running)
        solara.Button("Step", color="primary", on_click=step,
                      disabled=playing.value or not running)
    if model.sim is not None and not running:
        solara.Success(f"Run complete: {model.steps} months simulated. Press Reset to run "
                       "again.", classes=["binnenstad-done"], dense=True)


def _mark(label: str, key: str, chosen: dict, applied: dict) -> str:
    return f"{label} ({PENDING})" if key in changed(chosen, applied) else label


@solara.component
def SettingsPanel(chosen: solara.Reactive, applied: solara.Reactive):
    """Town, future, drivers, run length and seed; the levers in collapsible groups."""
    c, a = chosen.value, applied.value

    def set_(key: str, value: Any) -> None:
        new = {**chosen.value, key: value}
        if key == "scenario_name":  # each future over its own years
            new["start_year"], new["years"] = own_years(str(value))
        chosen.set(new)

    scenarios = list(available_scenarios())
    if c["scenario_name"] not in scenarios:
        scenarios.append(c["scenario_name"])
    with solara.Card("Future and town", margin=0):
        solara.Select(_mark("town", "town", c, a), value=c["town"],
                      values=town_choices(c["town"]), on_value=lambda v: set_("town", v))
        solara.Select(_mark("future (scenario)", "scenario_name", c, a),
                      value=c["scenario_name"], values=scenarios,
                      on_value=lambda v: set_("scenario_name", v))
        solara.SliderInt(_mark(f"years to simulate (from {c['start_year']})", "years", c, a),
                         value=int(c["years"]), min=1, max=40,
                         on_value=lambda v: set_("years", int(v)))
        solara.InputText(_mark("random seed", "rng", c, a), value=str(c["rng"]),
                         on_value=lambda v: set_("rng", v), continuous_update=False)
    with solara.Card("Drivers (x what the future says)", margin=0):
        for key, label in DRIVERS.items():
            solara.SliderFloat(_mark(label, key, c, a), value=float(c[key]), min=0.0,
                               max=DRIVER_MAX, step=0.1,
                               on_value=lambda v, key=key: set_(key, float(v)))
    with solara.Card("Policies", margin=0):
        for group, names in lever_groups().items():
            on = sum(bool(c[f"policy_{n}"]) for n in names)
            with solara.Details(f"{group} ({on} on)" if on else group, expand=False):
                for name in names:
                    key = f"policy_{name}"
                    solara.Checkbox(label=_mark(name.replace("_", " "), key, c, a),
                                    value=bool(c[key]),
                                    on_value=lambda v, key=key: set_(key, bool(v)))
                    solara.Text(lever_summary(name), style="font-size: 11px; color: #444;")
                    if c[key]:
                        ikey = f"intensity_{name}"
                        solara.SliderFloat(_mark("intensity", ikey, c, a),
                                           value=float(c[ikey]), min=0.0, max=INTENSITY_MAX,
                                           step=0.1,
                                           on_value=lambda v, ikey=ikey: set_(ikey, float(v)))


@solara.component
def RunSummary(app: solara.Reactive, chosen: solara.Reactive, applied: solara.Reactive):
    """Above the map: what the running model uses, settings that wait for Reset, settings that
    do nothing."""
    update_counter.get()
    model = app.value
    pending = changed(chosen.value, applied.value)
    with solara.Column(gap="2px", classes=["binnenstad-active"]):
        for line in active_lines(model):
            solara.Text(line, style="font-size: 13px")
    if pending:
        solara.Warning("Changed, not yet applied: " + ", ".join(label_of(k) for k in pending)
                       + f". The run shown still uses the old settings: {PENDING}.",
                       classes=["binnenstad-pending"], dense=True)
    for line in idle_lines(model):
        solara.Warning(f"Does nothing: {line}.", classes=["binnenstad-idle"], dense=True)
