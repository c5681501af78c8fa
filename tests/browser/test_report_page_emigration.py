"""The report of an emigration run (the default scenario russia2022) in headless Chromium: it loads offline
without errors and stays under 5 MB; it speaks of people who left home, are abroad, on the way or back home;
Serbia's chart shows entries, people present and permit holders with the observations of the fit table; the
crossings, "who left" and fit sections show what the results files hold; what-if texts are shown as text.

One russia2022 run (500 days by default, see ``report_pages.russia_days``) is shared by every test here."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from report_pages import INJECTION, Page, copy_run

from crossings.api import load_scenario


def summary_of(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text())


def countries(run: Path, column: str) -> tuple[list[str], np.ndarray]:
    """(country names, (days, countries) matrix of ``column``) from countries.parquet, in agents."""
    t = pq.read_table(run / "countries.parquet").to_pandas()
    wide = t.pivot(index="day", columns="country", values=column)
    return list(wide.columns), wide.to_numpy()


def set_day(page: Page, day: int) -> None:
    """Move the day slider to ``day`` as its input event does (the page keeps every day of this run)."""
    page.page.evaluate("d => { const s = document.getElementById('day'); s.value = d; "
                       "s.dispatchEvent(new Event('input')); }", day)
    assert page.page.locator("#day-label").inner_text().startswith(f"day {day} ·")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_loads_offline_small_and_in_emigration_words(russia_page: Page, russia_run: Path) -> None:
    page = russia_page.page
    assert russia_page.errors == [], f"page errors: {russia_page.errors}"
    bad = [(t, m) for t, m in russia_page.console if t in ("error", "warning")]
    assert bad == [], f"console errors or warnings: {bad}"
    others = [u for u in russia_page.requests if u != russia_page.url and not u.startswith("data:")]
    assert others == [], f"the page made requests besides loading itself: {others}"
    size = (russia_run / "report.html").stat().st_size
    assert size < 5_000_000, f"report is {size / 1e6:.2f} MB"
    assert "who left" in page.locator("h1").inner_text()
    side = page.locator("#side").inner_text()
    for words in ("left home", "abroad", "on the way", "back home", "Countries abroad"):
        assert words in side, f"side panel lacks {words!r}"
    assert "displaced" not in side and "camps" not in side
    sc = load_scenario(summary_of(russia_run)["scenario_path"])
    assert page.locator("#map .loc").count() == len(sc.locations)
    origins = {n for n, k in zip(sc.locations.name, sc.locations.kind, strict=True) if int(k) == _origin_kind()}
    rows = page.locator("#stocks tbody tr")
    listed = {rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())}
    assert listed and not listed & origins, f"origins listed as places holding people: {listed & origins}"
    assert "people" in page.locator("header").inner_text()  # 1 agent = 100 people


def _origin_kind() -> int:
    from crossings.scenario.model import KIND_NAMES

    return KIND_NAMES.index("origin")


def test_side_panel_shows_that_days_totals(russia_page: Page, russia_run: Path) -> None:
    ppa = summary_of(russia_run)["people_per_agent"]
    home = set(summary_of(russia_run)["home_countries"])
    names, present = countries(russia_run, "n_in_country")
    _, left = countries(russia_run, "new_left_home")
    _, back = countries(russia_run, "new_returns")
    _, emigrants = countries(russia_run, "n_emigrants_in_country")
    page = russia_page.page
    for day in (30, 212):
        set_day(russia_page, day)
        abroad = [j for j, c in enumerate(names) if c not in home]
        assert number(page.locator("#tot-abroad").inner_text()) == present[day, abroad].sum() * ppa
        assert number(page.locator("#tot-left").inner_text()) == left[: day + 1].sum() * ppa
        assert number(page.locator("#tot-back").inner_text()) == back[: day + 1].sum() * ppa
        first = page.locator("#countries-table tbody tr").first
        best = max(abroad, key=lambda j: present[day, j])
        assert first.locator("td").first.inner_text() == names[best]
        assert number(first.locator("td").nth(1).inner_text()) == present[day, best] * ppa
        assert number(first.locator("td").nth(2).inner_text()) == emigrants[day, best] * ppa
    assert page.locator("#countries-emig").is_visible(), "the emigrants column shows when travellers are apart"


def serbia_rows(run: Path) -> set[int]:
    """Lines of the fit rows drawn on Serbia's chart: entries, people present, permits (granted, held)."""
    wanted = ("entries(country=Serbia)", "stock(country=Serbia)", "permits(country=Serbia)",
              "permits_granted(country=Serbia)")
    return {r["line"] for r in summary_of(run)["fit"]["rows"]
            if r["sim"] in wanted and r["status"] not in ("outside run", "not in this run")}


