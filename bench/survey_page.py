"""The public survey page as a phone loads it: server time of its GET and bytes transferred.

Usage (PostgreSQL and Redis, like bench/survey_load.py, whose server and data it reuses)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_survey \\
        REDIS_URL=redis://127.0.0.1:6379/5 python bench/survey_page.py [--requests 500]

The same gunicorn as bench/survey_load.py (production settings, one sync worker here so the
figure is one request's own time, behind one trusted TLS proxy) serves the bench workspace's
survey link twice: as MOT's default survey, then edited (CES added, a title, an intro, wording
of its own) with the workspace's logo (a 48x48 noise PNG, 6.5 KB) and accent colour.

Server time: each GET of /s/<token>/ (which also counts the open: one UPDATE) is timed from the
request's first byte sent to the response's last byte read, on 127.0.0.1, one at a time, after
50 warm-up requests; the median and p95 over --requests. On the loopback this is the server's
time plus well under a millisecond.

Bytes: what a phone downloads the first time, as the server sends it — the HTML, then every
stylesheet, script and image the page names, each asked for with ``Accept-Encoding: gzip``
(whitenoise serves its pre-compressed files; Django compresses no HTML, so the HTML is counted
as sent). Bodies only, no headers. Goals (issue 18): median <= 30 ms and <= 50 KB.
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import http.client
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mot_bench_survey")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")

from bench.survey_load import Server, ensure_database, ensure_survey, server_env  # noqa: E402

HEADERS = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.9",
    "Accept-Encoding": "gzip",
    "Accept-Language": "en",
    "User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile",
}


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes, float]:
    """One GET: status, headers, the body as sent (still compressed), seconds taken."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.connect()
        start = time.perf_counter()
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        return response.status, dict(response.getheaders()), body, elapsed
    finally:
        conn.close()


class _Assets(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if (tag == "link" and a.get("rel") == "stylesheet") or tag in ("script", "img"):
            url = a.get("href") if tag == "link" else a.get("src")
            if url:
                self.urls.append(url)


def page_bytes(port: int, path: str) -> dict:
    status, headers, body, _ = get(port, path)
    if status != 200:
        sys.exit(f"GET {path} answered {status}")
    parser = _Assets()
    parser.feed(body.decode())
    sizes = {"html": len(body)}
    for url in parser.urls:
        status, headers, asset, _ = get(port, url)
        if status != 200:
            sys.exit(f"GET {url} answered {status}")
        encoding = headers.get("Content-Encoding", "identity")
        sizes[f"{url} ({encoding})"] = len(asset)
    return sizes


def timings(port: int, path: str, requests: int) -> list[float]:
    for _ in range(50):
        get(port, path)
    times = []
    for _ in range(requests):
        status, _headers, _body, elapsed = get(port, path)
        if status != 200:
            sys.exit(f"GET {path} answered {status}")
        times.append(elapsed * 1000)
    return times


def edit_survey(token: str) -> None:
    from PIL import Image

    from feedback.models import SurveyBranding, SurveyLink

    link = SurveyLink.objects.get(token=token)
    link.config = {
        "title": {"en": "How was your checkout?"},
        "intro": {"en": "Three questions, under a minute."},
        "questions": [
            {"key": "nps", "required": True, "label": {"en": "Would you recommend our shop?"}},
            {"key": "ces", "required": False, "label": {}},
            {"key": "csat", "required": False, "label": {}},
            {"key": "comment", "required": False, "label": {}},
            {"key": "contact", "required": False, "label": {}},
        ],
    }
    link.save(update_fields=["config"])
    buffer = io.BytesIO()
    Image.effect_noise((48, 48), 40).convert("RGB").save(buffer, format="PNG")
    SurveyBranding.objects.update_or_create(
        workspace_id=link.touchpoint.journey.workspace_id,
        defaults={
            "logo": buffer.getvalue(),
            "logo_type": "image/png",
            "logo_hash": "b" * 16,
            "accent": "#0f766e",
        },
    )


def reset_survey(token: str) -> None:
    from feedback.models import SurveyBranding, SurveyLink

    link = SurveyLink.objects.get(token=token)
    SurveyLink.objects.filter(pk=link.pk).update(config={})
    SurveyBranding.objects.filter(workspace_id=link.touchpoint.journey.workspace_id).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    redis_url = os.environ["REDIS_URL"]
    if redis_url.rstrip("/").endswith("/0"):
        sys.exit("use a Redis database of the bench's own, not db 0")
    ensure_database()
    _workspace, token = ensure_survey()
    path = f"/s/{token}/"
    results = {}
    with Server(server_env(redis_url), workers=1) as server:
        for label, prepare in (("default survey", reset_survey), ("edited, logo", edit_survey)):
            prepare(token)
            times = timings(server.port, path, args.requests)
            sizes = page_bytes(server.port, path)
            results[label] = (times, sizes)
    reset_survey(token)
    for label, (times, sizes) in results.items():
        total = sum(sizes.values())
        print(f"{label}: GET {path}")
        print(
            f"  server time: median {statistics.median(times):.1f} ms, "
            f"p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms over {len(times)} requests"
        )
        for name, size in sizes.items():
            print(f"  {size / 1024:7.1f} KB  {name}")
        print(f"  {total / 1024:7.1f} KB  in all (goal <= 50 KB)")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
