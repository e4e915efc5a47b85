"""File imports of survey answers and customer activities (CSV and XLSX).

The pipeline: ``reading`` detects a file's layout and streams its rows; ``presets`` knows the
exports of Qualtrics, SurveyMonkey and Google Forms; ``rows`` turns one row into a validated
record or a row error under a column mapping; ``store`` writes validated records (PostgreSQL:
COPY into a staging table, then one INSERT … ON CONFLICT DO NOTHING; SQLite: batches);
``jobs`` runs the whole thing as a Celery job with progress. The types shared by these steps
are in ``types``. The pages that drive it (upload, mapping with preview, progress, outcome) are
``views``, ``forms`` and ``urls``, as in the other features.
"""
