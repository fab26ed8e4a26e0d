"""``yorisou.conf.production`` plus the setting changes under measurement.

Used by ``benchmarks/eforms_submit.py --settings eforms_bench_settings`` to
measure proposed production settings before they are made. Without ``BENCH_*``
variables it is exactly ``yorisou.conf.production``.

- ``BENCH_CONN_MAX_AGE=N``: the database connection's ``CONN_MAX_AGE``;
- ``BENCH_DB_POOL=MIN:MAX``: psycopg's connection pool (Django's ``"pool"``
  option; needs ``psycopg[pool]``), which implies ``CONN_MAX_AGE = 0``;
- ``BENCH_SERVER_SIDE_BINDING=1``: psycopg binds the parameters on the server
  (Django's ``"server_side_binding"`` option) instead of quoting them into the
  SQL text in Python, which lets psycopg prepare a statement it has run
  ``BENCH_PREPARE_THRESHOLD`` times (default 5) on a connection.
"""

import os

from yorisou.conf.production import *  # noqa: F403
from yorisou.conf.production import DATABASES

_default = DATABASES["default"]
if os.environ.get("BENCH_CONN_MAX_AGE"):
    _default["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
if os.environ.get("BENCH_DB_POOL"):
    low, _sep, high = os.environ["BENCH_DB_POOL"].partition(":")
    _default["CONN_MAX_AGE"] = 0
    _default.setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(low),
        "max_size": int(high or low),
        "timeout": 10,
    }
if os.environ.get("BENCH_SERVER_SIDE_BINDING") == "1":
    _default.setdefault("OPTIONS", {})["server_side_binding"] = True
    if os.environ.get("BENCH_PREPARE_THRESHOLD"):
        _default["OPTIONS"]["prepare_threshold"] = int(
            os.environ["BENCH_PREPARE_THRESHOLD"]
        )
