"""Start a Dask cluster on SLURM (dask-jobqueue) for `binnenstad sweep --scheduler`.

    pip install -e ".[dask]" dask-jobqueue
    python experiments/slurm_cluster.py --jobs 4 --cores 32 --account myproject &
    binnenstad sweep experiments/policy_robustness.toml --out /scratch/$USER/robustness \\
        --scheduler "$(cat dask-scheduler.address)"

The scheduler runs in this process (on the login or a service node); every SLURM job is one node
with ``--cores`` single-threaded worker processes (the model is CPU-bound Python + numba, so
processes, not threads). Workers must see the results folder (a shared file system such as
/scratch or a network home) and the same Python environment. See docs/batch.md. This script is
an example for a typical site; adapt queue, memory and the environment line to yours.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

if __name__ == "__main__":
    from dask_jobqueue import SLURMCluster

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="SLURM jobs (nodes) to start")
    ap.add_argument("--cores", type=int, default=32, help="worker processes per job")
    ap.add_argument("--memory", default="64GB", help="memory per job (about 0.5 GB per worker "
                    "for a medium town)")
    ap.add_argument("--walltime", default="04:00:00")
    ap.add_argument("--queue", default=None, help="SLURM partition")
    ap.add_argument("--account", default=None, help="SLURM account")
    ap.add_argument("--venv", default=str(Path(".venv").resolve()),
                    help="virtual environment with binnenstad installed")
    args = ap.parse_args()
    cluster = SLURMCluster(
        queue=args.queue, account=args.account, cores=args.cores, processes=args.cores,
        memory=args.memory, walltime=args.walltime,
        job_script_prologue=[f"source {args.venv}/bin/activate"],
        local_directory="$TMPDIR", log_directory="dask-logs",
        scheduler_options={"dashboard_address": ":8787"},
    )
    cluster.scale(jobs=args.jobs)
    Path("dask-scheduler.address").write_text(cluster.scheduler_address)
    print(cluster.job_script())
    print(f"scheduler: {cluster.scheduler_address} (written to dask-scheduler.address); "
          "Ctrl-C stops the cluster", flush=True)
    try:
        while True:
            time.sleep(60)
    except KeyboardInterrupt:
        cluster.close()
