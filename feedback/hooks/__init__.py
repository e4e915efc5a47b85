"""Webhooks: answers sent in by Typeform or by any program signing per Standard Webhooks, and
events sent out to a workspace's endpoints.

- ``models``: the endpoints (in and out), their secrets, the intakes' delivery log and the
  outgoing deliveries;
- ``typeform``: reading Typeform's ``form_response`` body through an endpoint's mapping;
- ``intake``: verifying a delivery's signature and storing its answers through the one
  ingestion service (:func:`feedback.services.responses_ingest`), logging the outcome;
- ``urlcheck``: the outgoing URL check against SSRF (at save and again at delivery);
- ``events`` / ``outgoing``: which events a workspace listens to (a cached check, the hot
  path), creating the deliveries and sending them, signed, with retries;
- ``services``, ``forms``, ``views``: the admin pages (Members → Webhooks, admins only).
"""
