"""Render every notebook in ``notebooks/`` with its outputs and figures into ``docs/notebooks/``:
``NAME.md`` (Markdown, readable on GitHub) and ``NAME_files/`` (the figures as PNG).

One command, from the repository root (needs the ``notebooks`` or ``dev`` extra: nbclient,
nbconvert, ipykernel):

    python docs/notebooks/render.py            # full size (several minutes for 02-04)
    python docs/notebooks/render.py --small    # test size (BINNENSTAD_NOTEBOOK_SIZE=small)
    python docs/notebooks/render.py 01_quickstart   # some notebooks only

Each notebook is executed from top to bottom with nbclient in a fresh kernel started in
``notebooks/`` (as Jupyter would); the stored notebooks stay without outputs. The model's
results will change as the model does: render again after a change.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "docs" / "notebooks"
SIZE_ENV = "BINNENSTAD_NOTEBOOK_SIZE"


def render(path: Path, out: Path = OUT, small: bool = False, timeout: int = 3600) -> Path:
    """Execute the notebook at ``path`` and write ``out/NAME.md`` with ``out/NAME_files/``."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import MarkdownExporter

    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get(SIZE_ENV)
    if small:
        os.environ[SIZE_ENV] = "small"
    else:
        os.environ.pop(SIZE_ENV, None)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop(SIZE_ENV, None)
        else:
            os.environ[SIZE_ENV] = env_before
    files = f"{path.stem}_files"
    body, resources = MarkdownExporter().from_notebook_node(
        nb, resources={"output_files_dir": files})
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / files, ignore_errors=True)
    for name, data in resources.get("outputs", {}).items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    size = "test size (BINNENSTAD_NOTEBOOK_SIZE=small)" if small else "full size"
    head = (f"<!-- Rendered from notebooks/{path.name} by docs/notebooks/render.py at {size}; "
            "do not edit, render again. -->\n\n")
    # Local absolute paths (temporary folders, the checkout) say nothing to a reader.
    body = re.sub(r"/tmp/[A-Za-z0-9_.-]+", "/tmp/...", body).replace(str(ROOT), ".")
    md = out / f"{path.stem}.md"
    md.write_text(head + body, encoding="utf-8")
    return md


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="notebook names (default: all)")
    ap.add_argument("--small", action="store_true", help="test size")
    args = ap.parse_args(argv)
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names or p.name in args.names]
    for p in paths:
        t0 = time.perf_counter()
        md = render(p, small=args.small)
        print(f"{p.name} -> {md.relative_to(ROOT)} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
