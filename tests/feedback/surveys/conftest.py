"""Fixtures of the survey tests: a rate-limit cache of each test's own, the touchpoint."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from journeys.models import Touchpoint


@pytest.fixture(autouse=True)
def _fresh_rate_limit(settings):
    # The rate limit counts in the cache; each test starts with a clean count, in a cache of its
    # own so that clearing it never flushes a shared Redis (where Celery may keep its queue).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "survey-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def touchpoint(journey) -> Touchpoint:
    return Touchpoint.objects.filter(stage__journey=journey).order_by("pk").first()