def test_serbia_chart_shows_entries_people_and_permits_with_observations(russia_page: Page,
                                                                         russia_run: Path) -> None:
    page = russia_page.page
    assert page.locator("#country-charts .chart").first.get_attribute("data-chart") == "country-Serbia"
    chart = page.locator("#country-charts [data-chart='country-Serbia']")
    assert chart.count() == 1
    days = summary_of(russia_run)["days"]
    keys = {}
    for i in range(chart.locator("polyline.series").count()):
        line = chart.locator("polyline.series").nth(i)
        keys[line.get_attribute("data-key")] = len(line.get_attribute("points").split())
    for key in ("entries", "present", "emigrants", "permits"):
        assert keys.get(key) == days, f"Serbia's {key} line: {keys}"
    marks = chart.locator(".obs-mark")
    assert marks.count() >= 1
    lines = {int(marks.nth(i).get_attribute("data-line")) for i in range(marks.count())}
    assert lines == serbia_rows(russia_run)
    # the sentence under the chart, checked against countries.parquet
    note = chart.locator(".chart-note").inner_text()
    m = re.match(r"By (\d+ \w+ \d{4}): ([\d,]+) entries into Serbia .*; ([\d,]+) people present \(([\d,]+) of them "
                 r"emigrants, the rest on short trips\); ([\d,]+) residence permits granted", note)
    assert m, note
    start = dt.date.fromisoformat(summary_of(russia_run)["start_date"])
    day = (dt.datetime.strptime(m.group(1), "%d %b %Y").date() - start).days
    names, entries = countries(russia_run, "new_entries")
    _, present = countries(russia_run, "n_in_country")
    _, granted = countries(russia_run, "new_permits_granted")
    j, ppa = names.index("Serbia"), summary_of(russia_run)["people_per_agent"]
    assert number(m.group(2)) == entries[: day + 1, j].sum() * ppa
    assert number(m.group(3)) == present[day, j] * ppa
    _, emigrants = countries(russia_run, "n_emigrants_in_country")
    assert number(m.group(4)) == emigrants[day, j] * ppa
    assert number(m.group(5)) == granted[: day + 1, j].sum() * ppa
    assert number(m.group(2)) > 2 * number(m.group(3)), "the point of the chart: entries are not people"
    snap = page.locator("[data-chart='country-Serbia-snapshot']")
    assert snap.count() == 1 and snap.locator(".snap-bar").count() == 4


def test_crossing_chart_shows_the_upper_lars_queue(russia_page: Page, russia_run: Path) -> None:
    page = russia_page.page
    chart = page.locator("#crossing-charts [data-chart='crossing-Upper_Lars-queue']")
    assert chart.count() == 1
    assert page.locator("#crossing-charts .chart").first.get_attribute("data-chart") == "crossing-Upper_Lars-queue"
    axis = chart.locator(".axis").text_content()
    assert "2022" in axis and ("Sep" in axis or "Oct" in axis), f"expected the window around autumn 2022: {axis}"
    t = pq.read_table(russia_run / "crossings.parquet").to_pandas()
    queue = t[t.crossing == "Upper_Lars"].groupby("day")["n_queue"].sum()
    ppa = summary_of(russia_run)["people_per_agent"]
    line = chart.locator("polyline[data-key='queue']")
    n_points = len(line.get_attribute("points").split())
    assert 0 < n_points < len(queue), "expected the days around the queue, not the whole run"
    assert queue.max() * ppa > 0
    assert chart.locator(".obs-mark").count() >= 1, "expected the observed queue lengths"
    wait = page.locator("#crossing-charts [data-chart='crossing-Upper_Lars-wait']")
    assert wait.locator("polyline[data-key='wait']").count() == 1


