"""Nothing MOT serves loads code from another site: users and CI may have no internet, and the
CSP refuses it anyway. Vendored files included (jsPDF shipped a cdnjs address for an output mode
MOT does not use)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CDN = re.compile(
    r"(?:https?:)?//(?:[\w-]+\.)*(?:cdnjs\.cloudflare\.com|unpkg\.com|cdn\.jsdelivr\.net|ajax\.googleapis\.com|code\.jquery\.com|cdn\.plot\.ly|stackpath\.bootstrapcdn\.com)",
    re.I,
)


def test_no_template_or_static_file_loads_from_a_cdn():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for folder in ("templates", "static")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".html", ".js", ".css"}
        for match in CDN.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []
