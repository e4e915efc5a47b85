"""What the journey pages filter touchpoints by: the map's filter, the owners page's, and the
value that stands for "no moment of truth tagged" in every such filter (the dashboard's and the
answers explorer's too). Plain values: the forms build them, the selectors apply them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journeys.map.cards import Card

NO_MOMENT = "none"  # the MOT-stage filter value for touchpoints not tagged with a moment


@dataclass(frozen=True)
class MapFilter:
    """Which cards the map shows. Stages always show, so the journey keeps its shape."""

    mot_stages: tuple[str, ...] = ()  # "" in the tuple = touchpoints tagged with no moment
    channel: str = ""
    phase: str = ""
    owner_id: int | None = None
    unassigned: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.mot_stages or self.channel or self.phase or self.owner_id or self.unassigned
        )

    def matches(self, card: Card) -> bool:
        """Whether the board shows this card. Applied to the rows the board reads anyway (all
        of the journey's cards), so a filtered board costs no query of its own."""
        if self.mot_stages and card.mot_stage not in self.mot_stages:
            return False
        if self.channel and card.channel != self.channel:
            return False
        if self.phase and card.phase != self.phase:
            return False
        if self.unassigned:
            return card.owner_id is None
        return not self.owner_id or card.owner_id == self.owner_id


NO_FILTER = MapFilter()


@dataclass(frozen=True)
class OwnerFilters:
    """What the owners page shows; every field optional (empty: no filter)."""

    journey_id: int | None = None
    mot_stage: str = ""  # a MotStage value, NO_MOMENT, or "" for any
    unassigned: bool = False
    owner_id: int | None = None