def test_who_left_shows_categories_and_travellers_apart(russia_page: Page, russia_run: Path) -> None:
    page = russia_page.page
    sc = load_scenario(summary_of(russia_run)["scenario_path"])
    spec = sc.emigration
    for name, rt in zip(spec.category.names, np.asarray(spec.round_trip).tolist(), strict=True):
        box = "#traveller-charts" if rt else "#emigrant-charts"
        chart = page.locator(f"{box} [data-chart='category-{name}']")
        assert chart.count() == 1, f"category {name} not in {box}"
        assert chart.locator(".bars rect").count() > 0, "expected leavers per week as bars"
        assert chart.locator("polyline[data-key='away']").count() == 1
    group = page.locator("#emigrant-charts .chart").first
    assert group.get_attribute("data-chart").startswith("group-")
    assert group.locator(".obs-mark").count() >= 1


def test_fit_table_lists_every_row_with_its_status(russia_page: Page, russia_run: Path) -> None:
    page = russia_page.page
    rows = summary_of(russia_run)["fit"]["rows"]
    trs = page.locator("#obsfit tbody tr")
    assert trs.count() == len(rows)
    shown = page.evaluate("""Array.from(document.querySelectorAll('#obsfit tbody tr')).map(tr =>
        [+tr.dataset.line, tr.dataset.status, tr.cells[8].textContent])""")
    want = {r["line"]: r for r in rows}
    assert {line for line, _, _ in shown} == set(want)
    for line, status, inside in shown:
        r = want[line]
        assert status == r["status"], line
        assert inside == (("✓" if r["inside"] else "✗") if r["status"] == "scored" else "—"), line
    assert {"scored", "not modelled"} <= {s for _, s, _ in shown}
    summary = page.locator("#obsfit-summary").inner_text()
    for role, counts in summary_of(russia_run)["fit"]["summary"]["by_role"].items():
        if counts["scored"]:
            assert f"{role}: {counts['inside']} of {counts['scored']} inside" in summary
    page.locator("#obsfit th[data-sort='line']").click()
    order = page.evaluate("Array.from(document.querySelectorAll('#obsfit tbody tr')).map(tr => +tr.dataset.line)")
    assert order == sorted(order)
    page.locator("#obsfit th[data-sort='line']").click()
    order = page.evaluate("Array.from(document.querySelectorAll('#obsfit tbody tr')).map(tr => +tr.dataset.line)")
    assert order == sorted(order, reverse=True)
    page.locator("#obsfit-roles button[data-role='input']").click()
    visible = page.evaluate("""Array.from(document.querySelectorAll('#obsfit tbody tr'))
        .filter(tr => !tr.hidden).map(tr => tr.dataset.role)""")
    assert visible and set(visible) == {"input"}
    page.locator("#obsfit-roles button[data-role='all']").click()
    hidden = page.evaluate("Array.from(document.querySelectorAll('#obsfit tbody tr')).filter(tr => tr.hidden).length")
    assert hidden == 0


def test_what_if_texts_and_parameter_names_show_as_text(browser, russia_run: Path, tmp_path: Path) -> None:
    run = copy_run(russia_run, tmp_path / "what-if", what_if=[INJECTION, "event: close Upper Lars from 2022-09-22"],
                   parameters={INJECTION: 1.5, "wave2": 250})
    assert INJECTION not in (run / "report.html").read_text()
    page = Page(browser, run / "report.html")
    try:
        assert page.dialogs == [] and page.errors == []
        assert page.page.evaluate("document.scripts.length") == 2, "only the page's data and its own script"
        codes = page.page.locator("#whatif code")
        assert codes.count() == 2 and codes.first.inner_text() == INJECTION
        assert page.page.locator("#whatif script").count() == 0
        assert INJECTION in page.page.locator("#params-list").text_content()
    finally:
        page.close()


