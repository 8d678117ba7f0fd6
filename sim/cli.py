"""Command line: ``binnenstad run | scenarios | policies | params``.

User mistakes (unknown names, bad values, unreadable files, unusable output folders, and the
usage errors of the option parser: bad types, unknown options, missing values) print ONE line,
``binnenstad: error: <message naming the option or file and the allowed values>``, to stderr and
exit with code 2, before anything is written. Ctrl-C prints ``binnenstad: interrupted`` and exits
130, SIGTERM ``binnenstad: terminated`` and 143; an invariant violated under ``--check`` exits 3.
Heavy libraries (Mesa, numba, pandas, matplotlib) are imported inside the commands, and
matplotlib only when figures are drawn.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import signals as _signals
from .errors import (
    EXIT_INTERRUPTED,
    EXIT_INVARIANT,
    EXIT_TERMINATED,
    EXIT_USAGE,
    error_line,
    fail,
)
from .signals import Signals, Terminated


def _allowed_values() -> dict[str, str]:
    """Allowed values of the typed options, for reformatted parser errors."""
    from .limits import MAX_SEED, MAX_WORKERS, MAX_YEARS, START_YEARS

    seed = f"a whole number from 0 to {MAX_SEED}"
    return {"--years": f"a whole number from 1 to {MAX_YEARS}",
            "--start": f"a year from {START_YEARS[0]} to {START_YEARS[1]}",
            "--seed": seed, "--town-seed": seed,
            "--workers": f"a whole number from 1 to {MAX_WORKERS}",
            "--replicates": "a whole number of at least 1"}


def _option_names(ctx: Any) -> list[str]:
    if ctx is None:
        return []
    names = []
    for p in ctx.command.get_params(ctx):
        names += [o for o in (*p.opts, *p.secondary_opts) if o.startswith("-")]
    return sorted(set(names))


def _usage_line(e: Exception) -> str:
    """One line for a click/typer usage error, naming the option and what is allowed."""
    from typer._click import exceptions as ce  # typer vendors click; no public path

    ctx = getattr(e, "ctx", None)
    options = _option_names(ctx)
    allowed_options = f"; allowed: {', '.join(options)}" if options else (
        "; see binnenstad --help")
    if isinstance(e, ce.NoSuchOption):
        guess = (f" (did you mean {' or '.join(sorted(e.possibilities))}?)"
                 if e.possibilities else "")
        return f"unknown option {e.option_name}{guess}{allowed_options}"
    if isinstance(e, ce.BadParameter) and not isinstance(e, ce.MissingParameter):
        param = e.param
        name = param.opts[0] if param is not None and param.opts else (e.param_hint or "value")
        allowed = _allowed_values().get(name) or "see binnenstad run --help"
        msg = ("not a whole number" if "integer" in e.message
               else e.message.split(",")[0].rstrip("."))
        return f"{name}: {msg}; allowed: {allowed}"
    if isinstance(e, ce.BadOptionUsage):
        opt = e.option_name
        if "requires an argument" in e.message:
            return f"{opt} needs a value; allowed: {_allowed_values().get(opt, 'see --help')}"
        if "does not take a value" in e.message:
            return f"{opt} is a flag and takes no value; allowed: {opt} alone"
        return f"{e.message.rstrip('.')}{allowed_options}"
    msg = e.format_message().rstrip(".")
    if ctx is not None and isinstance(ctx.command, TyperGroup):
        return f"{msg}; allowed commands: {', '.join(ctx.command.list_commands(ctx))}"
    if "unexpected extra argument" in msg:
        return f"{msg}; {ctx.command_path if ctx else 'the command'} takes options only"
    return msg


class OneLineErrors(TyperGroup):
    """The app's command group: parser errors, Ctrl-C and SIGTERM become one line on stderr."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        from typer._click import exceptions as ce

        code, word = 0, None
        sig = _signals.active()
        try:
            rv = super().main(args=args, prog_name=prog_name or "binnenstad",
                              complete_var=complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
            if code == EXIT_INTERRUPTED:  # typer turns KeyboardInterrupt into Exit(130)
                word = "interrupted"
            elif sig is not None and code == 0:
                sig.finish()  # the command is done: a signal from now on is only noted
            elif sig is not None:
                sig.failed()  # it failed and said so: a signal held meanwhile adds nothing
        except ce.NoArgsIsHelpError as e:
            e.show()
            code = EXIT_USAGE
        except ce.UsageError as e:
            print(error_line(_usage_line(e)), file=sys.stderr)
            code = EXIT_USAGE
        except (KeyboardInterrupt, typer.Abort):
            code, word = EXIT_INTERRUPTED, "interrupted"
        except Terminated:
            code, word = EXIT_TERMINATED, "terminated"
        except SystemError as e:  # a signal that surfaced inside a compiled (numba) call
            if isinstance(e.__cause__, KeyboardInterrupt):
                code, word = EXIT_INTERRUPTED, "interrupted"
            elif isinstance(e.__cause__, Terminated):
                code, word = EXIT_TERMINATED, "terminated"
            else:
                raise
        if word is not None:  # (a command that printed its own line raised SystemExit)
            print(sig.stop_line(word) if sig is not None else f"binnenstad: {word}",
                  file=sys.stderr)
        elif sig is not None and code == 0 and sig.late_line():
            print(sig.late_line(), file=sys.stderr)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(cls=OneLineErrors, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="binnenstad: agent-based simulation of a Dutch city centre.")


@app.command()
def run(
    ctx: typer.Context,
    town: Annotated[str, typer.Option(help="Preset (small, medium, large, xl) or a .geojson file.")]
    = "medium",
    scenario: Annotated[str, typer.Option(help="Scenario preset name or a .toml file.")]
    = "baseline",
    policy: Annotated[list[str] | None, typer.Option(
        help="Policy lever, repeatable (each lever once); name or name:key=value,key=value.")]
    = None,
    start: Annotated[int | None, typer.Option(
        help="First recorded year (January) [default: the scenario's own start year].")] = None,
    years: Annotated[int, typer.Option(help="Number of recorded years, 1-200.")] = 12,
    seed: Annotated[int, typer.Option(help="Root random seed of the run (>= 0).")] = 0,
    out: Annotated[str | None, typer.Option(
        help="Output folder, replaced as a whole [default: outputs/<settings>-<hash>/].")]
    = None,
    backend: Annotated[str, typer.Option(help="Kernel backend: numba or reference.")] = "numba",
    town_seed: Annotated[int, typer.Option(help="Seed of a generated town (>= 0).")] = 0,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    check: Annotated[bool, typer.Option(
        help="Check the model invariants every month; stop at the first violation (exit 3).")]
    = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="PARAM=VALUE",
        help="What-if: replace a parameter, repeatable (PARAM=0.3, MAP.KEY=250 or "
             "MAP={key = 250}); names: binnenstad params.")] = None,
    driver_scale: Annotated[list[str] | None, typer.Option(
        metavar="DRIVER=FACTOR",
        help="What-if: scale a driver's change from its start-year value, repeatable "
             "(online_share_*=2: online growth twice as fast; 0 freezes it).")] = None,
    csv: Annotated[bool, typer.Option(
        help="Also write the tables as CSV files (for spreadsheets).")] = False,
) -> None:
    """Run one simulation and write timeseries/units/events Parquet tables, run.json and figures."""
    from .startup import preload

    preload()  # Mesa, pandas, numba with the garbage collector paused: see sim/startup.py
    from . import validate as v
    from .outdir import ResultsFolder
    from .runner import default_out, prepare
    from .scenarios.loader import ScenarioError
    from .scenarios.whatif import apply_whatifs, parse_assignments, parse_scales

    policies = list(policy or [])
    try:
        params = parse_assignments(set_ or [], "--set")
        scales = parse_scales(driver_scale or [], "--driver-scale")
    except ScenarioError as exc:
        fail(str(exc))
    try:
        v.check_years(years, "--years")
        if start is not None:
            v.check_start(start, "--start")
        v.check_seed(seed, "--seed")
        v.check_seed(town_seed, "--town-seed")
        v.check_backend(backend, "--backend")
        target = v.check_out(out, "--out")
        v.check_policies(policies, "--policy")
    except ValueError as exc:
        fail(str(exc))
    if target is not None and (sig := _signals.active()) is not None:
        sig.writing(target)  # from here a signal's line says the folder is unchanged

    try:
        twn, sc, _ = prepare(town, scenario, policies, years, seed, town_seed)
        start = v.check_scenario_start(start, sc)
        # Checked now, so a bad what-if fails before anything is written; applied by the run.
        apply_whatifs(sc, params, scales, float(start), ("--set", "--driver-scale"))
        if target is None:
            target = default_out(scenario, town, seed, policies, start, years, town_seed,
                                 backend, params, scales)
        folder = ResultsFolder(target).open()  # before the simulation: unusable paths fail now
    except (ValueError, OSError) as exc:
        fail(str(exc))
    if (sig := _signals.active()) is not None:
        sig.writing(target)  # a signal's line says that the folder is unchanged
    from .idle import idle_settings, warn

    warn(idle_settings(policies, start, years, twn))  # levers that cannot act: say so

    try:
        result = _simulate(folder, twn, sc, policies, start, years, seed, backend, town_seed,
                           figures, quiet, check, ctx.obj if isinstance(ctx.obj, Signals) else None,
                           {"params": params, "driver_scale": scales}, csv)
    except BaseException:
        folder.abort()  # no-op when the run already cleaned up
        raise
    ts = result.timeseries
    first, last = ts.iloc[0], ts.iloc[-1]
    print(f"vacancy {100 * first.vacancy_rate:.1f}% ({first.date:%Y-%m}) -> "
          f"{100 * last.vacancy_rate:.1f}% ({last.date:%Y-%m}); shops {first.n_shops} -> "
          f"{last.n_shops}; results in {target}/", file=sys.stderr)
    print("One seed is one story: the spread over seeds is in docs/ODD.md section 8.2; for your "
          "own settings run several seeds, e.g. binnenstad compare --replicates 10.",
          file=sys.stderr)


