"""``binnenstad viz``: start the interactive app (registered in `sim.cli`)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..limits import START_YEARS


def viz(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8765,
    town: Annotated[str, typer.Option(help="First town: small, medium, large or a .geojson "
                                           "file.")] = "medium",
    scenario: Annotated[str, typer.Option(help="First scenario: preset name or a .toml file.")]
    = "baseline",
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this computer "
                                           "only).")] = "127.0.0.1",
    start: Annotated[int | None, typer.Option(
        help="First simulated year (January) [default: the scenario's own start year; a year "
             "outside the years it covers is refused, as in binnenstad run].")] = None,
    open_browser: Annotated[bool, typer.Option("--open/--no-open",
                                               help="Open a browser tab on the app.")] = False,
) -> None:
    """Start the interactive app (map, charts, drivers and policy levers) in the browser.

    Served from this computer only (127.0.0.1) and fully offline; stop it with Ctrl+C.
    """
    from ..errors import fail as _fail
    from .server import port_free, serve
    from .settings import AppSettings, SettingsError, build_scenario, build_town

    if not 1 <= port <= 65535:
        _fail(f"--port must be between 1 and 65535 (got {port})")
    if start is not None and not START_YEARS[0] <= start <= START_YEARS[1]:
        _fail(f"--start must be a year between {START_YEARS[0]} and {START_YEARS[1]} (got {start})")
    from ..scenarios.loader import ScenarioError, load_scenario
    from .model import own_years

    try:
        build_town(town)
        first, _ = own_years(scenario, start)
        build_scenario(AppSettings(town=town, scenario=scenario, start=first))
        if start is not None:
            from ..validate import check_scenario_start

            check_scenario_start(start, load_scenario(scenario))
    except (SettingsError, ScenarioError, ValueError) as exc:
        _fail(str(exc))
    if not port_free(host, port):
        _fail(f"cannot serve on {host}:{port} (in use or not an address of this computer); "
              "choose another --port or --host")
    print(f"binnenstad viz: serving on http://{host}:{port}/ (offline; Ctrl+C stops)",
          flush=True)
    serve(town, scenario, host=host, port=port, open_browser=open_browser, start=start)
