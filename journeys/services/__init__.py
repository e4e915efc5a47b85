"""Writes to the journey domain, in plain functions with keyword-only arguments; each checks the
actor's role through mot.policy.

- ``lifecycle``: a journey as a whole (create, from a template too; edit; archive; delete;
  duplicate; pair a future state with its current one);
- ``map_edits``: its stages and touchpoints (add, edit, delete, reorder, move, assign owners);
- ``lanes``: the lanes under its stages and the items in their cells (imported from there);
- ``personas``: the workspace's personas and a journey's choice of them (imported from there);
- ``fields``: the checks of typed-in values they share.

Importing a journey file is journeys/exchange.py. Callers import the functions from here.
"""

from journeys.services.lifecycle import (
    journey_create,
    journey_create_from_blueprint,
    journey_delete,
    journey_duplicate,
    journey_pair,
    journey_set_archived,
    journey_update,
)
from journeys.services.map_edits import (
    stage_create,
    stage_delete,
    stage_move,
    stage_rename,
    touchpoint_assign_owner,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_move,
    touchpoint_update,
    touchpoints_assign_owner,
)

__all__ = [
    "journey_create",
    "journey_create_from_blueprint",
    "journey_delete",
    "journey_duplicate",
    "journey_pair",
    "journey_set_archived",
    "journey_update",
    "stage_create",
    "stage_delete",
    "stage_move",
    "stage_rename",
    "touchpoint_assign_owner",
    "touchpoint_create",
    "touchpoint_delete",
    "touchpoint_move",
    "touchpoint_update",
    "touchpoints_assign_owner",
]
