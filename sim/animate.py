"""``binnenstad animate RUN_DIR``: the map of a run over its years, as a GIF (and an MP4 when
ffmpeg is installed).

A run folder (written by ``binnenstad run``) holds yearly unit snapshots (``units.parquet``: the
start state and every December) and the monthly time series (``timeseries.parquet``). Each frame
shows one snapshot: the map (units by function, vacant units as crosses, zones outlined) with the
date and the vacancy rate, next to the vacancy curve with the frame's date marked. The street
network is rebuilt from ``run.json`` (a preset with its seed, or the town file) when it matches
the snapshots; otherwise the map shows the units only.

Files are written under a temporary name and renamed when complete: a failed or interrupted
call leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .figures import (
    FUNCTION_COLOURS,
    ZONE_COLOURS,
    ZONE_LABELS,
    ZONE_LINESTYLES,
    draw_centre,
    zone_outlines,
)
from .functions import FUNCTION_NAMES, ZONE_NAMES
from .limits import MAX_TEXT_FILE_BYTES
from .safeio import read_text_limited
from .town import Town

#: Columns the animation reads.
UNIT_NEEDS = ("year", "step", "unit_id", "x", "y", "function", "is_vacant", "floor_area",
              "retail_eligible")
TIMESERIES_NEEDS = ("date", "step", "vacancy_rate")
#: Seconds the last frame is held before the GIF loops.
HOLD_S = 2.0


class AnimationError(ValueError):
    """The run folder or an option cannot give an animation; the message is one line."""


@dataclass
class RunFrames:
    """What the animation needs from a run folder."""

    units: pd.DataFrame
    timeseries: pd.DataFrame
    meta: dict[str, Any]
    town: Town | None
    label: str

    @property
    def functions(self) -> set[str]:
        """Unit functions that occur in any snapshot."""
        return set(self.units["function"].astype(str))


def _read_table(path: Path, needs: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise AnimationError(f"{path.parent}: {path.name} missing; a run folder written by "
                             "`binnenstad run` has units.parquet and timeseries.parquet")
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged or foreign file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AnimationError(f"{path}: not a readable Parquet table ({reason})") from None
    missing = [c for c in needs if c not in df.columns]
    if missing:
        raise AnimationError(f"{path}: column(s) {', '.join(missing)} missing; expected the "
                             f"columns of `binnenstad run` ({', '.join(needs)}, ...)")
    return df


def _rebuild_town(meta: dict[str, Any], units: pd.DataFrame) -> Town | None:
    """The run's street network, if ``run.json`` says how to rebuild it and it matches."""
    from .town import PRESETS, generate_town
    from .town_io import TownFileError, load_town

    info = meta.get("town_meta") or {}
    try:
        if info.get("preset") in PRESETS:
            town = generate_town(info["preset"], seed=int(info.get("seed", 0)))
        elif info.get("source") and Path(info["source"]).is_file():
            town = load_town(info["source"])
        else:
            return None
    except (TownFileError, ValueError, OSError):
        return None
    # Units merge and split during a run (a snapshot then holds other units than the town), so
    # the town is the run's when the start state's units stand where the town's do.
    first = units[units["year"] == units["year"].min()]
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(np.column_stack([town.unit_x, town.unit_y])).query(
        np.column_stack([first["x"].to_numpy(), first["y"].to_numpy()]))
    if len(first) == 0 or float(np.mean(dist < 0.01)) < 0.9:
        return None
    return town


def _nearest_runs(folder: Path, n: int = 3) -> list[Path]:
    """Run folders beside ``folder`` whose names are closest to its name (a prefix first)."""
    import difflib

    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        return []
    runs = [p for p in parent.iterdir() if p.is_dir() and (p / "units.parquet").is_file()]
    prefixed = sorted(p for p in runs if p.name.startswith(folder.name))
    if prefixed:
        return prefixed[:n]
    names = difflib.get_close_matches(folder.name, [p.name for p in runs], n=n, cutoff=0.3)
    return [parent / name for name in names]


def resolve_run_dir(run_dir: str | Path) -> Path:
    """The run folder ``run_dir``, or the one run folder whose name starts with it (folder
    names carry the settings and a hash: ``outputs/baseline-medium-s0`` finds
    ``outputs/baseline-medium-s0-2013+12y-ts0-numba-<hash>``); `AnimationError` naming the
    nearest run folders otherwise."""
    folder = Path(run_dir)
    if folder.is_dir():
        return folder
    near = _nearest_runs(folder)
    if len(near) == 1 and near[0].name.startswith(folder.name):
        return near[0]
    hint = (f"; nearest run folders: {', '.join(str(p) for p in near)}" if near else
            "; give a folder written by `binnenstad run`")
    raise AnimationError(f"{folder}: no such run folder{hint}")


