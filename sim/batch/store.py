"""The results folder of a sweep: layout, atomic writes, status records and the manifest.

Layout of ``DIR``::

    spec.toml                  the spec as given (rewritten when a same-hash spec resumes)
    experiment.json            spec hash, name, sizes, versions (written once)
    design.parquet             one row per run: keys, factor values, start, years
    runs/<run_id>.json         status record of a finished run (ok or failed), written last
    timeseries/town=<t>/scenario=<s>/<run_id>.parquet   monthly rows of each run
    units/town=<t>/scenario=<s>/<run_id>.parquet        yearly unit snapshots of each run
    events/...                 (only if kept)
    manifest.parquet           design.parquet joined with the status records

Every file is written to a temporary file in the same folder (name starting with ``.``, which
Parquet readers skip) and moved into place with `os.replace`, so a process killed at any moment
leaves either the old file, the new file or a stray temporary file, never a half-written one. A
run counts as done only when its status record exists, and that is written after its tables.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SPEC_FILE = "spec.toml"
META_FILE = "experiment.json"
DESIGN_FILE = "design.parquet"
MANIFEST_FILE = "manifest.parquet"
RUNS_DIR = "runs"
LOCK_FILE = ".lock"
TMP_PREFIX = ".tmp-"

#: Columns of a status record (and of the manifest after the design columns).
STATUS_COLUMNS = ("status", "wall_s", "sim_s", "error", "worker", "finished")

ARROW_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


class StoreError(ValueError):
    """The output folder cannot take this sweep (one-line message)."""


# ---------------------------------------------------------------------------- atomic writes
def _tmp_in(folder: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
    os.close(fd)
    return Path(name)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_in(path.parent)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    write_bytes(path, json.dumps(obj, indent=1, default=str).encode())


def write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_in(path.parent)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- paths
def table_path(root: Path, table: str, town: str, scenario: str, run_id: str) -> Path:
    """``root/table/town=<t>/scenario=<s>/<run_id>.parquet`` (hive partitions, URI-encoded)."""
    return (root / table / f"town={quote(town, safe='')}" / f"scenario={quote(scenario, safe='')}"
            / f"{run_id}.parquet")


def status_path(root: Path, run_id: str) -> Path:
    return root / RUNS_DIR / f"{run_id}.json"


def read_status(root: Path, run_id: str) -> dict[str, Any] | None:
    """The status record of a run, or None if it has none (or an unreadable one)."""
    try:
        return json.loads(status_path(root, run_id).read_text())
    except (OSError, ValueError):
        return None


def key_table(keys: dict[str, Any], dtypes: dict[str, str], n: int) -> dict[str, pa.Array]:
    """Arrow columns repeating a run's keys ``n`` times; ``town`` and ``scenario`` are left to
    the partition folders."""
    out = {}
    for name, value in keys.items():
        if name in ("town", "scenario"):
            continue
        if name in ("run_id", "policy"):
            typ = pa.string()
        elif name in dtypes:
            typ = ARROW_TYPES[dtypes[name]]
        else:
            typ = pa.int64()
        out[name] = pa.array([value] * n, type=typ)
    return out


def keyed_table(df: pd.DataFrame, keys: dict[str, Any], dtypes: dict[str, str]) -> pa.Table:
    """``df`` as an Arrow table with the run's key columns in front."""
    body = pa.Table.from_pandas(df, preserve_index=False)
    cols = key_table(keys, dtypes, body.num_rows)
    for name in body.column_names:
        cols[name] = body.column(name)
    return pa.table(cols)


