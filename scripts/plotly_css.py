"""Print plotly.js's own stylesheet, read from the vendored bundle, as a CSS file.

plotly.js inserts its rules (modebar, hover labels, cursors, notifier) into a <style> element it
creates when it loads, which MOT's Content-Security-Policy refuses. Given an element with the id
``plotly.js-style-global`` and the class ``no-inline-styles`` it skips that and expects the page to
load the rules itself; plotly.js no longer publishes them as a file, so this writes them out:

    python scripts/plotly_css.py > static/vendor/plotly/plotly.css

Run it again after updating the bundle (tests/test_csp.py fails until the two agree). The rules
come out in the order plotly's insertRule(…, 0) leaves them in the browser: the last one first.
"""

from __future__ import annotations

import sys
from pathlib import Path

BUNDLE = Path(__file__).resolve().parent.parent / "static/vendor/plotly/plotly-cartesian.min.js"
FIRST_KEY = '"X,X div":'  # the first selector of plotly's src/css/_base.scss, compiled
# plotly's build/plotcss.js stands these in for the two root selectors.
ROOTS = {"X": ".js-plotly-plot .plotly", "Y": ".plotly-notifier"}


def _string(text: str, i: int) -> tuple[str, int]:
    """The JavaScript string literal starting at ``text[i]`` and the index after it."""
    quote, out, i = text[i], [], i + 1
    while text[i] != quote:
        if text[i] == "\\":
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out), i + 1


def rules(bundle: str) -> list[tuple[str, str]]:
    """(selector, declarations) in plotly's order, from the object literal in ``bundle``."""
    start = bundle.index(FIRST_KEY)
    if bundle[start - 1] != "{":
        raise ValueError("plotly's stylesheet object not found where expected")
    found, i = [], start
    while bundle[i] != "}":
        if bundle[i] in "\"'":
            key, i = _string(bundle, i)
        else:  # the minifier leaves a key that is a plain name unquoted (Y:…)
            end = bundle.index(":", i)
            key, i = bundle[i:end], end
        if bundle[i] != ":":
            raise ValueError(f"unexpected {bundle[i]!r} after {key!r}")
        value, i = _string(bundle, i + 1)
        if key.startswith(","):
            key = " " + key
        for placeholder, root in ROOTS.items():
            key = key.replace(placeholder, root)
        found.append((key, value))
        if bundle[i] == ",":
            i += 1
    return found


def stylesheet(bundle: str) -> str:
    head = (
        "/* plotly.js's own rules, written out by scripts/plotly_css.py from the bundle beside this"
        " file,\n   so the page loads them instead of plotly injecting a <style> element. */\n"
    )
    body = "".join(f"{selector} {{ {style} }}\n" for selector, style in reversed(rules(bundle)))
    return head + body


if __name__ == "__main__":
    sys.stdout.write(stylesheet(BUNDLE.read_text(encoding="utf-8")))
