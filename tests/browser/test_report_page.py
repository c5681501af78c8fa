"""The report page in a real browser (headless Chromium): it loads offline without errors, shows one marker per
place, animates the results file's stocks day by day, draws observed against simulated series, and shows a
script-injection place name as text."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from report_pages import INJECTION, Page, flee_scenario

from crossings.api import load_scenario


def stocks(run: Path) -> np.ndarray:
    """(days, locations) n_present from locations.parquet, in the scenario's location order."""
    t = pq.read_table(run / "locations.parquet").to_pandas()
    wide = t.pivot(index="day", columns="location", values="n_present")
    names = load_scenario(json.loads((run / "summary.json").read_text())["scenario_path"]).locations.name
    return wide[list(names)].to_numpy()


def move_slider(page: Page, day: int) -> None:
    """Move the day slider as a person does with the keyboard: Home, then the right arrow ``day`` times."""
    slider = page.page.locator("#day")
    slider.focus()
    slider.press("Home")
    for _ in range(day):
        slider.press("ArrowRight")


def test_loads_offline_without_console_errors(demo_page: Page) -> None:
    assert demo_page.errors == [], f"page errors: {demo_page.errors}"
    bad = [(t, m) for t, m in demo_page.console if t in ("error", "warning")]
    assert bad == [], f"console errors or warnings: {bad}"
    others = [u for u in demo_page.requests if u != demo_page.url and not u.startswith("data:")]
    assert others == [], f"the page made requests besides loading itself: {others}"
    assert demo_page.page.locator("#map .country").count() > 0, "expected country outlines on the map"


def test_one_marker_per_location(demo_page: Page, demo_run: Path) -> None:
    sc = load_scenario(json.loads((demo_run / "summary.json").read_text())["scenario_path"])
    markers = demo_page.page.locator("#map .loc")
    assert markers.count() == len(sc.locations)
    names = [markers.nth(i).get_attribute("data-name") for i in range(markers.count())]
    assert names == list(sc.locations.name)
    assert demo_page.page.locator("#map .route").count() == len(sc.links) // 2


def test_slider_shows_that_days_stocks(demo_page: Page, demo_run: Path) -> None:
    expected = stocks(demo_run)
    page = demo_page.page
    for day in (0, 37):
        move_slider(demo_page, day)
        assert page.locator("#day").input_value() == str(day)
        assert page.locator("#day-label").inner_text().startswith(f"day {day} ·")
        shown = [int(page.locator("#map .loc").nth(i).get_attribute("data-n")) for i in range(expected.shape[1])]
        assert shown == expected[day].tolist(), f"day {day}: markers show {shown}, results file {expected[day]}"
        rows = page.locator("#stocks tbody tr")
        table = [int(rows.nth(i).locator("td").nth(2).inner_text().replace(",", "")) for i in range(rows.count())]
        want = sorted((v for v in expected[day].tolist() if v > 0), reverse=True)[:10]
        assert table == want, f"day {day}: side table {table}, results file {want}"
    assert expected[0].tolist() != expected[37].tolist(), "the test needs two days with different stocks"


def test_camp_chart_shows_observed_and_simulated(demo_page: Page, demo_run: Path) -> None:
    page = demo_page.page
    chart = page.locator("#camp-charts [data-chart^='camp-']").first
    days = json.loads((demo_run / "summary.json").read_text())["days"]
    sim = chart.locator("polyline.role-sim")
    obs = chart.locator("polyline.role-obs")
    assert sim.count() == 1 and obs.count() == 1
    assert len(sim.get_attribute("points").split()) == days
    assert len(obs.get_attribute("points").split()) == days
    assert chart.locator("circle.obs-point").count() >= 3, "expected the observation points as dots"
    assert "observed" in chart.inner_text() and "simulated" in chart.inner_text()
    assert page.locator("#fit tbody tr").count() == 3
    assert page.locator("#events tbody tr").count() >= 4