class _NoBar:
    """Stands in for the progress bar under --quiet (rich is not imported then)."""

    def add_task(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def advance(self, task: int) -> None:
        pass


def _simulate(folder: Any, twn: Any, sc: Any, policies: list[str], start: int, years: int,
              seed: int, backend: str, town_seed: int, figures: bool, quiet: bool,
              check: bool, signals: Signals | None, whatif: dict[str, Any] | None = None,
              csv: bool = False) -> Any:
    """The simulation under a progress bar on stderr; one-line errors as in `run`. Signals are
    held from the model's construction to the end of the last month (see `Signals`)."""
    from .invariants import InvariantError
    from .runner import run as run_sim

    if quiet:
        from contextlib import nullcontext

        progress_bar: Any = nullcontext(_NoBar())
    else:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        progress_bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TextColumn("months"), TimeElapsedColumn(),
                                console=Console(stderr=True))
    try:
        with progress_bar as bar:
            task = bar.add_task(f"{sc.name} on {twn.name}", total=12 * years)
            months = [0]

            def tick() -> None:
                bar.advance(task)
                months[0] += 1
                if signals is not None:
                    signals.hold(months[0] < 12 * years)  # the files are written unheld
                    signals.check()

            if signals is not None:
                signals.hold(True)
            try:
                return run_sim(twn, sc, policies, start=start, years=years, seed=seed,
                               out=folder, backend=backend, town_seed=town_seed,
                               figures=figures, progress=tick, check=check or None,
                               params=(whatif or {}).get("params"),
                               driver_scale=(whatif or {}).get("driver_scale"), csv=csv)
            finally:
                if signals is not None:
                    signals.holding = False
    except InvariantError as exc:
        fail(str(exc), EXIT_INVARIANT)
    except ValueError as exc:  # the results could not be moved into place
        fail(str(exc))


