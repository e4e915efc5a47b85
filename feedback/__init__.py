"""Survey answers linked to touchpoints: models, ingestion, survey links and the JSON API."""
