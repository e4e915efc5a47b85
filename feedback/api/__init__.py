"""The JSON API (django-ninja), mounted at /api/v1/: send survey answers, read them back.

Authentication is a workspace API token, ``Authorization: Bearer <token>``; nothing else is
accepted (no session cookie, so no CSRF to check). Every answer of a request is validated first and
written in one transaction through :func:`feedback.services.responses_ingest`: one bad item → 422
listing every bad item by index and field, and nothing is written.

``schemas`` holds the request and response bodies, ``views`` the operations on the one
``NinjaAPI`` instance, ``urls`` mounts it (mot/urls.py includes it at /api/v1/).
"""
