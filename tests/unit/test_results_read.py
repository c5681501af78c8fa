"""Results read back from a run directory (``Results.read``, ``crossings.api.read_run``): the same series, labels
and key columns as the run that wrote them, for a Flee conflict and russia2022; without the scenario too; an
ensemble's bands with their band columns; and the errors of a directory that is not a run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crossings as cx
from crossings.api import read_run, write_run
from crossings.engine.model import get_model
from crossings.results import Labels, Results


def key_values(key: Labels | np.ndarray) -> list:
    return list(key.values()) if isinstance(key, Labels) else np.asarray(key).tolist()


def assert_same(res: Results, back: Results) -> None:
    """``back`` holds every series of ``res``, over the same entities with the same labels and key columns."""
    assert back.days == res.days and back.dates == res.dates and back.seed == res.seed
    assert set(back.series) == set(res.series), set(res.series) ^ set(back.series)
    for k, a in res.series.items():
        assert np.array_equal(a, back.series[k]), k
        assert back.schema.series[k] == res.schema.series[k], k
    assert list(back.schema.dims) == list(res.schema.dims)
    for name, dim in res.schema.dims.items():
        got = back.schema.dims[name]
        assert (got.table, got.labels, got.dated, got.ratios) == (dim.table, dim.labels, dim.dated, dim.ratios), name
        assert [k for k, _ in got.keys] == [k for k, _ in dim.keys], name
        for (k, a), (_, b) in zip(dim.keys, got.keys, strict=True):
            assert key_values(a) == key_values(b), f"{name}.{k}"
        for table in (res.table(name), back.table(name)):
            assert list(table) == list(res.table(name)), f"the columns of {dim.table}"


@pytest.fixture(scope="module")
def russia(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, Path]:
    res = cx.run("russia2022", seed=2, days=12)
    out = tmp_path_factory.mktemp("russia") / "run"
    write_run(res, out)
    return res, out


def test_a_flee_run_reads_back_as_it_was_written(flee_data, tmp_path: Path) -> None:
    res = cx.run(flee_data("mali2012"), seed=1, days=40)
    write_run(res, tmp_path)
    back = read_run(tmp_path)
    assert back.model.name == "flee" and back.scenario is not None and back.source == tmp_path
    assert_same(res, back)
    assert back.summary() == json.loads((tmp_path / "summary.json").read_text())
    camps = back.camp_table()
    assert camps is not None and list(camps.names) == [res.scenario.locations.name[c] for c in res.camps]
    assert np.array_equal(camps.sim, res.camp_sim()) and np.array_equal(camps.data, res.camp_data())


def test_an_emigration_run_reads_back_as_it_was_written(russia) -> None:
    res, out = russia
    back = read_run(out)
    assert back.model.name == "emigration" and back.people_per_agent == res.people_per_agent == 100
    assert_same(res, back)
    gate = back.schema.dims["gate"]
    assert gate.labels[:2] == ("Upper_Lars/car", "Upper_Lars/foot")
    assert key_values(gate.key("mode"))[:2] == ["car", "foot"]


def test_without_the_scenario_dates_labels_and_counts_come_from_the_files(russia, tmp_path: Path) -> None:
    res, out = russia
    moved = tmp_path / "run"
    shutil.copytree(out, moved)
    summary = json.loads((moved / "summary.json").read_text())
    summary["scenario_path"] = str(tmp_path / "gone")
    (moved / "summary.json").write_text(json.dumps(summary))
    back = read_run(moved)
    assert back.scenario is None and back.start_date == res.scenario.start_date
    assert_same(res, back)
    assert back.said("home_countries") == ["Russia"] and back.people_per_agent == 100
    alone = Results.read(out, get_model("emigration"))  # no scenario given at all
    assert alone.scenario is None and alone.dates == res.dates


def test_a_missing_table_leaves_its_dimension_out(russia, tmp_path: Path) -> None:
    res, out = russia
    shutil.copytree(out, tmp_path / "run")
    (tmp_path / "run" / "categories.parquet").unlink()
    back = read_run(tmp_path / "run", scenario=False)
    assert "category" not in back.schema.dims and "cat_away" not in back.series
    assert np.array_equal(back.series["n_in_country"], res.series["n_in_country"])


def test_band_columns_are_kept_beside_their_series(russia, tmp_path: Path) -> None:
    """An ensemble's bands directory holds each series' median under its name with X_q05 and X_q95 beside:
    they read back as floats, the bands beside them, and the table shows them in the same order."""
    _, out = russia
    bands = tmp_path / "bands"
    bands.mkdir()
    shutil.copy(out / "summary.json", bands / "summary.json")
    t = pq.read_table(out / "countries.parquet")
    med = t.column("n_in_country").to_numpy().astype(np.float64)
    t = pa.table({"day": t.column("day"), "date": t.column("date"), "country": t.column("country"),
                  "n_in_country": pa.array(med), "n_in_country_q05": pa.array(med - 0.5),
                  "n_in_country_q95": pa.array(med + 0.5)})
    pq.write_table(t, bands / "countries.parquet")
    back = read_run(bands, scenario=False)
    assert list(back.schema.dims) == ["country"] and list(back.series) == ["n_in_country"]
    assert back.series["n_in_country"].dtype == np.float64
    assert np.array_equal(back.bands["n_in_country"]["_q05"], back.series["n_in_country"] - 0.5)
    assert list(back.table("country")) == ["day", "date", "country", "n_in_country", "n_in_country_q05",
                                           "n_in_country_q95"]


def test_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(cx.InputError, match="no such run directory"):
        read_run(tmp_path / "nowhere")
    with pytest.raises(cx.InputError, match="no summary.json"):
        read_run(tmp_path)
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(cx.InputError, match="json"):
        read_run(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"model": "flee", "days": 3}))
    (tmp_path / "locations.parquet").write_text("not parquet")
    with pytest.raises(cx.InputError, match="parquet"):
        read_run(tmp_path)
