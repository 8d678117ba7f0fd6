"""`binnenstad animate RUN_DIR`: the command line of `sim.animate` (kept apart so that the CLI
starts without importing matplotlib and pandas)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def animate_command(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `binnenstad run`.")],
    out: Annotated[Path | None, typer.Option(
        help="GIF to write [default: RUN_DIR/animation.gif]; the MP4 goes next to it.")] = None,
    fps: Annotated[float, typer.Option(help="Frames (years) per second.")] = 1.5,
    mp4: Annotated[bool | None, typer.Option(
        "--mp4/--no-mp4", help="Also write an MP4 [default: when ffmpeg is on PATH].",
        show_default=False)] = None,
) -> None:
    """Animate the map of a run over its years (GIF; MP4 too when ffmpeg is installed)."""
    from .animate import AnimationError, animate
    from .errors import fail as _fail

    try:
        paths = animate(run_dir, out=out, fps=fps, mp4=mp4)
    except AnimationError as exc:
        _fail(str(exc))
    print("wrote " + ", ".join(str(p) for p in paths))
