# MOT web app, Celery worker and beat: one image, the command picks the role (docker-compose.yml).
FROM python:3.12-slim

# settings.py finds templates/, static/ and locale/ beside the mot package, so the code runs from
# this source tree (PYTHONPATH); `pip install .` below brings the dependencies.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# A home of its own: gunicorn keeps its control socket in ~/.gunicorn.
RUN groupadd --system --gid 10001 mot \
    && useradd --system --uid 10001 --gid mot --create-home --home-dir /home/mot \
        --shell /usr/sbin/nologin mot

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install . \
    && rm -rf build ./*.egg-info

# Static files are hashed and compressed at build time (a dummy key: settings refuse to load
# without one when DEBUG is off; it is used for nothing else and does not stay in the image).
RUN DEBUG=false \
    SECRET_KEY=build-time-only-dummy-secret-key-used-for-collectstatic-0000 \
    DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput -v0 \
    && mkdir -p /app/data/media \
    && chown -R mot:mot /app/staticfiles /app/data

USER mot
EXPOSE 8000
ENTRYPOINT ["sh", "/app/docker/entrypoint.sh"]
CMD ["gunicorn", "mot.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
