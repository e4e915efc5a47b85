"""NPS, retention and glory/pain per moment, computed by Celery jobs (next issues)."""
