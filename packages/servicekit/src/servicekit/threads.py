"""Pin native thread pools so one request never fans out into OpenMP/BLAS threads.

A pod gets one or two CPUs; letting OpenMP start a thread per host core for a
single-row prediction costs more than the prediction itself.
"""

import os

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def pin_native_threads(threads: int = 1) -> None:
    """Limit native pools: env vars for libraries not loaded yet, threadpoolctl for loaded ones."""
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