def load_run(run_dir: str | Path) -> RunFrames:
    """Read and check a run folder; raises `AnimationError` with one line."""
    folder = resolve_run_dir(run_dir)
    units = _read_table(folder / "units.parquet", UNIT_NEEDS)
    ts = _read_table(folder / "timeseries.parquet", TIMESERIES_NEEDS)
    if units.empty:
        raise AnimationError(f"{folder / 'units.parquet'}: no yearly snapshots (the table is "
                             "empty)")
    unknown = sorted(set(units["function"].astype(str)) - set(FUNCTION_NAMES))
    if unknown:
        raise AnimationError(f"{folder / 'units.parquet'}: function {unknown[0]!r} is not "
                             f"known; allowed: {', '.join(FUNCTION_NAMES)}")
    meta: dict[str, Any] = {}
    if (folder / "run.json").is_file():
        try:
            meta = json.loads(read_text_limited(folder / "run.json", MAX_TEXT_FILE_BYTES))
        except (OSError, ValueError, RecursionError):
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
    parts = [str(meta.get(k)) for k in ("town", "scenario") if meta.get(k)]
    if meta.get("policies"):
        parts.append(" + ".join(str(p) for p in meta["policies"]))
    label = ", ".join(parts) if parts else folder.name
    return RunFrames(units, ts, meta, _rebuild_town(meta, units), label)


def frame_dates(run: RunFrames) -> list[tuple[int, int, str]]:
    """(snapshot year, step, label) of every frame: the start state, then every December."""
    out = []
    for (year, step), _ in run.units.groupby(["year", "step"], sort=True):
        label = f"start of {int(year) + 1}" if int(step) == 0 else f"end of {int(year)}"
        out.append((int(year), int(step), label))
    return out


def snapshot_vacancy(snap: pd.DataFrame) -> float:
    """Vacant retail-eligible units / retail-eligible units in one snapshot (fraction)."""
    eligible = snap["retail_eligible"].astype(bool)
    n = int(eligible.sum())
    return float((snap["is_vacant"].astype(bool) & eligible).sum() / n) if n else 0.0


def _draw_frame(fig: Figure, run: RunFrames, snap: pd.DataFrame, label: str, step: int,
                outlines: dict | None) -> None:
    fig.clear()
    ax_map = fig.add_axes((0.02, 0.04, 0.56, 0.84))
    ax_ts = fig.add_axes((0.66, 0.4, 0.32, 0.46))
    codes = snap["function"].map({n: i for i, n in enumerate(FUNCTION_NAMES)}).to_numpy()
    rate = snapshot_vacancy(snap)
    if run.town is not None:
        draw_centre(ax_map, run.town, codes.astype(np.int64),
                    area=snap["floor_area"].to_numpy(), outlines=outlines, legend=None,
                    frame=False, fontsize=8,
                    unit_xy=(snap["x"].to_numpy(), snap["y"].to_numpy()))
    else:
        occ = ~snap["is_vacant"].astype(bool).to_numpy()
        ax_map.scatter(snap["x"][occ], snap["y"][occ],
                       c=[FUNCTION_COLOURS[f] for f in snap["function"][occ]],
                       s=np.clip(snap["floor_area"][occ] / 8, 6, 120), edgecolors="#555555",
                       linewidths=0.3)
        ax_map.scatter(snap["x"][~occ], snap["y"][~occ], marker="x", c="black", s=34)
        ax_map.set_aspect("equal")
        ax_map.set_axis_off()
    seed = run.meta.get("seed")
    one = f" (one run, seed {seed})" if seed is not None else ""
    fig.suptitle(f"{run.label}: {label}, vacancy {100 * rate:.1f}%{one}", fontsize=12)

    ts = run.timeseries
    dates = pd.to_datetime(ts["date"])
    for zone in ("all", *ZONE_NAMES):
        col = "vacancy_rate" if zone == "all" else f"vacancy_rate_{zone}"
        if col in ts:
            ax_ts.plot(dates, 100 * ts[col], color=ZONE_COLOURS[zone], ls=ZONE_LINESTYLES[zone],
                       lw=1.8 if zone == "all" else 1.2, label=ZONE_LABELS[zone])
    # The snapshot after month ``step`` sits on that month's row (the start state on the first).
    match = dates[ts["step"] == step]
    when = match.iloc[0] if len(match) else dates.min()
    ax_ts.axvline(when, color="0.3", lw=1.0)
    ax_ts.plot([when], [100 * rate], "o", color="black", markersize=5)
    ax_ts.set_ylabel("vacancy (% of shop units)", fontsize=8)
    ax_ts.tick_params(labelsize=7)
    ax_ts.grid(alpha=0.3)
    ax_ts.legend(fontsize=6.5, frameon=False, loc="upper left")
    for label_ in ax_ts.get_xticklabels():
        label_.set_rotation(30)
    present = [f for f in FUNCTION_NAMES if f != "vacant" and f in run.functions]
    handles = [Line2D([], [], ls="", marker="o", markersize=6, markerfacecolor=FUNCTION_COLOURS[f],
                      markeredgecolor="#555555", markeredgewidth=0.3, label=f.replace("_", " "))
               for f in present]
    handles.append(Line2D([], [], ls="", marker="x", color="black", label="vacant unit"))
    if run.town is not None:
        handles += [Line2D([], [], color=ZONE_COLOURS[z], ls=ZONE_LINESTYLES[z], lw=1.4,
                           label=ZONE_LABELS[z]) for z in ZONE_NAMES]
        handles.append(Line2D([], [], ls="", marker="^", markerfacecolor="white",
                              markeredgecolor="black", label="entry point"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.62, 0.04), ncol=3,
               fontsize=7, frameon=False)


