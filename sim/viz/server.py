"""Serve the app with Solara's own server, locally and offline.

The front-end comes from the ``solara-assets`` package (same release as ``solara``), not from a
CDN; production mode and ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False`` keep the page from calling
home, so it works on a machine or municipal network without internet access.
"""

from __future__ import annotations

import os
import socket
import warnings

from .settings import ENV_SCENARIO, ENV_START, ENV_TOWN

#: Solara settings that must be in the environment before Solara is imported.
OFFLINE_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
               # Solara's corner badge covered the charts' axes.
               "SOLARA_THEME_SHOW_BANNER": "False", "SOLARA_THEME_TITLE": "binnenstad"}


def port_free(host: str, port: int) -> bool:
    """True if ``host:port`` can be bound now (with SO_REUSEADDR, as the server binds it)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(town: str = "medium", scenario: str = "baseline", *, host: str = "127.0.0.1",
          port: int = 8765, open_browser: bool = False, start: int | None = None) -> None:
    """Run the app's server until interrupted (Ctrl+C). Blocks. ``start`` None: the
    scenario's own start year."""
    os.environ.update({ENV_TOWN: town, ENV_SCENARIO: scenario})
    if start is None:
        os.environ.pop(ENV_START, None)
    else:
        os.environ[ENV_START] = str(start)
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    import click
    from solara.__main__ import run as solara_run  # after the environment is set

    # Solara warns on every page load that its session cookie is not sent over https; a page
    # served on this computer over http is the intended use.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    args = ["sim.viz.app", "--host", host, "--port", str(port), "--production",
            "--no-check-version", "--open" if open_browser else "--no-open",
            "--log-level", "warning"]
    try:
        solara_run.main(args=args, prog_name="binnenstad viz", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        pass
    print("binnenstad viz: stopped", flush=True)
