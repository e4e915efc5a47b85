"""The read side of metrics: every read of metric rows, and of answers, for display.

- ``overview``: the metrics overview page (each journey's all-time numbers, weakest and
  forgettable moments), the last recompute run and the churn summary;
- ``moments``: touchpoint moments for the journey map and "my touchpoints" (all-time numbers,
  the weakest moment, 30-day trends);
- ``dashboard``: the dashboard's filter and its queries (period counts, trend, moment impact,
  retention cohorts, pain comments);
- ``answers``: each touchpoint's latest pain answers, the one read of answers for display;
- ``expectations``: the four expectations' sums of a period per touchpoint (the dashboard's
  heatmap, the map's cards, My touchpoints), derived by metrics/expectations.py.

Each function runs a fixed number of queries whatever the data's size. What the rows are
computed from and how is the write side's (metrics/engine, metrics/services.py); the maths both
sides share is metrics/compute.py, the dashboard's page calculations metrics/summaries.py.
"""
