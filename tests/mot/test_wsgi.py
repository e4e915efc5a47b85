"""mot/wsgi.py, as a gunicorn worker loads it: the application, the heap it allocated frozen
out of the garbage collector's collections, the youngest generation's threshold raised (see
``tune_collector``)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_application_tunes_the_collector():
    probe = (
        "import gc, mot.wsgi\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()), callable(mot.wsgi.application),"
        " gc.get_threshold()[0])"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, still_tracked, callable_app, young = int(out[0]), int(out[1]), out[2], int(out[3])
    assert callable_app == "True"
    # Django and the apps: tens of thousands of objects, none left to the collections.
    assert frozen > 50_000
    assert still_tracked < 1_000
    assert young == 20_000
