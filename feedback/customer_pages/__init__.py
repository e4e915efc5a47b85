"""Admin pages for customers' personal data requests: find, export (JSON) and erase."""
