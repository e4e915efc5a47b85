"""The read side of metrics: every read of metric rows (and of answers) for display.

- ``overview``: the metrics overview page (each journey's all-time numbers, weakest and
  forgettable moments, the last run);
- ``moments``: touchpoint moments for the journey map and "my touchpoints" (all-time numbers,
  the weakest moment, 30-day trends).

Each function runs a fixed number of queries whatever the data's size. What the rows are
computed from and how is the write side's (metrics/engine, metrics/services.py); the maths both
sides share is metrics/compute.py.
"""
