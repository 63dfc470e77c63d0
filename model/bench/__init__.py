"""Benchmarks of the inference path: `python -m model.bench [speed|memory|variants]`.

`__main__` parses the command line and runs one mode: `speed` (the plain float32 networks
against the fast path, one table), `memory` (one large image at full resolution, peak memory)
or `variants` (the fast path's candidate configurations one by one). What is timed, and how,
is in `pairs` and `measure`.
"""
