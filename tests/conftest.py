"""Personas and real-service fixtures shared by the whole suite.

Personas: an admin, an editor, a manager, a staff owner in workspace "Acme", and an outsider who is
admin of another workspace. Tests that need PostgreSQL, Redis or Chromium skip when the service is
not configured — except with CI=true, where they fail, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model

from journeys.models import Channel, MotStage, Phase
from journeys.services import journey_create, stage_create, touchpoint_create
from mot.celery import app as celery_app
from mot.models import Membership, Role, Workspace
from mot.tasks import send_invitation

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # A request activates its language for the thread (LocaleMiddleware, the survey's choice)
    # and nothing resets it afterwards: in production every request activates its own, but a
    # test that calls code directly after another test's request in Romanian would read
    # Romanian messages.
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The default hasher costs ~0.3 s a user by design; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def require_postgres(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        _unavailable("this test needs PostgreSQL (set DATABASE_URL=postgres://...)")


@pytest.fixture
def require_redis():
    if not settings.REDIS_URL:
        _unavailable("this test needs Redis (set REDIS_URL=redis://...)")
    return settings.REDIS_URL


@pytest.fixture
def require_chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _unavailable(f"this test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def make_member(workspace: Workspace, role: str, name: str) -> Membership:
    user = get_user_model().objects.create_user(
        username=f"{name}@{workspace.slug}.test",
        email=f"{name}@{workspace.slug}.test",
        password="correct-horse-battery",
        first_name=name.capitalize(),
    )
    return Membership.objects.create(workspace=workspace, user=user, role=role)


@pytest.fixture
def workspace(db) -> Workspace:
    return Workspace.objects.create(name="Acme", slug="acme")


@pytest.fixture
def other_workspace(db) -> Workspace:
    return Workspace.objects.create(name="Globex", slug="globex")


@pytest.fixture
def admin(workspace) -> Membership:
    return make_member(workspace, Role.ADMIN, "alice")


@pytest.fixture
def editor(workspace) -> Membership:
    return make_member(workspace, Role.EDITOR, "eddie")


@pytest.fixture
def manager(workspace) -> Membership:
    return make_member(workspace, Role.MANAGER, "mona")


@pytest.fixture
def staff(workspace) -> Membership:
    return make_member(workspace, Role.STAFF, "sam")


@pytest.fixture
def outsider(other_workspace) -> Membership:
    return make_member(other_workspace, Role.ADMIN, "oscar")


@pytest.fixture
def personas(admin, editor, manager, staff) -> dict[str, Membership]:
    return {Role.ADMIN: admin, Role.EDITOR: editor, Role.MANAGER: manager, Role.STAFF: staff}


@pytest.fixture
def journey(editor):
    """A small map: two stages, three touchpoints, one owned by the staff persona's peer."""
    j = journey_create(actor=editor, name="Online shop", persona="Shopper")
    research = stage_create(actor=editor, journey=j, name="Research")
    buy = stage_create(actor=editor, journey=j, name="Buy")
    touchpoint_create(
        actor=editor,
        stage=research,
        title="Reviews",
        channel=Channel.REVIEW_SITE,
        mot_stage=MotStage.ZMOT,
        phase=Phase.PURCHASE,
    )
    touchpoint_create(
        actor=editor,
        stage=buy,
        title="Product page",
        channel=Channel.WEBSITE,
        mot_stage=MotStage.FMOT,
        phase=Phase.PURCHASE,
    )
    touchpoint_create(
        actor=editor, stage=buy, title="Checkout", channel=Channel.WEBSITE, phase=Phase.PURCHASE
    )
    return j


def login(client, membership: Membership):
    client.force_login(membership.user, backend="mot.auth.EmailOrUsernameBackend")
    return client


@pytest.fixture(scope="session", autouse=True)
def _fresh_cache():
    """An empty cache to start with. With REDIS_URL (CI) the cache is Redis, which outlives a
    test run: keys an earlier run left (a metrics run marked as waiting for a workspace id, rate
    limit counters) would otherwise meet the same ids in this run's new test database. Clears the
    Redis database the tests are given, so give them one of their own."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def celery_eager():
    """Run tasks in-process even when REDIS_URL is set (CI), for tests about a request's result
    rather than about the queue; tests/test_celery_worker.py covers the real worker."""
    from mot.celery import app as celery_app

    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def on_commit_eager(db, celery_eager, settings, mailoutbox, django_capture_on_commit_callbacks):
    """``run(fn, ...)`` calls fn and then its transaction's on-commit callbacks, with tasks run
    in-process: an alert recorded by fn is mailed into ``mailoutbox`` (links on SITE_URL
    https://mot.example.test). Asks for ``db`` first: the test database is set up before the
    outbox is taken."""
    settings.SITE_URL = "https://mot.example.test"

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


# --- a real broker: Redis, with queues of a test's own -----------------------------------

# The queues docker-compose.yml's worker consumes (`celery -A mot worker -Q default,metrics`).
WORKER_QUEUES = {"default", "metrics"}


def wait_for(predicate, *, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def redis_client(require_redis):
    client = redis.Redis.from_url(require_redis, socket_connect_timeout=3, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"REDIS_URL={require_redis} is set but Redis does not answer: {exc}")
    yield client
    client.close()


@pytest.fixture
def isolated_queue(redis_client):
    """A queue of this test's own, so a stray worker on the same Redis can't take the task and
    messages other tests left on "default" don't reach this worker."""
    assert not celery_app.conf.task_always_eager, "REDIS_URL is set, tasks must not run eagerly"
    routed = celery_app.amqp.router.route({}, send_invitation.name)["queue"].name
    assert routed in WORKER_QUEUES, f"{send_invitation.name} goes to {routed!r}, no worker reads it"

    name = f"mot-test-{uuid.uuid4().hex[:12]}"
    # Tasks without an explicit route go to task_default_queue, read at publish time.
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    try:
        yield name
    finally:
        celery_app.conf.task_default_queue = previous
        redis_client.delete(
            name, *(f"_kombu.{kind}.{name}" for kind in ("binding", "binding_permanent"))
        )


@pytest.fixture
def isolated_metrics_queue(redis_client):
    """The metrics tasks' own queue (``metrics`` in production), made this test's own too."""
    routed = celery_app.amqp.router.route({}, "metrics.tasks.recompute_metrics")["queue"].name
    assert routed in WORKER_QUEUES, f"metric recomputes go to {routed!r}, no worker reads it"
    name = f"mot-test-metrics-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_routes
    celery_app.conf.task_routes = {"metrics.tasks.*": {"queue": name}}
    # Celery reads the routes once: re-read them, and rebuild the router on them.
    celery_app.amqp.flush_routes()
    celery_app.amqp.router = celery_app.amqp.Router()
    try:
        yield name
    finally:
        celery_app.conf.task_routes = previous
        celery_app.amqp.flush_routes()
        celery_app.amqp.router = celery_app.amqp.Router()
        redis_client.delete(
            name, *(f"_kombu.{kind}.{name}" for kind in ("binding", "binding_permanent"))
        )