def test_play_advances_the_day(demo_page: Page) -> None:
    page = demo_page.page
    move_slider(demo_page, 0)
    page.locator("#play").click()
    deadline = time.monotonic() + 10
    while int(page.locator("#day").input_value()) < 5 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.locator("#play").click()
    assert int(page.locator("#day").input_value()) >= 5, "playing did not move the day"
    assert page.locator("#day-label").inner_text().startswith(f"day {page.locator('#day').input_value()} ·")


def test_injected_name_shows_as_text(browser, injection_run: Path) -> None:
    page = Page(browser, injection_run / "report.html")
    try:
        assert page.dialogs == [], f"a script from the scenario ran: {page.dialogs}"
        assert page.errors == []
        assert page.page.evaluate("document.scripts.length") == 2, "only the page's data and its own script"
        marker = page.page.locator("#map .loc").nth(2)
        assert marker.get_attribute("data-name") == INJECTION
        assert page.page.locator("#map text.label", has_text=INJECTION).count() == 1
        assert INJECTION in page.page.locator("#map").text_content()
    finally:
        page.close()


def test_readable_at_1280x800_without_overlapping_labels(demo_page: Page, tmp_path: Path) -> None:
    page = demo_page.page
    move_slider(demo_page, 40)  # mid-period: people on the roads and in the camps
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the page scrolls sideways"
    boxes = page.evaluate("""Array.from(document.querySelectorAll('#map text'))
        .filter(t => t.style.display !== 'none')
        .map(t => { const b = t.getBoundingClientRect();
                    return [b.left, b.top, b.right, b.bottom, t.textContent]; })""")
    assert len(boxes) >= 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = a[0] < b[2] - 1 and a[2] > b[0] + 1 and a[1] < b[3] - 1 and a[3] > b[1] + 1
            assert not overlap, f"map labels overlap: {a[4]!r} and {b[4]!r}"
    sizes = page.evaluate("""Array.from(document.querySelectorAll('#map text, .chart text'))
        .filter(t => t.style.display !== 'none').map(t => t.getBoundingClientRect().height)""")
    assert min(sizes) >= 10, "a label is drawn smaller than 10 px"
    out = Path(os.environ.get("CROSSINGS_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    page.locator("#day").blur()
    page.screenshot(path=str(out / "report-demo.png"))
    assert (out / "report-demo.png").stat().st_size > 20_000


def test_flee_conflict_report(browser, tmp_path: Path) -> None:
    """A benchmark conflict (hundreds of days, dozens of places): loads cleanly, every place has a marker, the
    fit table lists every observed camp, and the page stays far below 5 MB."""
    import pytest

    import crossings as cx
    from crossings.api import write_report, write_run

    src = flee_scenario("mali2012")
    if src is None:
        pytest.skip("shared Flee scenario mali2012 not found (set CROSSINGS_SHARED)")
    sc = cx.load_scenario(src)
    write_run(cx.run(sc, seed=1), tmp_path)
    report = write_report(tmp_path)
    assert report.stat().st_size < 5_000_000
    page = Page(browser, report)
    try:
        assert page.errors == [] and [m for t, m in page.console if t == "error"] == []
        assert [u for u in page.requests if u != page.url and not u.startswith("data:")] == []
        assert page.page.locator("#map .loc").count() == len(sc.locations)
        assert page.page.locator("#fit tbody tr").count() == len(sc.observed.camps)
        obs_lines = page.page.locator("#camp-charts [data-chart^='camp-'] polyline.role-obs")
        assert obs_lines.count() == len(sc.observed.camps)
    finally:
        page.close()


def test_native_note_and_source_show_as_text(browser, native_run_with_text) -> None:
    """Free text of a native scenario (a place's note, an event's source) is shown as typed, markup and all."""
    from crossings.api import write_report

    note, source = '<img src=x onerror="alert(2)">', "<b>UNHCR</b>"
    page = Page(browser, write_report(native_run_with_text(note, source)))
    try:
        page.page.locator("#map .loc").nth(0).click()
        assert page.page.locator("#focus .note").inner_text() == note
        assert page.page.locator("#focus img").count() == 0
        assert page.page.locator("#events tbody tr").first.locator("td").nth(3).inner_text() == source
        assert page.page.locator("#events b").count() == 0
        assert page.dialogs == [] and page.errors == []
    finally:
        page.close()
