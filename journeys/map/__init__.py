"""The journey map page: the board of stages and cards, edited in place, with each card's moment
and the journey's emotion curve.

- ``views``: the page and its editing endpoints (access check, form, service, answer);
- ``responses``: what they answer: the whole page, or with htmx the fragments that changed;
- ``selectors``: the board read from the database (stages, cards, the journey's outline);
- ``forms``: the filter form and the editing forms;
- ``cards``: the cards, read as plain rows and drawn by one Python renderer;
- ``curve``: the emotion curve (a lane of its own) and its table;
- ``lanes``: the lanes under the stages, read and drawn (item lanes, the metrics lane), and the
  journey's personas; ``lane_views``: their editing endpoints.

Writes go through journeys.services; the moments come from metrics.read.moments.
"""
