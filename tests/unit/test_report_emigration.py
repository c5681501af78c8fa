"""The report's data for an emigration run (the default scenario russia2022), without a browser: counts in
people, who left / abroad / on the way / back home, the per-country lines and the observations placed on them,
the crossings' windows, the categories, the fit table, what-if texts, and the 5 MB bound for a run as long as
the scenario's whole period."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crossings as cx
import crossings.scenarios
from crossings.api import read_run, write_report, write_run
from crossings.report import data as rdata

RUSSIA = Path(crossings.scenarios.__file__).resolve().parent / "russia2022"
INJECTION = "<script>alert(1)</script>"
DAYS = 250  # to 1 Nov 2022: both waves, Upper Lars in September, Georgia's monthly rows


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("russia") / "run"
    write_run(cx.run(cx.load_scenario(RUSSIA), seed=0, days=DAYS), out)
    return out


@pytest.fixture(scope="module")
def payload(run: Path) -> dict:
    return rdata.collect(read_run(run))


def wide(run: Path, table: str, key: str, column: str) -> tuple[list[str], np.ndarray]:
    t = pq.read_table(run / f"{table}.parquet").to_pandas()
    w = t.pivot_table(index="day", columns=key, values=column, aggfunc="sum")
    return [str(c) for c in w.columns], w.to_numpy()


def chart(charts: list[dict], chart_id: str) -> dict:
    return next(c for c in charts if c["id"] == chart_id)


def series(c: dict, key: str) -> dict:
    return next(s for s in c["series"] if s.get("key") == key)


def test_counts_are_people_and_origins_get_no_circle(run: Path, payload: dict) -> None:
    summary = json.loads((run / "summary.json").read_text())
    ppa = summary["people_per_agent"]
    assert ppa > 1 and payload["emigration"]["people_per_agent"] == ppa
    names = [loc["name"] for loc in payload["locations"]]
    _, present = wide(run, "locations", "location", "n_present")
    order = pq.read_table(run / "locations.parquet").to_pandas().pivot(index="day", columns="location",
                                                                      values="n_present")[names].to_numpy()
    stocks = np.array(payload["stocks"])
    origin = np.array([loc["kind"] == "origin" for loc in payload["locations"]])
    assert (stocks[:, origin] == 0).all(), "an origin's n_present counts people back home: no circle"
    assert np.array_equal(stocks[:, ~origin], order[:, ~origin] * ppa)
    moscow = str(names.index("Moscow"))
    spawned = pq.read_table(run / "locations.parquet").to_pandas()
    spawned = spawned[spawned.location == "Moscow"].sort_values("day")["new_spawned"].cumsum().to_numpy()
    assert payload["emigration"]["origins"][moscow]["left"] == (spawned * ppa).tolist()


def test_left_home_is_abroad_plus_on_the_way_plus_back_home(run: Path, payload: dict) -> None:
    t = payload["emigration"]["totals"]
    left, abroad, way, back = (np.array(t[k]) for k in ("left", "abroad", "on_way", "back"))
    assert np.array_equal(left, abroad + way + back)
    assert (way >= 0).all() and left[-1] > abroad[-1] > 0
    assert np.array_equal(np.array(t["left_emig"]) + np.array(t["left_rt"]), left)
    assert np.array_equal(np.array(t["back_emig"]) + np.array(t["back_rt"]), back)
    totals = chart(payload["charts"], "totals")
    assert [s["key"] for s in totals["series"]] == ["abroad", "on_way", "away_emig", "away_rt"]


def test_country_lines_come_from_countries_parquet(run: Path, payload: dict) -> None:
    ppa = payload["emigration"]["people_per_agent"]
    names, entries = wide(run, "countries", "country", "new_entries")
    _, present = wide(run, "countries", "country", "n_in_country")
    _, permits = wide(run, "countries", "country", "n_permits")
    _, granted = wide(run, "countries", "country", "new_permits_granted")
    _, emigrants = wide(run, "countries", "country", "n_emigrants_in_country")
    charts = payload["emigration"]["countries"]
    assert charts[0]["country"] == "Serbia", "the chart with most kinds of observation comes first"
    assert "Russia" not in {c["country"] for c in charts}
    for c in charts:
        j = names.index(c["country"])
        assert series(c, "entries")["values"] == (np.cumsum(entries[:, j]) * ppa).tolist()
        assert series(c, "present")["values"] == (present[:, j] * ppa).tolist()
        assert series(c, "permits")["values"] == (permits[:, j] * ppa).tolist()
        assert series(c, "granted")["values"] == (np.cumsum(granted[:, j]) * ppa).tolist()
        assert series(c, "emigrants")["values"] == (emigrants[:, j] * ppa).tolist()
        assert (emigrants[:, j] <= present[:, j]).all()
    serbia = charts[0]
    m = re.match(r"By (.+?): ([\d,]+) entries into Serbia", serbia["note"])
    assert m and int(m.group(2).replace(",", "")) == series(serbia, "entries")["values"][serbia["snapshot"]["day"]]
    m = re.search(r"([\d,]+) people present \(([\d,]+) of them emigrants", serbia["note"])
    day = serbia["snapshot"]["day"]
    assert m and int(m.group(2).replace(",", "")) == series(serbia, "emigrants")["values"][day]
    assert any(series(c, "emigrants")["values"][-1] < series(c, "present")["values"][-1] for c in charts), \
        "travellers on short trips are in the people present, not among the emigrants"


def test_observations_sit_where_their_line_is_compared(run: Path, payload: dict) -> None:
    """A count over a period starts from the simulated total the day before it; a stock is on its date; a mean
    over days spans them; observed values are divided by the row's scale."""
    rows = {r["line"]: r for r in json.loads((run / "summary.json").read_text())["fit"]["rows"]}
    em = payload["emigration"]
    seen = {"sum": 0, "end": 0, "level": 0}
    for c in em["countries"] + em["crossings"] + em["categories"]:
        for m in c["marks"]:
            r = rows[m["line"]]
            seen[m["kind"]] += 1
            line = series(c, m["key"])
            days = line.get("days", payload["kept"])
            if m["kind"] == "sum":
                base = line["values"][days.index(m["d0"] - 1)] if m["d0"] > 0 else 0
                assert m["base"] == base
            if r["observed"] is not None:
                assert m["v"] == pytest.approx(m.get("base", 0) + r["observed"] / r["scale"], rel=1e-3, abs=1e-3)
    assert all(seen.values()), seen
    georgia_month = next(m for c in em["countries"] if c["country"] == "Georgia" for m in c["marks"] if m["line"] == 10)
    assert georgia_month["kind"] == "sum" and georgia_month["base"] > 0, "1-30 Sep 2022 starts from the total of 31 Aug"
    queue = next(m for c in em["crossings"] for m in c["marks"] if m["key"] == "queue")
    row = rows[queue["line"]]
    assert queue["kind"] == "level" and queue["v"] == round(row["observed"] / row["scale"])