@app.command()
def scenarios(
    name: Annotated[str | None, typer.Argument(
        help="A scenario preset or .toml file: print its story, years, assumptions and "
             "expectations.")] = None,
) -> None:
    """List the scenario presets, or explain one (binnenstad scenarios NAME)."""
    from .startup import collector_paused

    with collector_paused():  # Mesa: see sim/startup.py
        from .scenarios.loader import ScenarioError, available_scenarios
    if name is None:
        for preset, desc in available_scenarios().items():
            print(f"{preset:28s} {desc}")
        print("\nbinnenstad scenarios NAME explains one.")
        return
    from .help_text import scenario_help

    try:
        print(scenario_help(name))
    except (ScenarioError, OSError) as exc:
        fail(str(exc))


@app.command()
def policies(
    name: Annotated[str | None, typer.Argument(
        help="A policy lever: print its mechanism, sources and every setting.")] = None,
) -> None:
    """List the policy levers, or explain one (binnenstad policies NAME)."""
    from .policies import PolicyError, available_policies

    if name is None:
        for lever, desc in available_policies().items():
            print(f"{lever:22s} {desc}")
        print("\nbinnenstad policies NAME explains one (mechanism, settings, units).")
        return
    from .help_text import lever_help

    try:
        print(lever_help(name))
    except PolicyError as exc:
        fail(str(exc))


