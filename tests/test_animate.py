"""``binnenstad animate``: frames of a run folder, their date and vacancy, GIF/MP4 output, and
one-line errors that leave nothing behind."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

import sim
from sim.animate import AnimationError, animate, frame_dates, load_run, snapshot_vacancy
from sim.cli import app as cli

runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "small-run"
    sim.run(town="small", years=2, seed=3, out=out, figures=False)
    return out


def _copy(run_dir, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(run_dir, dst)
    return dst


def test_frames_are_the_yearly_snapshots_with_their_vacancy(run_dir):
    run = load_run(run_dir)
    assert run.town is not None  # the preset was rebuilt from run.json
    frames = frame_dates(run)
    assert [label for *_, label in frames] == ["start of 2013", "end of 2013", "end of 2014"]
    ts = run.timeseries
    for year, step, _ in frames[1:]:
        snap = run.units[(run.units["year"] == year) & (run.units["step"] == step)]
        assert snapshot_vacancy(snap) == pytest.approx(
            ts.loc[ts["step"] == step, "vacancy_rate"].iloc[0])
    assert run.label == "small, baseline"


def test_gif_has_one_frame_per_snapshot(run_dir, tmp_path):
    out = tmp_path / "anim.gif"
    paths = animate(run_dir, out=out, mp4=False, fps=2.0, dpi=50)
    assert paths == [out]
    with Image.open(out) as im:
        assert im.n_frames == 3  # held last frame merges with the last snapshot
        assert im.size[0] > im.size[1] > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif"]  # no temp files left


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_mp4_when_ffmpeg_is_present(run_dir, tmp_path):
    paths = animate(run_dir, out=tmp_path / "anim.gif", dpi=50)
    assert [p.name for p in paths] == ["anim.gif", "anim.mp4"]
    assert (tmp_path / "anim.mp4").stat().st_size > 1000


def test_without_run_json_the_map_shows_units_only(run_dir, tmp_path):
    folder = _copy(run_dir, tmp_path)
    (folder / "run.json").unlink()
    run = load_run(folder)
    assert run.town is None and run.label == "copy"
    assert animate(folder, mp4=False, dpi=40) == [folder / "animation.gif"]


def test_cli_default_output(run_dir, tmp_path):
    folder = _copy(run_dir, tmp_path)
    res = runner.invoke(cli, ["animate", str(folder), "--no-mp4"])
    assert res.exit_code == 0, res.output
    assert (folder / "animation.gif").is_file()


def _garbage(folder):
    (folder / "units.parquet").write_text("not a table")


def _no_units(folder):
    (folder / "units.parquet").unlink()


def _missing_column(folder):
    df = pd.read_parquet(folder / "units.parquet").drop(columns=["is_vacant"])
    df.to_parquet(folder / "units.parquet")


def _empty(folder):
    df = pd.read_parquet(folder / "units.parquet").iloc[:0]
    df.to_parquet(folder / "units.parquet")


@pytest.mark.parametrize("damage, args, words", [
    (None, ["--fps", "0"], "--fps must be above 0"),
    (None, ["--out", "x.png"], "must end in .gif"),
    (_garbage, [], "units.parquet: not a readable Parquet table"),
    (_no_units, [], "units.parquet missing"),
    (_missing_column, [], "column(s) is_vacant missing"),
    (_empty, [], "no yearly snapshots"),
])
def test_bad_run_folder_one_line_nothing_written(run_dir, tmp_path, damage, args, words):
    folder = _copy(run_dir, tmp_path)
    if damage:
        damage(folder)
    before = sorted(p.name for p in folder.iterdir())
    res = runner.invoke(cli, ["animate", str(folder), "--no-mp4", *args])
    assert res.exit_code == 2
    assert words in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == before


def test_missing_folder(tmp_path):
    res = runner.invoke(cli, ["animate", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such run folder" in res.output


def test_mp4_requested_without_ffmpeg(run_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(AnimationError, match="--mp4 needs ffmpeg"):
        animate(run_dir, out=tmp_path / "a.gif", mp4=True)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_name_prefix_finds_its_run_folder(run_dir, tmp_path):
    # run folders carry their settings and a hash; the README's `binnenstad animate
    # outputs/baseline-medium-s0` names the start of one
    folder = tmp_path / "baseline-small-s3-2013+2y-ts0-numba-0123abcd"
    shutil.copytree(run_dir, folder)
    res = runner.invoke(cli, ["animate", str(tmp_path / "baseline-small-s3"), "--no-mp4"])
    assert res.exit_code == 0, res.output
    assert (folder / "animation.gif").is_file()


def test_a_wrong_name_is_answered_with_the_nearest_run_folders(run_dir, tmp_path):
    for name in ("baseline-small-s3-2013+2y-a", "baseline-small-s3-2013+2y-b"):
        shutil.copytree(run_dir, tmp_path / name)
    # ambiguous prefix: both named, nothing written
    res = runner.invoke(cli, ["animate", str(tmp_path / "baseline-small-s3"), "--no-mp4"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "nearest run folders" in res.output and "2013+2y-a" in res.output
    assert "2013+2y-b" in res.output
    # a typo: the close names
    res = runner.invoke(cli, ["animate", str(tmp_path / "baselin-smal-s3-2013+2y-a"), "--no-mp4"])
    assert res.exit_code == 2 and "baseline-small-s3-2013+2y-a" in res.output
    assert not any(p.name.endswith(".gif") for p in tmp_path.rglob("*"))