def test_an_observation_of_emigrants_is_a_stock_on_the_emigrants_line(run: Path, tmp_path: Path) -> None:
    """A fit row on ``emigrants(country=…)`` (say, a new estimate of emigrants living in Serbia) is drawn at
    its date on the line it is compared with, not on the people present."""
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    summary = json.loads((copy / "summary.json").read_text())
    rows = summary["fit"]["rows"]
    row = dict(rows[0], line=999, period_start="2022-10-01", period_end="2022-10-01", observed=60000.0,
               low=None, high=None, sim="emigrants(country=Serbia)", status="scored", scale=1.0)
    rows.append(row)
    (copy / "summary.json").write_text(json.dumps(summary))
    page = rdata.collect(read_run(copy))
    serbia = next(c for c in page["emigration"]["countries"] if c["country"] == "Serbia")
    mark = next(m for m in serbia["marks"] if m["line"] == 999)
    assert mark["key"] == "emigrants" and mark["kind"] == "end" and mark["v"] == 60000
    assert mark["d1"] == page["dates"].index("2022-10-01")


def test_crossings_show_the_days_around_their_queue(payload: dict) -> None:
    em = payload["emigration"]
    lars = chart(em["crossings"], "crossing-Upper_Lars-queue")
    assert em["crossings"][0] is lars, "the crossing with observations first"
    w0, w1 = lars["window"]
    start = payload["dates"].index("2022-09-21")
    # the window holds the mobilisation's queue (and the first wave's when that one is long too, as in this
    # 250-day run, where the window is then every day)
    assert w0 < start < w1
    assert series(lars, "queue")["days"] == list(range(w0, w1 + 1))
    wait = chart(em["crossings"], "crossing-Upper_Lars-wait")
    assert wait["unit"] == "days" and any(m["key"] == "wait" for m in wait["marks"])


