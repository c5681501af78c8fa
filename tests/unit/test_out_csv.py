"""Flee's out.csv view of a run (flee-model.md §3.1): the header and the data columns equal Flee 3.1's own
output; results are reproducible for a seed and differ between seeds."""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow.parquet as pq
import pytest

import crossings as cx
from crossings.api import write_run

# Columns of out.csv that do not depend on the random draws: they must equal Flee 3.1's exactly.
DETERMINISTIC = ("refugees in camps (UNHCR)", "total refugees (simulation)", "raw UNHCR refugee count",
                 "refugee_debt")


def read_csv(text: str) -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(text)) if r]


@pytest.mark.parametrize("name", ["mali2012", "burundi2015"])
def test_out_csv_matches_flee_reference_layout_and_data(reference_run, flee_reference, name):
    ref = read_csv(flee_reference(f"{name}-seed1-out.csv").read_text(encoding="utf-8"))
    ours = read_csv(reference_run(name).flee_out_csv())
    assert ours[0] == ref[0], f"{name}: header differs from Flee 3.1's:\nours {ours[0]}\nFlee {ref[0]}"
    assert len(ours) == len(ref), f"{name}: expected {len(ref) - 1} days, got {len(ours) - 1}"
    head = ref[0]
    cols = [j for j, h in enumerate(head) if h in ("Day", "Date") or h.endswith(" data") or h in DETERMINISTIC]
    for j in cols:
        bad = [(i - 1, ours[i][j], ref[i][j]) for i in range(1, len(ref)) if ours[i][j] != ref[i][j]]
        assert not bad, f"{name}: column {head[j]!r} differs from Flee 3.1 on {len(bad)} days, first {bad[:3]}"


def test_out_csv_header_for_mali2012_short_run(flee_data, flee_reference):
    ref_header = flee_reference("mali2012-seed1-out.csv").read_text(encoding="utf-8").splitlines()[0]
    res = cx.run(cx.load_scenario(flee_data("mali2012")), seed=2, days=3)
    lines = res.flee_out_csv().splitlines()
    assert lines[0] == ref_header, f"expected Flee's header\n{ref_header}\ngot\n{lines[0]}"
    assert len(lines) == 4, "expected a header and one row per day"
    assert all(len(r.split(",")) == len(ref_header.split(",")) for r in lines), "every row needs every column"


def test_out_csv_row_semantics(demo_dir):
    res = cx.run(demo_dir, seed=1, days=40)
    rows = read_csv(res.flee_out_csv())
    head = rows[0]
    camps = [res.scenario.locations.name[c] for c in res.camps]
    sim, data = res.camp_sim(), res.camp_data()
    for t, r in enumerate(rows[1:]):
        assert r[0] == str(t) and r[1] == res.scenario.date_of(t).isoformat(), f"day/date wrong on row {t}"
        for j, c in enumerate(camps):
            s, d = int(r[head.index(f"{c} sim")]), int(r[head.index(f"{c} data")])
            assert (s, d) == (sim[t, j], data[t, j]), f"day {t} {c}: out.csv disagrees with camp_sim/camp_data"
            err = float(r[head.index(f"{c} error")])
            expected = round(abs(s / d - 1), 4) if d else 0.0
            assert err == expected, f"day {t} {c}: error column expected |sim/data - 1| = {expected}, got {err}"
        raw = int(r[head.index("raw UNHCR refugee count")])
        total_error = float(r[head.index("Total error")])
        assert total_error == pytest.approx(np.abs(sim[t] - data[t]).sum() / raw), "Total error = Σ|sim-data|/raw"
        assert int(r[head.index("refugees in camps (simulation)")]) == sim[t].sum()
        assert int(r[head.index("total refugees (simulation)")]) == res.n_agents[t]


def test_same_seed_gives_identical_files(demo_dir, tmp_path):
    sc = cx.load_scenario(demo_dir)
    a, b = tmp_path / "a", tmp_path / "b"
    write_run(cx.run(sc, seed=11, days=50), a)
    write_run(cx.run(sc, seed=11, days=50), b)
    assert (a / "out.csv").read_bytes() == (b / "out.csv").read_bytes(), "same seed must give identical out.csv"
    for f in ("locations.parquet", "links.parquet"):
        ta, tb = pq.read_table(a / f), pq.read_table(b / f)
        assert ta.equals(tb), f"same seed must give identical {f} content"
        assert ta.num_rows > 0


def test_same_seed_gives_identical_series(demo_dir):
    sc = cx.load_scenario(demo_dir)
    r1, r2 = cx.run(sc, seed=4, days=50), cx.run(sc, seed=4, days=50)
    for k in r1.series:
        np.testing.assert_array_equal(r1.series[k], r2.series[k], err_msg=f"series {k} differs for the same seed")


def test_different_seeds_give_different_results(demo_dir, tmp_path):
    sc = cx.load_scenario(demo_dir)
    a, b = tmp_path / "a", tmp_path / "b"
    write_run(cx.run(sc, seed=1, days=50), a)
    write_run(cx.run(sc, seed=2, days=50), b)
    assert (a / "out.csv").read_bytes() != (b / "out.csv").read_bytes(), "different seeds should give other out.csv"
    assert not pq.read_table(a / "locations.parquet").equals(pq.read_table(b / "locations.parquet")), (
        "different seeds should give other location tables")


def test_parquet_tables_hold_the_series(demo_dir, tmp_path):
    res = cx.run(demo_dir, seed=1, days=20)
    write_run(res, tmp_path)
    locs = pq.read_table(tmp_path / "locations.parquet").to_pandas()
    n_loc = len(res.scenario.locations)
    assert len(locs) == 20 * n_loc, "expected one row per day and location"
    for k in ("n_present", "new_spawned", "new_arrivals", "new_departures"):
        np.testing.assert_array_equal(locs[k].to_numpy().reshape(20, n_loc), res.series[k],
                                      err_msg=f"locations.parquet column {k} differs from Results.series")
    links = pq.read_table(tmp_path / "links.parquet").to_pandas()
    n_link = len(res.scenario.links)
    for k in ("n_on_link", "new_link_entries", "new_link_exits"):
        np.testing.assert_array_equal(links[k].to_numpy().reshape(20, n_link), res.series[k],
                                      err_msg=f"links.parquet column {k} differs from Results.series")
