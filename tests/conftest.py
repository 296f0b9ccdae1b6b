"""Shared test configuration: the test data carried in ``tests/data`` and the hypothesis profiles.

Profiles (``HYPOTHESIS_PROFILE=name``): ``ci`` (default: 200 examples per property), ``quick`` (25: what
``.ci/run`` uses on the Pythons after the first, where the same properties have already run in full), ``dev``
(15, for a fast local loop) and ``thorough`` (2000, for hunting bugs locally). The durations ``.ci/run`` prints
are the measured ones; see the README for the figures.
"""

from __future__ import annotations

import os

import pytest
from _support import DATA, STREAMS, SUITE
from hypothesis import HealthCheck, settings

if not SUITE.is_dir() or not STREAMS.is_dir():
    raise pytest.UsageError(f"the test data carried in the repository is missing from {DATA} (tests/data/README.md)")

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=200, print_blob=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("quick", max_examples=25, print_blob=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("dev", max_examples=15, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=2000, **_COMMON)  # type: ignore[arg-type]
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
