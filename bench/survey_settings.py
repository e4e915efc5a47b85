"""Settings for bench/survey_load.py's server: MOT's own, plus the reference view's URL.

The server runs the production settings (DEBUG off, Redis, behind one trusted TLS proxy) from the
environment bench/survey_load.py gives it; only the URLconf and where static files are collected
differ, so the survey and the reference view pass through the same middleware and connections.
"""

from mot.settings import *  # noqa: F403
from mot.settings import DATA_DIR

ROOT_URLCONF = "bench.survey_urls"
# Collected by the bench into data/ (ignored by git), not into the checkout's staticfiles/.
STATIC_ROOT = DATA_DIR / "bench_survey_static"
