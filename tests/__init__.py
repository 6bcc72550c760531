"""The test package. Imported before any test module, conftest included.

One BLAS/OpenMP thread per test process, set before numpy is first imported (and inherited by
the processes tests start): with two xdist workers on two cores, OpenBLAS's default thread pool
oversubscribes and spins; the codage cross-validation took 21 s instead of 6 s (measured).
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
