"""Workspace API tokens: admins create them (shown once, stored as a hash) and revoke them; the
JSON API (:mod:`feedback.api`) authenticates its clients with them."""
