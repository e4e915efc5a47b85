"""Survey answers linked to touchpoints: models, imports, survey links and API (next issues)."""