def test_screenshots_of_the_map_and_serbia(russia_page: Page, russia_run: Path, tmp_path: Path) -> None:
    """docs/report-russia2022.png (1280×800, the map on 24 Sep 2022) and docs/report-russia2022-serbia.png (the
    Serbia chart) when CROSSINGS_SCREENSHOT_DIR=docs; no two map labels overlap on that day."""
    page = russia_page.page
    start = dt.date.fromisoformat(summary_of(russia_run)["start_date"])
    set_day(russia_page, (dt.date(2022, 9, 24) - start).days)
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the page scrolls sideways"
    boxes = page.evaluate("""Array.from(document.querySelectorAll('#map text'))
        .filter(t => t.style.display !== 'none')
        .map(t => { const b = t.getBoundingClientRect();
                    return [b.left, b.top, b.right, b.bottom, t.textContent]; })""")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap = a[0] < b[2] - 1 and a[2] > b[0] + 1 and a[1] < b[3] - 1 and a[3] > b[1] + 1
            assert not overlap, f"map labels overlap: {a[4]!r} and {b[4]!r}"
    out = Path(os.environ.get("CROSSINGS_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    page.locator("#day").blur()
    page.screenshot(path=str(out / "report-russia2022.png"))
    page.evaluate("document.getElementById('countries-section').scrollIntoView({block: 'start'})")
    top = page.locator("#countries-section").bounding_box()  # in the viewport, now at its top
    chart = page.locator("[data-chart='country-Serbia']").bounding_box()
    height = min(800 - top["y"], chart["y"] + chart["height"] - top["y"] + 10)
    page.screenshot(path=str(out / "report-russia2022-serbia.png"),
                    clip={"x": top["x"], "y": top["y"], "width": top["width"], "height": height})
    for name in ("report-russia2022.png", "report-russia2022-serbia.png"):
        assert (out / name).stat().st_size > 20_000


def test_ensemble_page_shows_the_emigration_sections_and_the_members_spread(browser, tmp_path: Path) -> None:
    """An ensemble of russia2022 (3 members, 220 days): its page has the run page's emigration sections, and
    the fit table three more columns (members' 5–95 %, share inside, share if centred) that sort."""
    from crossings.cli.main import main as cli

    out = tmp_path / "ens"
    assert cli(["ensemble", "russia2022", "--members", "3", "--workers", "1", "--days", "220", "--seed", "5",
                "--out", str(out), "--quiet"]) == 0
    rows = {r["line"]: r for r in summary_of(out / "bands")["fit"]["rows"]}
    p = Page(browser, out / "report.html")
    try:
        page = p.page
        assert not p.errors and not [m for t, m in p.console if t == "error"]
        assert page.locator("#obsfit-section").is_visible()
        georgia = page.locator("#country-charts [data-chart='country-Georgia'] polyline.series[data-key='present']")
        assert georgia.count() == 1 and len(georgia.get_attribute("points").split()) == 220
        assert page.locator("#country-charts [data-chart='country-Georgia'] polygon.band").count() >= 2
        heads = page.evaluate("Array.from(document.querySelectorAll('#obsfit thead th')).map(th => th.textContent)")
        assert heads[-3:] == ["members 5–95 %", "members inside", "inside if centred"]
        assert "(the median of 3 members)" in page.locator("#obsfit-summary").inner_text()
        assert page.locator("#obsfit-centred").inner_text().startswith("if centred")
        page.locator("#obsfit th[data-sort='centred']").click()
        shown = page.evaluate("""Array.from(document.querySelectorAll('#obsfit tbody tr'))
            .filter(tr => tr.dataset.status === 'scored').map(tr => [+tr.dataset.line, tr.cells[12].textContent])""")
        want = [round(100 * rows[line]["share_inside_if_centred"]) for line, _ in shown]
        assert [int(text.rstrip(" %")) for _, text in shown] == want and want == sorted(want)
    finally:
        p.close()