@app.command()
def params() -> None:
    """List every scenario parameter and driver with its unit and meaning."""
    from .scenarios.schema import PARAMS, TRAJECTORIES

    for name, spec in {**PARAMS, **TRAJECTORIES}.items():
        kind = "driver" if spec.kind == "traj" else spec.kind
        print(f"{name:36s} {kind:7s} [{spec.unit}] {spec.doc}")


# Commands that live in their own modules (app, animations, town files from OpenStreetMap).
from .animate_cli import animate_command  # noqa: E402
from .town_osm.cli import town_app  # noqa: E402
from .viz.cli import viz  # noqa: E402

app.command()(viz)
app.command("animate")(animate_command)
app.add_typer(town_app, name="town")

# Batch experiments (sweep, analyse, sensitivity) live in their own module.
from .batch.cli import register as _register_batch  # noqa: E402

_register_batch(app)

# Calibration and validation (calibrate, validate).
from .calibration.cli import register as _register_calibration  # noqa: E402
from .calibration.validate_cli import register as _register_validation  # noqa: E402

_register_calibration(app)
_register_validation(app)


def _needs_extra(command: str, modules: tuple[str, ...], extra: str) -> None:
    """Make ``binnenstad COMMAND`` fail with one line when its optional stack is missing."""
    import functools
    import importlib.util

    for info in app.registered_commands:
        if info.name != command or info.callback is None:
            continue
        callback = info.callback

        @functools.wraps(callback)
        def checked(*args: Any, __cb=callback, **kwargs: Any) -> Any:
            missing = [m for m in modules if importlib.util.find_spec(m) is None]
            if missing:
                fail(f"binnenstad {command} needs {', '.join(missing)}, which the base install "
                      f"leaves out: pip install 'binnenstad[{extra}]' (in a checkout: pip "
                      f"install -e '.[{extra}]')")
            return __cb(*args, **kwargs)

        info.callback = checked


# The calibration stack is an extra (pyproject.toml: [calibrate]).
_needs_extra("calibrate", ("pyabc", "cloudpickle"), "calibrate")
_needs_extra("validate", ("esda", "libpysal"), "calibrate")

# Reports (report, compare).
from .report.cli import register as _register_report  # noqa: E402

_register_report(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``argv`` defaults to ``sys.argv[1:]``)."""
    # Ctrl-C and SIGTERM become exceptions, so an interrupted run removes its temporary folder.
    signals = Signals()
    signals.install()
    try:  # the group's main() handles signals once typer has built the commands
        app(args=argv, prog_name="binnenstad", obj=signals)
        return
    except KeyboardInterrupt:
        print(signals.stop_line("interrupted"), file=sys.stderr)
        code = EXIT_INTERRUPTED
    except Terminated:
        print(signals.stop_line("terminated"), file=sys.stderr)
        code = EXIT_TERMINATED
    except SystemExit as e:
        if e.code not in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            raise
        code = e.code
    # Interrupted (clean-up is done): exit with this code now. A normal exit could still end in
    # SIGINT (status -2) when the interrupt surfaced inside a C extension's PyRun_* call, which
    # makes CPython re-raise it at exit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
