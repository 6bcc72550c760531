"""The test package. Imported before any test module, conftest included.

One BLAS/OpenMP thread per test process, set before numpy is first imported (and inherited by
the processes tests start): with two xdist workers on two cores, OpenBLAS's default thread pool
oversubscribes and spins; the codage cross-validation took 21 s instead of 6 s (measured).

Bytecode kept even where the environment forbids writing it (PYTHONDONTWRITEBYTECODE, set on
this machine): without it every test process (the xdist controller, each worker, each
`python -m q2030` a test starts) compiled the application again and pytest rewrote every test
module's asserts again, about 2 s of CPU a process (collection 4.5 s -> 2.4 s, measured). The
bytecode goes outside the checkout, in one cache directory (PYTHONPYCACHEPREFIX, inherited by
the processes tests start), so the tree stays as the variable wanted it: no __pycache__.
"""

import os
import sys
import tempfile

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

if sys.dont_write_bytecode:
    _cache = os.environ.get("PYTHONPYCACHEPREFIX") or os.path.join(
        tempfile.gettempdir(), f"q2030-pycache-{os.getuid()}"
    )
    os.environ["PYTHONPYCACHEPREFIX"] = _cache
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.pycache_prefix = _cache
    sys.dont_write_bytecode = False
