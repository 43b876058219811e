"""Hypothesis profiles for the fuzz suite.

``ci`` (the default) is reproducible and quick: derandomized (the same examples every run, no
example database written into the checkout) and small enough that tests/fuzz stays well under
30 s. ``long`` is for deeper local runs: ``HYPOTHESIS_PROFILE=long pytest tests/fuzz``
explores 20x as many random examples and remembers failures in .hypothesis/.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

# Generated documents are big on purpose, and the extractor is slow per call by nature.
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "long",
    max_examples=1200,
    deadline=timedelta(seconds=10),
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
