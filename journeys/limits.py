"""How large a journey map may grow: the map's edits (journeys.services) and an imported file or
a template (journeys.exchange) hold a journey to the same limits."""

MAX_STAGES = 60
MAX_TOUCHPOINTS_PER_STAGE = 500
MAX_LANES = 20
MAX_ITEMS_PER_CELL = 100
