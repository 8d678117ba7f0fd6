"""Command line: ``binnenstad run | scenarios | policies | params``.

User mistakes (unknown names, bad values, unreadable files) print one line to stderr and exit
with code 2, before anything is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="binnenstad: agent-based simulation of a Dutch city centre.")


def _fail(message: str) -> None:
    print(f"binnenstad: error: {message}", file=sys.stderr)
    raise typer.Exit(2)


@app.command()
def run(
    town: Annotated[str, typer.Option(help="Preset (small, medium, large, xl) or a .geojson file.")]
    = "medium",
    scenario: Annotated[str, typer.Option(help="Scenario preset name or a .toml file.")]
    = "baseline",
    policy: Annotated[list[str] | None, typer.Option(
        help="Policy lever, repeatable; name or name:key=value,key=value.")] = None,
    start: Annotated[int, typer.Option(help="First simulated year (January).")] = 2013,
    years: Annotated[int, typer.Option(help="Number of simulated years.")] = 12,
    seed: Annotated[int, typer.Option(help="Root random seed of the run.")] = 0,
    out: Annotated[Path | None, typer.Option(
        help="Output folder [default: outputs/<scenario>-<town>-s<seed>/].")] = None,
    backend: Annotated[str, typer.Option(help="Kernel backend: numba or reference.")] = "numba",
    town_seed: Annotated[int, typer.Option(help="Seed of a generated town.")] = 0,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Run one simulation and write timeseries/units/events Parquet tables, run.json and figures."""
    from .kernels import BACKENDS
    from .runner import default_out, prepare
    from .runner import run as run_sim

    policies = list(policy or [])
    if years <= 0:
        _fail(f"--years must be a positive number of years (got {years})")
    if not 1900 <= start <= 2200:
        _fail(f"--start must be a year between 1900 and 2200 (got {start})")
    if backend not in BACKENDS:
        _fail(f"unknown --backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    target = out if out is not None else default_out(scenario, town, seed, policies)
    if target.exists() and not target.is_dir():
        _fail(f"--out {target} exists and is not a folder")
    try:
        twn, sc, _ = prepare(town, scenario, policies, years, seed, town_seed)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    console = Console(stderr=True)
    months = 12 * years
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("months"), TimeElapsedColumn(), console=console,
                  disable=quiet) as bar:
        task = bar.add_task(f"{sc.name} on {twn.name}", total=months)
        result = run_sim(twn, sc, policies, start=start, years=years, seed=seed, out=target,
                         backend=backend, town_seed=town_seed, figures=figures,
                         progress=lambda: bar.advance(task))
    ts = result.timeseries
    first, last = ts.iloc[0], ts.iloc[-1]
    console.print(
        f"vacancy {100 * first.vacancy_rate:.1f}% ({first.date:%Y-%m}) -> "
        f"{100 * last.vacancy_rate:.1f}% ({last.date:%Y-%m}); shops {first.n_shops} -> "
        f"{last.n_shops}; results in {target}/", soft_wrap=True)


@app.command()
def scenarios() -> None:
    """List the scenario presets with a one-line description."""
    from .scenarios.loader import available_scenarios

    for name, desc in available_scenarios().items():
        print(f"{name:28s} {desc}")


@app.command()
def policies() -> None:
    """List the policy levers with a one-line description."""
    from .policies import available_policies

    levers = available_policies()
    if not levers:
        print("(no policy levers available yet)")
    for name, desc in levers.items():
        print(f"{name:22s} {desc}")


@app.command()
def params() -> None:
    """List every scenario parameter and driver with its unit and meaning."""
    from .scenarios.schema import PARAMS, TRAJECTORIES

    for name, spec in {**PARAMS, **TRAJECTORIES}.items():
        kind = "driver" if spec.kind == "traj" else spec.kind
        print(f"{name:36s} {kind:7s} [{spec.unit}] {spec.doc}")


# Batch experiments (sweep, analyse, sensitivity) live in their own module.
from .batch.cli import register as _register_batch  # noqa: E402

_register_batch(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
