"""Results as a notebook user meets them (issue 21): counts in people equal to what the report shows, datetime
dates, a short repr and an HTML table, every written table reachable by ``to_frame``, clear errors for tables and
measures a model has not, ``to_xarray`` round-tripping the stocks, ``plot`` returning Figures, and a run written
with ``write`` read back with ``crossings.read_run``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import crossings as cx
from crossings.api import write_run
from crossings.report import data as rdata

DAYS = 60


@pytest.fixture(scope="module")
def russia() -> cx.Results:
    return cx.run("russia2022", seed=0, days=DAYS)


@pytest.fixture(scope="module")
def russia_dir(russia: cx.Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(russia, tmp_path_factory.mktemp("notebook") / "run")


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> cx.Results:
    return cx.run(demo_dir, seed=1, days=40)


def _series(chart: dict, key: str) -> list[float]:
    return next(s for s in chart["series"] if s.get("key") == key)["values"]


def test_to_frame_counts_people_as_the_report_shows_them(russia: cx.Results, russia_dir: Path) -> None:
    ppa = russia.people_per_agent
    assert ppa > 1, "the default scenario's agents stand for many people"
    frame = russia.to_frame("countries")
    georgia = frame[frame.country == "Georgia"].set_index("day")
    agents = russia.series["n_in_country"][:, russia.schema.dims["country"].labels.index("Georgia")]
    assert georgia["n_in_country"].tolist() == (agents * int(ppa)).tolist(), "n_in_country must count people"
    payload = rdata.collect(cx.read_run(russia_dir))
    chart = next(c for c in payload["emigration"]["countries"] if c["country"] == "Georgia")
    kept = payload["kept"]
    assert _series(chart, "present") == [float(georgia.loc[d, "n_in_country"]) for d in kept], \
        "to_frame must give, day by day, the people the report draws for Georgia"
    entries = np.cumsum(georgia["new_entries"].to_numpy())
    assert _series(chart, "entries") == [float(entries[d]) for d in kept]
    as_agents = russia.to_frame("countries", people=False)
    assert (as_agents["n_in_country"] * int(ppa)).tolist() == frame["n_in_country"].tolist()
    crossings = russia.to_frame("crossings")
    assert crossings["mean_wait_days"].max() < 60, "a ratio of days stays in days, not multiplied"


def test_dates_are_datetimes(russia: cx.Results) -> None:
    for table in ("locations", "countries", "crossings", "categories"):
        frame = russia.to_frame(table)
        assert pd.api.types.is_datetime64_any_dtype(frame["date"]), f"{table}: date must be a datetime column"
        assert frame["date"].iloc[0] == pd.Timestamp("2022-02-24")
        assert (frame["date"] - frame["date"].iloc[0]).dt.days.tolist() == frame["day"].tolist()


def test_summary_and_parquet_say_people_per_agent(russia: cx.Results, russia_dir: Path) -> None:
    s = russia.summary()
    assert s["people_per_agent"] == 100 and s["people_final"] == s["agents_final"] * 100
    for path in russia_dir.glob("*.parquet"):
        meta = json.loads(pq.read_schema(path).metadata[b"crossings"])
        assert meta["people_per_agent"] == 100 and meta["counts"] == "agents", path.name


def test_repr_is_short_and_html_is_a_table(russia: cx.Results, russia_dir: Path) -> None:
    for res in (russia, cx.read_run(russia_dir)):
        text = repr(res)
        assert len(text) < 400, f"repr is {len(text)} characters: {text[:200]}"
        assert "russia2022" in text and f"{russia.summary()['people_final']:,} people" in text
        html = res._repr_html_()
        assert html.startswith("<table") and "people who set out" in html and len(html) < 2000


def test_every_written_table_reads_back_through_to_frame(russia: cx.Results, russia_dir: Path) -> None:
    back = cx.read_run(russia_dir)
    written = sorted(p.stem for p in russia_dir.glob("*.parquet"))
    assert written == sorted(russia.tables()) and "categories" in written
    for name in written:
        pd.testing.assert_frame_equal(back.to_frame(name), russia.to_frame(name), check_categorical=False,
                                      obj=name)


def test_missing_tables_and_measures_are_clear_errors(russia: cx.Results, russia_dir: Path) -> None:
    for res in (russia, cx.read_run(russia_dir)):
        with pytest.raises(ValueError, match="no table 'camps'.*countries"):
            res.to_frame("camps")
        with pytest.raises(ValueError, match="no table 'nonsense'"):
            res.to_frame("nonsense")
        with pytest.raises(ValueError, match="no observed camps"):
            res.ard()


def test_to_xarray_round_trips_the_stocks(russia: cx.Results) -> None:
    pytest.importorskip("xarray", reason="to_xarray needs the xarray extra")
    ds = russia.to_xarray()
    ppa = int(russia.people_per_agent)
    stocks = [k for k, s in russia.schema.series.items() if s.kind == "stock"]
    assert "n_in_country" in stocks and "n_present" in stocks
    for name in stocks:
        np.testing.assert_array_equal(ds[name].values, russia.people(name), err_msg=name)
        back = ds[name].to_pandas()  # (date × entity) → the agents the run recorded
        assert list(back.columns) == list(russia.schema.dims[russia.schema.series[name].dim].labels)
        np.testing.assert_array_equal(back.to_numpy() // russia.people_scale(name), russia.series[name])
    georgia = ds["n_in_country"].sel(country="Georgia", date="2022-04-01").item()
    frame = russia.to_frame("countries")
    assert georgia == frame[(frame.country == "Georgia") & (frame.date == "2022-04-01")]["n_in_country"].item()
    assert ds["n_in_country"].attrs["unit"] == "people" and ds.attrs["people_per_agent"] == ppa
    assert ds["gate_country"].sel(gate="Upper_Lars/car").item() == "Russia"
    np.testing.assert_array_equal(russia.to_xarray(people=False)["n_in_country"].values, russia.series["n_in_country"])


def test_plot_returns_figures(russia: cx.Results, demo: cx.Results) -> None:
    pytest.importorskip("matplotlib", reason="plot needs the report extra")
    from matplotlib.figure import Figure

    assert isinstance(russia.plot(), Figure)
    assert isinstance(demo.plot("camps"), Figure) and isinstance(demo.plot(kind="totals"), Figure)
    with pytest.raises(ValueError, match="no observed camps"):
        russia.plot("camps")
    with pytest.raises(ValueError, match="choose totals, camps"):
        demo.plot("map")


def test_flee_run_camps_and_ard(demo: cx.Results, tmp_path: Path) -> None:
    assert set(demo.ard()) == {"ard_normal", "ard_rescaled"}
    camps = demo.to_frame("camps")
    assert isinstance(camps.index, pd.DatetimeIndex)
    assert camps["sim"].to_numpy().tolist() == (demo.camp_sim() * int(demo.people_per_agent)).tolist()
    out = demo.write(tmp_path / "run")
    back = cx.read_run(out)
    assert repr(back).startswith("<Run ") and back.summary()["days"] == 40
    pd.testing.assert_frame_equal(back.to_frame("locations"), demo.to_frame("locations"), check_categorical=False)


def test_write_gives_what_the_command_line_writes(russia: cx.Results, russia_dir: Path, tmp_path: Path) -> None:
    out = russia.write(tmp_path / "mine")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in russia_dir.iterdir())
    assert (out / "fit.csv").read_text() == (russia_dir / "fit.csv").read_text()
    assert json.loads((out / "summary.json").read_text())["fit"] == json.loads(
        (russia_dir / "summary.json").read_text())["fit"]