# ---------------------------------------------------------------------------- the folder
class Store:
    """A sweep's results folder (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # -- checks (read only) -------------------------------------------------------------
    def meta(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.root / META_FILE).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.root}: unreadable {META_FILE} ({exc})") from None

    def check(self, spec_hash: str) -> None:
        """Refuse a folder that holds something else: another spec's results, or files that are
        not a sweep's. Reads only."""
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root} exists and is not a folder")
        if not self.root.exists():
            return
        meta = self.meta()
        if meta is None:
            if any(not p.name.startswith(".") and not (p.is_dir() and not any(p.iterdir()))
                   for p in self.root.iterdir()):
                raise StoreError(f"{self.root} is not empty and holds no sweep; choose another "
                                 "--out")
            return
        if meta.get("spec_hash") != spec_hash:
            raise StoreError(
                f"{self.root} holds results of another spec ({meta.get('name')!r}, hash "
                f"{meta.get('spec_hash')}; this spec: {spec_hash}); choose another --out")

    # -- writing ---------------------------------------------------------------------------
    def init(self, meta: dict[str, Any], spec_text: str, design: pd.DataFrame) -> None:
        """Create the folder (or adopt a same-spec one): spec, metadata and design."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / META_FILE).exists():
            write_json(self.root / META_FILE, meta)
        (self.root / RUNS_DIR).mkdir(exist_ok=True)
        write_bytes(self.root / SPEC_FILE, spec_text.encode())
        write_table(self.root / DESIGN_FILE, pa.Table.from_pandas(design, preserve_index=False))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder (released when the process ends, even by
        SIGKILL); a second sweep into the same folder is refused. A folder that cannot be
        made or written (a file in the way, no permission) is a one-line `StoreError`."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fh = (self.root / LOCK_FILE).open("a")
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot write the results folder "
                             f"({exc.strerror or exc}); choose another --out") from None
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"{self.root}: another sweep is writing to this folder") from None
            yield
        finally:
            fh.close()

    def clean_temporary(self) -> int:
        """Remove temporary files left by killed processes; return how many. Call under
        `lock` only."""
        n = 0
        for tmp in self.root.rglob(f"{TMP_PREFIX}*"):
            if tmp.is_file():
                tmp.unlink(missing_ok=True)
                n += 1
            elif tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
                n += 1
        return n

    def write_status(self, record: dict[str, Any]) -> None:
        write_json(status_path(self.root, record["run_id"]), record)

    # -- reading ---------------------------------------------------------------------------
    def statuses(self) -> dict[str, dict[str, Any]]:
        """``{run_id: status record}`` of every finished run (ok or failed)."""
        out = {}
        folder = self.root / RUNS_DIR
        if not folder.is_dir():
            return out
        for p in folder.glob("*.json"):
            try:
                rec = json.loads(p.read_text())
            except (OSError, ValueError):
                continue  # cannot happen with atomic writes; treat as not run
            out[p.stem] = rec
        return out

    def design(self) -> pd.DataFrame:
        try:
            return pd.read_parquet(self.root / DESIGN_FILE)
        except FileNotFoundError:
            raise StoreError(f"{self.root}: no sweep here ({DESIGN_FILE} missing)") from None

    def manifest(self) -> pd.DataFrame:
        """One row per run of the design: keys, factor values, ``status`` (ok, failed or
        pending), ``wall_s``, ``sim_s`` (seconds), ``error``, ``worker``, ``finished``."""
        design = self.design()
        st = self.statuses()
        rows = [{c: st.get(rid, {}).get(c) for c in STATUS_COLUMNS} for rid in design["run_id"]]
        status = pd.DataFrame(rows, columns=list(STATUS_COLUMNS))
        status["status"] = status["status"].fillna("pending")
        for c in ("wall_s", "sim_s"):
            status[c] = pd.to_numeric(status[c]).astype("float64")
        for c in ("error", "worker", "finished"):
            status[c] = status[c].astype("string")
        return pd.concat([design.reset_index(drop=True), status], axis=1)

    def write_manifest(self) -> pd.DataFrame:
        """Rebuild ``manifest.parquet`` from the design and the status records (atomically)."""
        m = self.manifest()
        write_table(self.root / MANIFEST_FILE, pa.Table.from_pandas(m, preserve_index=False))
        return m

    def read(self, table: str = "timeseries", columns: list[str] | None = None,
             run_ids: list[str] | None = None) -> pd.DataFrame:
        """Read a results table of the folder (only runs with an ok status record).

        Partition columns ``town`` and ``scenario`` come back as plain strings.
        """
        path = self.root / table
        if not path.is_dir():
            raise StoreError(f"{self.root}: no {table} table (not kept, or no run finished)")
        ok = {rid for rid, r in self.statuses().items() if r.get("status") == "ok"}
        if run_ids is not None:
            ok &= set(run_ids)
        cols = None if columns is None else list(dict.fromkeys(["run_id", *columns]))
        df = pd.read_parquet(path, columns=cols, filters=[("run_id", "in", sorted(ok))]
                             if ok else None)
        if not ok:
            df = df.iloc[0:0]
        for c in ("town", "scenario"):
            if c in df.columns:
                df[c] = df[c].astype(str)
        return df.reset_index(drop=True)
