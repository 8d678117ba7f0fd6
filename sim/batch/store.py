"""The results folder of a sweep: layout, atomic writes, status records and the manifest.

Layout of ``DIR``::

    spec.toml                  the spec as given (rewritten when a same-hash spec resumes)
    experiment.json            spec hash, name, sizes, versions (written once)
    design.parquet             one row per run: keys, factor values, start, years
    runs/<run_id>.json         status record of a finished run (ok or failed), written last;
                               an ok record lists each table file with its rows and SHA-256
    timeseries/town=<t>/scenario=<s>/<run_id>.parquet   monthly rows of each run
    units/town=<t>/scenario=<s>/<run_id>.parquet        yearly unit snapshots of each run
    events/...                 (only if kept)
    manifest.parquet           design.parquet joined with the status records

Every file is written to a temporary file in the same folder (name starting with ``.``, which
Parquet readers skip) and moved into place with `os.replace`, so a process killed at any moment
leaves either the old file, the new file or a stray temporary file, never a half-written one. A
run counts as done only when its status record exists, and that is written after its tables.
Files are created with the umask's permissions, like any other file.

The lock (`Store.lock`) is the file ``.<DIR name>.binnenstad-lock`` beside ``DIR``
(`sim.outdir.FolderLock`): a sweep takes it before it looks at the folder and checks the folder
under it.

Damage: reading a table (`Store.read`) reads each ok run's own files only (a stray copy in a
partition is never read), and checks each against its status record (rows and checksum); a
missing, truncated or foreign file makes the run *damaged*. `Store.manifest` marks such runs
``damaged`` (with the reason in ``error``), a resumed sweep runs them again, `Store.read` names
them (`DamagedRunsError`) or leaves them out (``damaged="skip"``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..limits import MAX_TEXT_FILE_BYTES
from ..safeio import FileReadError, no_dangling_link, read_limited, read_text_limited

SPEC_FILE = "spec.toml"
META_FILE = "experiment.json"
DESIGN_FILE = "design.parquet"
MANIFEST_FILE = "manifest.parquet"
RUNS_DIR = "runs"
TMP_PREFIX = ".tmp-"
#: Errors of the disk rather than of a run: a sweep stops (finished runs kept) instead of
#: recording every remaining run as failed.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                         errno.EIO})

#: Columns of a status record (and of the manifest after the design columns).
STATUS_COLUMNS = ("status", "wall_s", "sim_s", "error", "worker", "finished")

ARROW_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


class StoreError(ValueError):
    """The output folder cannot take this sweep (one-line message)."""


class DamagedRunsError(StoreError):
    """Runs whose table files are missing or do not match their status records."""


def disk_error(exc: BaseException) -> bool:
    """Is ``exc`` a failure of the disk (full, read-only, no permission, I/O error)?"""
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


# ---------------------------------------------------------------------------- atomic writes
def _tmp_in(folder: Path) -> tuple[Path, int]:
    """A new temporary file in ``folder`` (name starting with `TMP_PREFIX`, permissions from
    the umask) and its open descriptor."""
    for _ in range(100):
        path = folder / f"{TMP_PREFIX}{secrets.token_hex(6)}"
        try:
            return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                 | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}: cannot create a temporary file")


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _tmp_in(path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    write_bytes(path, json.dumps(obj, indent=1, default=str).encode())


def table_bytes(table: pa.Table) -> bytes:
    """``table`` as the bytes of a Parquet file."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def write_table(path: Path, table: pa.Table) -> dict[str, Any]:
    """Write a Parquet file atomically; return what its status record lists: ``rows``,
    ``bytes`` and ``sha256`` of the file."""
    data = table_bytes(table)
    write_bytes(path, data)
    return {"rows": table.num_rows, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


# ---------------------------------------------------------------------------- paths
def table_path(root: Path, table: str, town: str, scenario: str, run_id: str) -> Path:
    """``root/table/town=<t>/scenario=<s>/<run_id>.parquet`` (hive partitions, URI-encoded)."""
    return (root / table / f"town={quote(town, safe='')}" / f"scenario={quote(scenario, safe='')}"
            / f"{run_id}.parquet")


def status_path(root: Path, run_id: str) -> Path:
    return root / RUNS_DIR / f"{run_id}.json"


def _read_json(path: Path) -> Any:
    """A JSON record of the folder (a regular file within `MAX_TEXT_FILE_BYTES`)."""
    return json.loads(read_text_limited(path, MAX_TEXT_FILE_BYTES))


def read_status(root: Path, run_id: str) -> dict[str, Any] | None:
    """The status record of a run, or None if it has none (or an unreadable one)."""
    try:
        rec = _read_json(status_path(root, run_id))
    except (FileReadError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


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
        #: ``{run_id: reason}`` of the damaged runs the last `read` found
        self.last_damaged: dict[str, str] = {}

    # -- checks (read only) -------------------------------------------------------------
    def meta(self) -> dict[str, Any] | None:
        path = self.root / META_FILE
        if not path.exists() and not path.is_symlink():
            return None
        try:
            meta = _read_json(path)
        except (FileReadError, ValueError) as exc:
            raise StoreError(f"{self.root}: unreadable {META_FILE} ({exc})") from None
        if not isinstance(meta, dict):
            raise StoreError(f"{self.root}: unreadable {META_FILE} (not a JSON object)")
        return meta

    def check(self, spec_hash: str) -> None:
        """Refuse a folder that holds something else: another spec's results, or files that are
        not a sweep's. Reads only; call it under `lock` (another sweep may be writing)."""
        try:
            no_dangling_link(self.root)
        except ValueError as exc:
            raise StoreError(f"--out {self.root}: {exc}") from None
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root} exists and is not a folder")
        if not self.root.exists():
            return
        meta = self.meta()
        if meta is None:
            try:
                entries = list(self.root.iterdir())
            except OSError as exc:
                raise StoreError(f"{self.root}: cannot read it ({_why(exc)})") from None
            if any(not p.name.startswith(".") and not (p.is_dir() and not any(p.iterdir()))
                   for p in entries):
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
        """Hold the folder's exclusive lock (beside it; released when the process ends, even by
        SIGKILL); a second sweep into the same folder is refused at once. Parent folders made
        for the lock are removed again if the sweep wrote nothing."""
        from ..outdir import BusyError, FolderLock

        try:
            no_dangling_link(self.root)
        except ValueError as exc:
            raise StoreError(f"--out {self.root}: {exc}") from None
        made: list[Path] = []
        lk = FolderLock(self.root)
        try:
            parent = lk.folder.parent
            while not parent.exists():
                made.append(parent)
                parent = parent.parent
            if not parent.is_dir():
                raise StoreError(f"--out {self.root}: {parent} is not a folder")
            for q in reversed(made):
                q.mkdir()
            lk.acquire(f"{self.root}: another sweep (pid {{pid}}) is writing to this folder; "
                       "wait for it to finish or choose another --out")
        except BusyError as exc:
            _remove_empty(made)
            raise StoreError(str(exc)) from None
        except OSError as exc:
            _remove_empty(made)
            raise StoreError(f"--out {self.root}: cannot write in {lk.folder.parent} "
                             f"({_why(exc)})") from None
        try:
            yield
        finally:
            lk.release()
            if not self.root.exists():
                _remove_empty(made)

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
                rec = _read_json(p)
            except (FileReadError, ValueError):
                continue  # cannot happen with atomic writes; treat as not run
            if isinstance(rec, dict):
                out[p.stem] = rec
        return out

    def design(self) -> pd.DataFrame:
        path = self.root / DESIGN_FILE
        if not path.exists():
            raise StoreError(f"{self.root}: no sweep here ({DESIGN_FILE} missing)")
        try:
            return pq.read_table(pa.BufferReader(read_limited(path, 2**31))).to_pandas()
        except (FileReadError, pa.ArrowException, OSError, ValueError) as exc:
            raise StoreError(f"{self.root}: unreadable {DESIGN_FILE} "
                             f"({' '.join(str(exc).split())[:200]})") from None

    def damaged(self, statuses: dict[str, dict[str, Any]] | None = None,
                deep: bool = False) -> dict[str, str]:
        """``{run_id: reason}`` of the ok runs whose table files are missing or do not match
        their status record: by size (fast), or also by checksum when ``deep``."""
        st = self.statuses() if statuses is None else statuses
        design = None
        out = {}
        for rid, rec in st.items():
            if rec.get("status") != "ok":
                continue
            files = rec.get("files")
            if not isinstance(files, dict):  # written by an older version: paths only
                if design is None:
                    design = self.design().set_index("run_id")
                files = self._legacy_files(rid, design)
            for table, info in files.items():
                why = self._check_file(info, deep)
                if why:
                    out[rid] = f"{info.get('path', table)}: {why}"
                    break
        return out

    def _legacy_files(self, rid: str, design: pd.DataFrame) -> dict[str, dict[str, Any]]:
        if rid not in design.index:
            return {}
        row = design.loc[rid]
        out = {}
        for table in ("timeseries", "units", "events"):
            path = table_path(self.root, table, str(row["town"]), str(row["scenario"]), rid)
            if (self.root / table).is_dir():
                out[table] = {"path": str(path.relative_to(self.root))}
        return out

    def _check_file(self, info: Any, deep: bool, data: bytes | None = None) -> str | None:
        """Why the file ``info`` describes is damaged, or None."""
        if not isinstance(info, dict) or not isinstance(info.get("path"), str):
            return "no file in its status record"
        path = self.root / info["path"]
        try:
            size = path.stat().st_size if data is None else len(data)
        except OSError:
            return "missing"
        if "bytes" in info and size != info["bytes"]:
            return f"{size:,} bytes, its status record says {info['bytes']:,}"
        if (deep or data is not None) and "sha256" in info:
            if data is None:
                try:
                    data = read_limited(path, 2**31)
                except FileReadError as exc:
                    return str(exc)
            if hashlib.sha256(data).hexdigest() != info["sha256"]:
                return "its contents are not what the run wrote (checksum differs)"
        return None

    def manifest(self, deep: bool = False) -> pd.DataFrame:
        """One row per run of the design: keys, factor values, ``status`` (ok, failed,
        damaged or pending), ``wall_s``, ``sim_s`` (seconds), ``error``, ``worker``,
        ``finished``. A run is ``damaged`` when its files fail `damaged` (``deep``: checksums
        too)."""
        design = self.design()
        st = self.statuses()
        bad = self.damaged(st, deep=deep)
        rows = [{c: st.get(rid, {}).get(c) for c in STATUS_COLUMNS} for rid in design["run_id"]]
        for row, rid in zip(rows, design["run_id"], strict=True):
            if rid in bad:
                row["status"], row["error"] = "damaged", bad[rid]
        status = pd.DataFrame(rows, columns=list(STATUS_COLUMNS))
        status["status"] = status["status"].fillna("pending")
        for c in ("wall_s", "sim_s"):
            status[c] = pd.to_numeric(status[c]).astype("float64")
        for c in ("error", "worker", "finished"):
            status[c] = status[c].astype("string")
        return pd.concat([design.reset_index(drop=True), status], axis=1)

    def write_manifest(self, deep: bool = False) -> pd.DataFrame:
        """Rebuild ``manifest.parquet`` from the design and the status records (atomically)."""
        m = self.manifest(deep=deep)
        write_table(self.root / MANIFEST_FILE, pa.Table.from_pandas(m, preserve_index=False))
        return m

    def _ok_files(self, table: str, run_ids: list[str] | None
                  ) -> tuple[list[tuple[str, dict[str, Any], str, str]], dict[str, str]]:
        """The files of ``table`` of the ok runs: ``[(run_id, file info, town, scenario)]``,
        and ``{run_id: reason}`` of ok runs that have none although the table is kept."""
        st = {rid: r for rid, r in self.statuses().items() if r.get("status") == "ok"}
        if run_ids is not None:
            wanted = set(run_ids)
            st = {rid: r for rid, r in st.items() if rid in wanted}
        design = self.design().set_index("run_id")
        out, missing = [], {}
        for rid in sorted(st):
            files = st[rid].get("files")
            if not isinstance(files, dict):
                files = self._legacy_files(rid, design)
            if rid not in design.index:
                missing[rid] = "not in the design"
                continue
            info = files.get(table)
            if info is None:
                if files:  # the run kept other tables but not this one: the table is not kept
                    continue
                missing[rid] = f"no {table} file"
                continue
            row = design.loc[rid]
            out.append((rid, info, str(row["town"]), str(row["scenario"])))
        return out, missing

    def columns(self, table: str = "timeseries") -> list[str]:
        """Column names of ``table`` (from the first ok run's file; the partition columns
        ``town`` and ``scenario`` last)."""
        files, _ = self._ok_files(table, None)
        for _, info, _, _ in files:
            try:
                schema = pq.read_schema(self.root / info["path"])
            except (OSError, pa.ArrowException, ValueError):
                continue  # a damaged file: `read` names it
            return [*schema.names, "town", "scenario"]
        return ["run_id", "town", "scenario"]

    def read(self, table: str = "timeseries", columns: list[str] | None = None,
             run_ids: list[str] | None = None, damaged: str = "raise") -> pd.DataFrame:
        """Read a results table of the folder: the files of the runs with an ok status record,
        each checked against its record (rows and checksum).

        ``damaged``: ``"raise"`` (`DamagedRunsError` naming the damaged runs) or ``"skip"``
        (leave them out; `last_damaged` names them). Partition columns ``town`` and
        ``scenario`` come back as plain strings (last); columns a file lacks are left out.
        """
        path = self.root / table
        if not path.is_dir():
            raise StoreError(f"{self.root}: no {table} table (not kept, or no run finished)")
        files, bad = self._ok_files(table, run_ids)
        cols = None if columns is None else list(dict.fromkeys(["run_id", *columns]))

        def one(item: tuple[str, dict[str, Any], str, str]) -> tuple[str, Any]:
            rid, info, town, scen = item
            try:
                if not (self.root / info["path"]).exists():
                    return rid, f"{info['path']}: missing"
                data = read_limited(self.root / info["path"], 2**31)
            except FileReadError as exc:
                return rid, f"{info.get('path')}: {exc}"
            except (TypeError, KeyError):
                return rid, "no file in its status record"
            why = self._check_file(info, True, data)
            if why:
                return rid, f"{info['path']}: {why}"
            try:
                t = pq.read_table(pa.BufferReader(data))
            except (pa.ArrowException, OSError, ValueError) as exc:
                return rid, f"{info['path']}: not a readable Parquet file ({str(exc)[:80]})"
            if "rows" in info and t.num_rows != info["rows"]:
                return rid, f"{info['path']}: {t.num_rows} rows, its status record says " \
                    f"{info['rows']}"
            if "run_id" in t.column_names and not pc_all_equal(t.column("run_id"), rid):
                return rid, f"{info['path']}: holds rows of another run"
            if cols is not None:
                t = t.select([c for c in cols if c in t.column_names])
            n = t.num_rows
            t = t.append_column("town", pa.array([town] * n, pa.string()))
            t = t.append_column("scenario", pa.array([scen] * n, pa.string()))
            return rid, t

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(one, files))
        tables = []
        for rid, t in results:
            if isinstance(t, str):
                bad[rid] = t
            else:
                tables.append(t)
        self.last_damaged = bad
        if bad and damaged == "raise":
            raise DamagedRunsError(damage_message(self.root, bad))
        if not tables:
            names = [c for c in (cols or ["run_id"]) if c not in ("town", "scenario")]
            return pd.DataFrame(columns=[*names, "town", "scenario"])
        df = pa.concat_tables(tables, promote_options="default").to_pandas()
        if cols is not None:
            keep = [c for c in cols if c in df.columns]
            df = df[[*keep, *(c for c in ("town", "scenario") if c not in keep)]]
        return df.reset_index(drop=True)


def pc_all_equal(arr: Any, value: str) -> bool:
    """Does every element of the Arrow array ``arr`` equal ``value``?"""
    import pyarrow.compute as pc

    return bool(pc.all(pc.equal(arr, value)).as_py()) if len(arr) else True


def damage_message(root: Path, bad: dict[str, str], limit: int = 3) -> str:
    """One line naming damaged runs (the first ``limit`` with their reasons) and the repair."""
    items = sorted(bad.items())
    shown = "; ".join(f"run {rid} ({why})" for rid, why in items[:limit])
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return (f"{root}: {len(items)} finished run{'s are' if len(items) > 1 else ' is'} damaged: "
            f"{shown}{more}; run binnenstad sweep {root / SPEC_FILE} --out {root} again to run "
            "them again")


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders (deepest first) that are still empty."""
    for q in folders:
        with contextlib.suppress(OSError):
            q.rmdir()
