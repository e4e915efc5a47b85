"""The map's "Export PNG" and "Export PDF" in a real browser (the demo shop journey with its
metrics computed, widened to nine stages so the board scrolls sideways): the files are drawn in
the browser (static/js/map_export.js with the vendored html-to-image and jsPDF) under MOT's
Content-Security-Policy, which the ``page`` fixture fails on at any violation. The PNG covers the
whole board, not the part on screen; the PDF has one A3 landscape page per group of whole stages
that fits a page, and its first page renders (poppler's pdfinfo and pdftoppm read it)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.utils.text import slugify
from PIL import Image
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from journeys.models import Journey, Stage, Touchpoint
from metrics.services import metrics_recompute
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = "B2C online shop"
VIEWPORT = {"width": 1280, "height": 900}
# A3 landscape in PDF points (420 by 297 mm), and the layout static/js/map_export.js uses.
A3_POINTS = (1190.55, 841.89)
PAGE_MM = {"width": 420, "height": 297, "margin": 10, "title": 20}
MM_PER_PX = 25.4 / 96


@pytest.fixture
def poppler() -> dict[str, str]:
    """The paths of poppler's pdfinfo and pdftoppm (Debian's poppler-utils, which .ci/run
    installs)."""
    tools = {tool: shutil.which(tool) for tool in ("pdfinfo", "pdftoppm")}
    missing = [tool for tool, path in tools.items() if path is None]
    if missing:
        pytest.skip(f"poppler-utils missing ({', '.join(missing)}); .ci/run installs it")
    return tools


@pytest.fixture
def wide_shop():
    """The demo shop journey (cards with badges, bars and a curve), plus stages up to nine."""
    workspace = load_demo()[0]
    journey = Journey.objects.get(workspace=workspace, name=SHOP)
    last = journey.stages.order_by("-position").first().position
    for extra in range(1, 10 - journey.stages.count()):
        stage = Stage.objects.create(
            journey=journey, name=f"After care {extra}", position=last + extra
        )
        Touchpoint.objects.create(
            journey=journey,
            stage=stage,
            title=f"Follow-up call {extra}",
            position=0,
            mot_stage="lmot",
        )
    metrics_recompute(workspace_id=workspace.pk, full=True)
    return journey


def open_map(page: Page, live_server, journey: Journey) -> None:
    staff = next(u for u in DEMO_USERS if u.role == Role.STAFF)
    signed_in(page, live_server, get_user_model().objects.get(username=staff.email))
    page.set_viewport_size(VIEWPORT)
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")
    # Shown by static/js/map_export.js once it runs.
    expect(page.get_by_role("button", name="Export PNG")).to_be_visible()


def export(page: Page, label: str, tmp_path):
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    expect(page.locator(".map-export [role=status]")).to_have_text("Map exported.")
    return download.suggested_filename, path


def board_geometry(page: Page) -> dict:
    """The board's full size and each stage's left/right edge in its pixels, with every card
    drawn as the export draws them (on screen, a long stage's far cards take an estimated
    height until they come near: content-visibility)."""
    return page.evaluate(
        """() => {
            const root = document.getElementById('board');
            root.setAttribute('data-exporting', '');
            const origin = root.getBoundingClientRect();
            const stages = Array.from(root.querySelectorAll('section.stage')).map(s => {
                const box = s.getBoundingClientRect();
                return [box.left - origin.left, box.right - origin.left];
            });
            const scroll = root.querySelector('.board-scroll');
            const geometry = {width: Math.max(root.scrollWidth, scroll.scrollWidth),
                              height: root.scrollHeight, stages};
            root.removeAttribute('data-exporting');
            return geometry;
        }"""
    )


def expected_pages(geometry: dict) -> int:
    """Whole stages per page: a page ends halfway between two stages once the next would not
    fit the page's width at the printed scale, which shrinks to fit a tall board's height but not
    below half; a board taller than that goes on over several pages down."""
    content_width = PAGE_MM["width"] - 2 * PAGE_MM["margin"]
    content_height = PAGE_MM["height"] - 2 * PAGE_MM["margin"] - PAGE_MM["title"]
    scale = max(MM_PER_PX / 2, min(MM_PER_PX, content_height / geometry["height"]))
    rows = max(1, math.ceil(geometry["height"] * scale / content_height - 0.001))
    stages = geometry["stages"]
    cuts = [0.0]
    cuts += [(stages[i - 1][1] + stages[i][0]) / 2 for i in range(1, len(stages))]
    cuts.append(geometry["width"])
    columns, first = 0, 0
    while first < len(stages):
        last = first
        while last + 1 < len(stages) and (cuts[last + 2] - cuts[first]) * scale <= content_width:
            last += 1
        columns += 1
        first = last + 1
    return columns * rows


def pdf_pages(poppler: dict[str, str], path) -> list[tuple[float, float]]:
    """Each page's size in points, as poppler's pdfinfo reads the file; checks its title."""
    info = subprocess.run(  # noqa: S603 - a fixed binary and arguments
        [poppler["pdfinfo"], "-f", "1", "-l", "999", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^Title:\s+\S", info, re.M), info
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1)) == len(sizes)
    return [(float(width), float(height)) for width, height in sizes]


def assert_a3_landscape(sizes: list[tuple[float, float]]) -> None:
    for width, height in sizes:
        assert abs(width - A3_POINTS[0]) < 1, width
        assert abs(height - A3_POINTS[1]) < 1, height


def test_png_export_covers_the_whole_board(page: Page, live_server, wide_shop, tmp_path):
    open_map(page, live_server, wide_shop)
    expect(page.locator("#curve .curve-line").first).to_be_visible()
    geometry = board_geometry(page)
    assert geometry["width"] > VIEWPORT["width"], "the board should scroll sideways"

    name, path = export(page, "Export PNG", tmp_path)

    assert re.fullmatch(rf"{slugify(SHOP)}-\d{{4}}-\d{{2}}-\d{{2}}\.png", name), name
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= geometry["width"], (width, geometry["width"])
        assert height >= geometry["height"] * 0.9, (height, geometry["height"])
        colours = image.convert("RGB").resize((200, 100)).getcolors(maxcolors=20_000)
    assert colours is not None
    assert len(colours) > 50, "the picture should not be blank"
    assert path.stat().st_size > 50_000
    # The cards' drag handles (drawn by CSS) are left out while the map is drawn, then back.
    handle = page.evaluate(
        """() => {
            const root = document.createElement("div");
            root.innerHTML = '<div class="card" data-movable><div class="card-head">x</div></div>';
            document.body.appendChild(root);
            const head = root.querySelector(".card-head");
            const drawn = () => getComputedStyle(head, "::before").content;
            const shown = drawn();
            root.setAttribute("data-exporting", "");
            const exporting = drawn();
            root.remove();
            return [shown, exporting];
        }"""
    )
    # Drawn with empty alternative text: the handle is inside the card's title, whose
    # accessible name stays the title alone.
    assert handle == ['"⠿" / ""', "none"], handle
    assert page.locator("[data-exporting]").count() == 0


def test_pdf_export_is_a3_landscape_by_stages_and_renders(
    page: Page, live_server, wide_shop, tmp_path, poppler
):
    open_map(page, live_server, wide_shop)
    expect(page.locator("#curve .curve-line").first).to_be_visible()
    geometry = board_geometry(page)
    pages = expected_pages(geometry)
    assert pages >= 2, "nine stages should not fit one A3 page"

    name, path = export(page, "Export PDF", tmp_path)

    assert re.fullmatch(rf"{slugify(SHOP)}-\d{{4}}-\d{{2}}-\d{{2}}\.pdf", name), name
    sizes = pdf_pages(poppler, path)
    assert len(sizes) == pages
    assert_a3_landscape(sizes)

    first = tmp_path / "first"
    subprocess.run(  # noqa: S603 - a fixed binary and arguments
        [poppler["pdftoppm"], "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", path, first],
        check=True,
    )
    with Image.open(f"{first}.png") as image:
        grey = image.convert("L")
        dark = sum(grey.histogram()[:200])
        assert dark > 0.02 * grey.width * grey.height, "the first page should not be blank"


def test_a_long_stage_goes_on_over_pages_down(page: Page, live_server, tmp_path, poppler):
    """A stage taller than a page even at half size is not shrunk to a smudge: the board goes on
    over the next pages, and every page is A3 landscape."""
    workspace = load_demo()[0]
    journey = Journey.objects.create(workspace=workspace, name="Long stage")
    long, short = (
        Stage.objects.create(journey=journey, name=name, position=position)
        for position, name in enumerate(("Support", "Renewal"))
    )
    Touchpoint.objects.bulk_create(
        Touchpoint(journey=journey, stage=long, title=f"Help request {n}", position=n)
        for n in range(40)
    )
    Touchpoint.objects.create(journey=journey, stage=short, title="Renewal offer", position=0)
    open_map(page, live_server, journey)
    geometry = board_geometry(page)
    pages = expected_pages(geometry)
    assert pages >= 2, geometry["height"]

    name, path = export(page, "Export PDF", tmp_path)

    assert name.startswith("long-stage-")
    sizes = pdf_pages(poppler, path)
    assert len(sizes) == pages
    assert_a3_landscape(sizes)
