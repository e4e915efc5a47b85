#!/bin/sh
# Entry point of the MOT image (docker-compose.yml's web, worker and beat run the same image).
#   gunicorn ...   migrate the database and collect static files first, then serve
#   healthcheck    exit 0 if this container's gunicorn answers GET /healthz with 200
#   anything else  run as given (celery -A mot worker ..., python manage.py ...)
set -eu
cd "$(dirname "$0")/.."

case "${1:-}" in
gunicorn)
    echo "entrypoint: applying migrations"
    python manage.py migrate --noinput
    echo "entrypoint: collecting static files"
    python manage.py collectstatic --noinput -v0
    exec "$@"
    ;;
healthcheck)
    # Liveness: gunicorn, Django and the database answer. Sent with the first allowed host
    # (Django answers 400 to any other) and as if through the TLS proxy, so SECURE_SSL_REDIRECT
    # doesn't turn it into a redirect (gunicorn trusts X-Forwarded-Proto from 127.0.0.1).
    exec python - <<'PY'
import http.client
import os
import sys

hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
conn = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=5)
try:
    conn.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
    response = conn.getresponse()
except OSError as exc:
    sys.exit(f"healthcheck: {exc}")
if response.status != 200:
    location = response.getheader("Location") or ""
    sys.exit(f"healthcheck: /healthz answered {response.status} {location}".rstrip())
PY
    ;;
*)
    exec "$@"
    ;;
esac
