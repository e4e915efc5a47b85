"""Surveys: editors create and revoke a touchpoint's public survey links (``urls``); customers
answer on the public page a link opens (``public_urls``, mounted at /s/<token>/)."""
