"""The survey tests' shared fixtures: the journey's first touchpoint, a link to it, and a cache of
the tests' own."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from feedback.models import SurveyLink
from feedback.surveys.services import survey_link_create
from journeys.models import Touchpoint


@pytest.fixture
def touchpoint(journey) -> Touchpoint:
    return Touchpoint.objects.filter(stage__journey=journey).order_by("pk").first()


@pytest.fixture
def link(touchpoint, editor) -> SurveyLink:
    return survey_link_create(actor=editor, touchpoint=touchpoint)


@pytest.fixture(autouse=True)
def own_cache(settings):
    # The rate limit and the submissions counted live in the cache; each test starts with a
    # clean one, of its own so that clearing it never flushes a shared Redis (where Celery may
    # keep its queue).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "survey-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()
