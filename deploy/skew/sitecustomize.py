"""Installs the eval's skewed wall clock (borderwatch/deploy/skewclock.py) before anything else runs."""

import os

if os.environ.get("BW_EVAL_CLOCK_SKEW_S"):
    from borderwatch.deploy.skewclock import ENV, install

    install(float(os.environ[ENV]))
