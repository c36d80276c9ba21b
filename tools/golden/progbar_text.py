"""Prints Keras 3's Progbar text for the scenarios in crates/nn/src/progress/tests.rs.

Run: KERAS_BACKEND=jax /root/.cache/fovea-golden/venv/bin/python tools/golden/progbar_text.py
`time.time` is patched (the bar starts at 100.0), stdout is captured, and ANSI codes and
the `\b` runs Keras writes before each redraw are stripped.
"""
import io
import os
import re
import sys
from unittest import mock

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from keras.src.utils import progbar as pbm  # noqa: E402

t = [100.0]


def scenario(name, target, steps, verbose=1, **kw):
    buf = io.StringIO()
    with mock.patch.object(pbm.time, "time", lambda: t[0]), mock.patch.object(sys, "stdout", buf):
        t[0] = 100.0
        p = pbm.Progbar(target, verbose=verbose, **kw)
        for now, cur, vals, *fin in steps:
            t[0] = now
            p.update(cur, vals, finalize=(fin[0] if fin else None))
    s = re.sub(r"\x1b\[[0-9;]*m", "", buf.getvalue()).replace("\b", "")
    print(name, repr(s))


scenario("epoch", 469, [(100.5, 1, [("accuracy", 0.5), ("loss", 1.0)]),
                        (100.588, 12, [("accuracy", 0.9), ("loss", 0.3)]),
                        (104.2, 469, [("accuracy", 0.95), ("loss", 0.2)])])
scenario("eta", 10000, [(102.0, 1, [("loss", 0.00012)]), (172.0, 2, [("loss", -0.5)]),
                        (173.0, 3, [("loss", float("nan"))])])
scenario("unknown", None, [(101, 5, [("loss", 2.0)]), (103, 9, [("loss", 1.0)], True)])
scenario("verbose2", 8, [(101, 4, [("loss", -0.5)]), (102.5, 8, [("loss", -0.25), ("acc", 0.75)])],
         verbose=2)
scenario("interval", 100, [(100.01, 1, [("loss", 4.0)]), (100.02, 2, [("loss", 2.0)]),
                           (100.2, 4, [("loss", 1.0)])])