def test_categories_and_travellers_apart(payload: dict) -> None:
    em = payload["emigration"]
    assert em["round_trip"] == ["short_stay", "traveller"]
    groups = {c["id"]: c["group"] for c in em["categories"]}
    assert groups["category-traveller"] == "travellers" and groups["category-war_objector"] == "emigrants"
    assert groups["category-short_stay"] == "travellers", "short stays come back: shown with the round trips"
    emigrants = chart(em["categories"], "group-dissident+war_objector+staying_out")
    assert emigrants["group"] == "emigrants" and emigrants["marks"]
    bars = series(chart(em["categories"], "category-war_objector"), "left_week")
    assert bars["style"] == "bars" and bars["days"][:2] == [0, 7]


def test_fit_table_and_header(run: Path, payload: dict) -> None:
    summary = json.loads((run / "summary.json").read_text())
    fit = payload["emigration"]["fit"]
    assert [r["line"] for r in fit["rows"]] == [r["line"] for r in summary["fit"]["rows"]]
    assert fit["summary"]["by_role"] == summary["fit"]["summary"]["by_role"]
    assert payload["parameters"] == sorted([k, v] for k, v in summary["parameters"].items())
    assert payload["meta"]["model"] == "emigration" and payload["fit"] is None


def test_what_if_texts_are_data_not_markup(run: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["what_if"] = [INJECTION]
    summary["parameters"] = {INJECTION: 1}
    (copy / "summary.json").write_text(json.dumps(summary))
    html = write_report(copy).read_text()
    assert INJECTION not in html and html.count("<script") == 2
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', html, re.S).group(1))
    assert data["what_if"] == [INJECTION] and data["parameters"] == [[INJECTION, 1]]


def stretch(run: Path, days: int, seed: int = 1) -> None:
    """Make a run directory look like a ``days``-day run: every table's day 0 repeated, with random counts up to
    a million agents in every cell (far more digits than a real run has)."""
    rng = np.random.default_rng(seed)
    for f in run.glob("*.parquet"):
        t = pq.read_table(f)
        first = np.flatnonzero(t.column("day").to_numpy() == 0)
        t = t.take(pa.array(np.tile(first, days)))
        for i, name in enumerate(t.column_names):
            if name == "day":
                col = pa.array(np.repeat(np.arange(days, dtype=np.int32), len(first)))
            elif name.startswith(("n_", "new_", "cat_", "sum_")):
                col = pa.array(rng.integers(0, 1_000_000, len(t)).astype(np.int64))
            elif name.startswith("mean_"):
                col = pa.array(rng.random(len(t)) * 30)
            else:
                continue
            t = t.set_column(i, name, col)
        pq.write_table(t, f)
    summary = json.loads((run / "summary.json").read_text())
    summary["days"] = days
    (run / "summary.json").write_text(json.dumps(summary))


def test_russia2022_report_of_the_whole_period_stays_under_5_mb(tmp_path: Path) -> None:
    """Results shaped like a run of russia2022's whole period (1093 days), every count random up to a million
    agents (so up to 10^8 people): the page thins what it must and stays under 5 MB."""
    sc = cx.load_scenario(RUSSIA)
    write_run(cx.run(sc, seed=0, days=10), tmp_path)
    stretch(tmp_path, sc.length)
    size = write_report(tmp_path).stat().st_size
    assert size < 5_000_000, f"report is {size / 1e6:.2f} MB"
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', (tmp_path / "report.html").read_text(),
                                re.S).group(1))
    assert len(data["dates"]) == sc.length and data["kept"][-1] == sc.length - 1
    em = data["emigration"]
    assert em["countries"] and em["crossings"] and em["categories"]
    assert all(len(s["values"]) == len(data["kept"]) for c in em["countries"] for s in c["series"])


def test_emigration_run_without_observations_or_travellers(tmp_path: Path) -> None:
    """The bundled miniature (no observed.csv, no round-trip category): the emigration part is there, without
    fit rows, marks or a travellers' group, and every category counts as emigrants."""
    from crossings.scenarios.emigration_demo import write_emigration_demo

    sc = cx.load_scenario(write_emigration_demo(tmp_path / "scenario"))
    write_run(cx.run(sc, seed=0), tmp_path / "run")
    data = rdata.collect(read_run(tmp_path / "run"))
    em = data["emigration"]
    assert em["fit"] is None and em["round_trip"] == []
    assert em["countries"] and not any(c["marks"] for c in em["countries"])
    assert {c["group"] for c in em["categories"]} == {"emigrants"}
    assert "left_emig" not in em["totals"]


def test_fare_events_are_on_the_timeline(payload: dict) -> None:
    texts = {(e["date"], e["text"]) for e in payload["events"]}
    assert ("2022-09-21", "fares Moscow – Istanbul ×2.5") in texts
    assert ("2022-10-05", "fares Moscow – Istanbul back to normal") in texts
