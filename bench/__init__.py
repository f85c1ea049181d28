"""unmask's benchmarks: quality (functional correctness, span infill by node kind, diffusion vs AR, length,
steps) and speed (engine latency, context cache, memory, the server through the wire).

Run them with ``unmask bench`` (or ``bench/run``); see ``unmask bench --help``. Results go to
``bench/results/<section>.json`` and ``docs/benchmarks.md`` (+ PNG plots in ``docs/``).
"""
