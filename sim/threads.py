"""One BLAS thread for the model's matrix products.

The flow kernels multiply node-by-node matrices of a few hundred rows. At that size a
multi-threaded BLAS spends more time waking and synchronising its threads than computing, and
under load (batch workers, the app's server, a busy laptop) its spinning threads oversubscribe
the cores: a large town measured 25 times slower per flow call with two OpenBLAS threads on two
busy cores than with one (benchmarks/README.md). Runs are parallelised across processes
instead (`sim.batch`), so the model limits BLAS to one thread while it computes and restores
the caller's setting afterwards; NumPy work outside the model is left alone.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from threadpoolctl import ThreadpoolController


def blas_controller() -> ThreadpoolController:
    """A controller over every BLAS loaded in this process, including the one numba's
    ``np.dot`` calls (SciPy's), which is loaded here first so that the controller sees it."""
    import scipy.linalg.cython_blas  # noqa: F401  (numba's np.dot binds to this BLAS)

    return ThreadpoolController()


def one_blas_thread(controller: ThreadpoolController) -> AbstractContextManager:
    """Context in which every BLAS known to ``controller`` uses one thread."""
    return controller.limit(limits=1, user_api="blas")