def animate(run_dir: str | Path, out: str | Path | None = None, fps: float = 1.5,
            mp4: bool | None = None, dpi: int = 90) -> list[Path]:
    """Write the animation of the run in ``run_dir``; return the files written.

    Args:
        run_dir: a folder written by ``binnenstad run``.
        out: GIF path (default ``RUN_DIR/animation.gif``); the MP4 goes next to it.
        fps: frames (years) per second.
        mp4: also write an MP4; default: when ``ffmpeg`` is on PATH.
        dpi: resolution of the frames.

    Raises:
        AnimationError: bad folder, table or option (one line; nothing is written).
    """
    if not (isinstance(fps, int | float) and 0 < fps <= 30):
        raise AnimationError(f"--fps must be above 0 and at most 30 frames per second (got {fps})")
    run_dir = resolve_run_dir(run_dir)
    run = load_run(run_dir)
    gif = Path(out) if out is not None else Path(run_dir) / "animation.gif"
    if gif.suffix.lower() != ".gif":
        raise AnimationError(f"--out {gif}: must end in .gif (the MP4 is written next to it)")
    if not gif.parent.is_dir():
        raise AnimationError(f"--out {gif}: folder {gif.parent} does not exist")
    ffmpeg = shutil.which("ffmpeg")
    if mp4 and ffmpeg is None:
        raise AnimationError("--mp4 needs ffmpeg on PATH (install it, or use --no-mp4)")
    mp4 = ffmpeg is not None if mp4 is None else mp4

    from matplotlib.animation import FFMpegWriter, PillowWriter

    targets = [(gif, PillowWriter)]
    if mp4:
        targets.append((gif.with_suffix(".mp4"), FFMpegWriter))
    lock = _lock(Path(run_dir), gif)
    try:
        return _write(run, targets, fps, dpi)
    except OSError as exc:  # a full or read-only disk, a quota
        raise AnimationError(f"--out {gif}: cannot write the animation ({exc.strerror or exc}); "
                             "nothing was changed") from None
    finally:
        lock.release()


def _lock(run_dir: Path, gif: Path) -> Any:
    """Take the lock of the run folder when the animation goes into it (so a run replacing the
    folder meanwhile cannot take the animation with it), else of the GIF itself; one line if
    another process holds it or the place cannot be written."""
    from .outdir import BusyError, FolderLock

    inside = os.path.abspath(gif.parent) == os.path.abspath(run_dir)
    lock = FolderLock(run_dir if inside else gif)
    try:
        lock.acquire(f"{lock.folder}: another process (pid {{pid}}) is writing to it; wait "
                     "for it to finish")
    except BusyError as exc:
        raise AnimationError(f"--out {gif}: {exc}") from None
    except OSError as exc:
        raise AnimationError(f"--out {gif}: cannot write in {lock.file.parent} "
                             f"({exc.strerror or exc})") from None
    return lock


def _write(run: RunFrames, targets: list[tuple[Path, Any]], fps: float, dpi: int) -> list[Path]:
    fig = Figure(figsize=(11.0, 6.2))
    FigureCanvasAgg(fig)
    outlines = zone_outlines(run.town) if run.town is not None else None
    frames = frame_dates(run)
    written: list[Path] = []
    temps: list[Path] = []
    try:
        for path, writer_cls in targets:
            # A hidden name next to the target (same file system: the rename is atomic).
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
            temps.append(tmp)
            writer = writer_cls(fps=fps)
            with writer.saving(fig, str(tmp), dpi):
                for year, step, label in frames:
                    snap = run.units[(run.units["year"] == year) & (run.units["step"] == step)]
                    _draw_frame(fig, run, snap.sort_values("unit_id"), label, step, outlines)
                    writer.grab_frame()
                for _ in range(max(1, round(HOLD_S * fps)) - 1):  # hold the last frame
                    writer.grab_frame()
        for tmp, (path, _) in zip(temps, targets, strict=True):
            os.replace(tmp, path)
            written.append(path)
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):  # also on a disk gone read-only
                tmp.unlink(missing_ok=True)
    return written
