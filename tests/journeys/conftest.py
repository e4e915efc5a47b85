"""Fixtures shared by the journey tests."""

from __future__ import annotations

import pytest

from journeys.models import Journey
from tests.journeys.test_map_queries import build_map


@pytest.fixture
def small_and_large(personas) -> tuple[Journey, Journey]:
    """Two maps in the personas' workspace: one card, and 12 stages x 200 cards (query pins)."""
    owners = list(personas.values())
    workspace = owners[0].workspace
    small = Journey.objects.create(workspace=workspace, name="Small")
    build_map(small, stages=1, per_stage=1, owners=owners)
    large = Journey.objects.create(workspace=workspace, name="Large")
    build_map(large, stages=12, per_stage=200, owners=owners)
    return small, large
