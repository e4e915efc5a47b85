"""The moment dashboard page (its numbers, figures and tables, and its CSV).

- ``views``: the page and the CSV export;
- ``forms``: the filter form (journey, period, channel, moment, granularity);
- ``page``: the page's content assembled from its reads (metrics/read/dashboard.py) and its
  calculations (metrics/summaries.py);
- ``figures``: the plotly figures; ``tables``: the same numbers as tables.
"""
