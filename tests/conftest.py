"""Shared test configuration: the ``shared`` folder beside the repository and the hypothesis profiles.

Profiles (``HYPOTHESIS_PROFILE=name``): ``ci`` (default; the whole suite well within two minutes on a
2-core machine), ``dev`` (quick) and ``thorough`` (many examples, for hunting bugs locally).
"""

from __future__ import annotations

import os

import pytest
from _support import SHARED  # Path(__file__).resolve().parents[2] / "shared"
from hypothesis import HealthCheck, settings

__all__ = ["SHARED"]

if not (SHARED / "conformance" / "JSONTestSuite" / "test_parsing").is_dir():
    raise pytest.UsageError(
        f"midstream tests need the shared folder beside the repository: {SHARED} "
        "(with conformance/JSONTestSuite/test_parsing) is missing"
    )

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
