"""Named scenario parameters ($name in the files), per-category destination preferences (preferences.csv),
round-trip travellers (agents.round_trip) and the per-category table (categories.parquet)."""

from __future__ import annotations

import numpy as np
import pytest

import crossings as cx
from crossings.api import load_scenario
from crossings.errors import InputError
from crossings.scenarios.emigration_demo import write_emigration_demo


def _demo(tmp_path, yml_extra: str = "", **replace: tuple[str, str]):
    root = write_emigration_demo(tmp_path / "demo")
    if yml_extra:
        p = root / "scenario.yml"
        p.write_text(p.read_text() + yml_extra)
    for name, (old, new) in replace.items():
        p = root / name
        text = p.read_text()
        assert old in text, f"{old!r} not in {name}"
        p.write_text(text.replace(old, new))
    return root


def test_a_parameter_replaces_its_references_and_an_override_changes_them(tmp_path):
    root = _demo(tmp_path, "parameters:\n  h_moscow: {value: 0.004, low: 0.001, high: 0.01, source: test}\n",
                 **{"departures.csv": ("Moscow,dissident,0.002", "Moscow,dissident,0.5*$h_moscow")})
    sc = load_scenario(root)
    moscow = sc.locations.name.index("Moscow")
    d = sc.emigration.category.index("dissident")
    assert sc.emigration.hazard[moscow, d] == pytest.approx(0.002), "0.5*$h_moscow should give 0.002"
    assert dict(sc.parameters) == {"h_moscow": 0.004}
    sc2 = load_scenario(root, {"h_moscow": 0.008})
    assert sc2.emigration.hazard[moscow, d] == pytest.approx(0.004), "the override should double the hazard"


def test_parameters_reach_the_emigration_settings(tmp_path):
    root = _demo(tmp_path, "parameters:\n  back: 0.002\n",
                 **{"scenario.yml": ("return_hazard: 0.0005", "return_hazard: $back")})
    assert load_scenario(root).emigration.settings.return_hazard == pytest.approx(0.002)


@pytest.mark.parametrize("cell, expected", [("$h", 0.001), ("3*$h", 0.003), ("$h*3", 0.003), ("2*$h*$k", 0.008),
                                             ("1/$k/$k", 0.0625), ("0.5 * $k / 4", 0.5), ("$eta/$k", 0.0025)])
def test_a_cell_may_be_a_product_and_quotient_of_numbers_and_parameters(tmp_path, cell, expected):
    root = _demo(tmp_path, "parameters:\n  h: 0.001\n  k: 4\n  eta: 0.01\n",
                 **{"departures.csv": ("Moscow,dissident,0.002", f"Moscow,dissident,{cell}")})
    sc = load_scenario(root)
    moscow, d = sc.locations.name.index("Moscow"), sc.emigration.category.index("dissident")
    assert sc.emigration.hazard[moscow, d] == pytest.approx(expected), cell


@pytest.mark.parametrize("cell, words", [("$nope", ["unknown parameter $nope"]),
                                         ("2*$h*3*", ["expected $name"]),
                                         ("$h+1", ["expected $name"]),
                                         ("1/$z", ["division by zero"])])
def test_a_bad_reference_names_file_line_and_field(tmp_path, cell, words):
    root = _demo(tmp_path, "parameters:\n  h: 0.001\n  z: 0\n",
                 **{"departures.csv": ("Moscow,dissident,0.002", f"Moscow,dissident,{cell}")})
    with pytest.raises(InputError) as e:
        load_scenario(root)
    msg = str(e.value)
    assert "departures.csv:" in msg and "daily_hazard" in msg and all(w in msg for w in words), msg


def test_an_unknown_override_and_an_out_of_range_value_are_errors(tmp_path):
    root = _demo(tmp_path, "parameters:\n  h: {value: 0.5, low: 0.6, high: 0.9}\n")
    with pytest.raises(InputError, match="outside"):
        load_scenario(root)
    root2 = _demo(tmp_path / "b", "parameters:\n  h: 0.5\n")
    with pytest.raises(InputError, match="defines no parameter 'hh'"):
        load_scenario(root2, {"hh": 1.0})


def test_a_zero_preference_keeps_a_category_out_of_a_destination(tmp_path):
    root = _demo(tmp_path)
    (root / "preferences.csv").write_text("category,destination,weight\ndissident,Tbilisi,0\n*,Serbia,0\n")
    sc = load_scenario(root)
    res = cx.run(sc, seed=3)
    names = sc.emigration.countries
    entries = res.series["new_entries"].sum(axis=0)
    assert entries[names.index("Serbia")] == 0, "weight 0 for every category: nobody should choose Serbia"
    # dissidents never end a route in Tbilisi; others still do
    base = cx.run(load_scenario(_demo(tmp_path / "base")), seed=3)
    assert base.series["new_entries"].sum(axis=0)[names.index("Serbia")] > 0, "control run should reach Serbia"


def test_round_trip_travellers_come_back_into_the_pool_and_the_census_holds(tmp_path):
    root = _demo(tmp_path, **{"scenario.yml": (
        "  category: {dissident: 0.1, war_objector: 0.6, staying_out: 0.3}",
        "  category: {dissident: 0.1, war_objector: 0.6, staying_out: 0.3}\n  round_trip: [staying_out]")})
    sc = load_scenario(root)
    assert sc.emigration.round_trip.tolist() == [False, False, True]
    res = cx.run(sc, seed=5, check=True)  # --check asserts the census (at home + agents) every day
    cat = sc.emigration.category.names
    back = res.series["cat_returned"].sum(axis=0)
    assert back[cat.index("staying_out")] > 0, "some travellers should have come home"
    population = int(sc.locations.population[list(res.scenario.emigration.hazard.any(axis=1))].sum())
    left = int(res.series["cat_left_home"].sum())
    travellers_back = int(back[cat.index("staying_out")])
    assert res.series["n_at_home"][-1].sum() == population - left + travellers_back, (
        "people at home = population − all who left + travellers who came back")


def test_the_category_table_adds_up(tmp_path):
    sc = load_scenario(write_emigration_demo(tmp_path / "d"))
    res = cx.run(sc, seed=1)
    s = res.series
    away = np.cumsum(s["cat_left_home"] - s["cat_returned"], axis=0)
    assert np.array_equal(away, s["cat_away"]), "away = cumulative left − cumulative returned, per category"
    assert s["cat_left_home"].sum() == s["new_left_home"].sum(), "left home by category = left home by country"
    table = res.table("category")
    assert len(table["day"]) == res.days * len(sc.emigration.category.names)


def test_parquet_with_repeated_labels_is_byte_identical_and_reads_back(tmp_path):
    """A dictionary column whose labels repeat (e.g. the country of each crossing) once gave Parquet pages
    with stray bytes, so two writes of one table differed."""
    import pyarrow.parquet as pq

    from crossings.files import write_parquet
    from crossings.results import Labels

    codes = np.array([0, 1, 2, 3, 1, 0] * 50, dtype=np.int32)
    labels = ("Russia", "Russia", "Georgia", "Russia")
    cols = {"n": np.arange(len(codes), dtype=np.int64), "country": Labels(codes, labels)}
    blobs = []
    for i in range(6):
        np.empty(1 << 16, dtype=np.uint8).fill(i + 7)  # dirty the allocator between writes
        write_parquet(tmp_path / f"t{i}.parquet", cols)
        blobs.append((tmp_path / f"t{i}.parquet").read_bytes())
    assert len(set(blobs)) == 1, "the same table written twice must give the same bytes"
    back = pq.read_table(tmp_path / "t0.parquet").column("country").to_pylist()
    assert back == [labels[c] for c in codes], "labels must read back in order"
    stored = pq.read_table(tmp_path / "t0.parquet", read_dictionary=["country"]).column("country").chunk(0)
    assert sorted(stored.dictionary.to_pylist()) == ["Georgia", "Russia"], "the stored dictionary repeats a value"


def test_an_origin_with_no_route_to_any_destination_is_an_error(tmp_path):
    root = _demo(tmp_path)
    locs = root / "locations.csv"
    locs.write_text(locs.read_text() + "Lonely,origin,Russia,Nowhere,60,100,500,,,\n")
    with pytest.raises(InputError) as e:
        load_scenario(root)
    msg = str(e.value)
    assert "locations.csv:" in msg and "'Lonely'" in msg and "no route" in msg, msg


def test_the_python_api_refuses_a_run_too_big_for_memory(tmp_path, monkeypatch):
    import crossings.engine.resources as resources

    sc = load_scenario(write_emigration_demo(tmp_path / "d"))
    monkeypatch.setattr(resources, "available_bytes", lambda: 1024)
    with pytest.raises(InputError, match="memory"):
        cx.run(sc, seed=1)


def test_dropping_returned_rows_changes_no_result_and_keeps_the_census(tmp_path, monkeypatch):
    """Returned agents never act again; dropping their rows (world.retired keeps their counts) must give the
    same series, day by day, with the census checks on."""
    import crossings.engine.models.emigration.model as em

    root = _demo(tmp_path, **{"scenario.yml": (
        "  category: {dissident: 0.1, war_objector: 0.6, staying_out: 0.3}",
        "  category: {dissident: 0.1, war_objector: 0.6, staying_out: 0.3}\n  round_trip: [staying_out]")})
    sc = load_scenario(root)
    monkeypatch.setattr(em, "RETIRE_AT_LEAST", 1)
    dropped = cx.run(sc, seed=9, check=True)
    monkeypatch.setattr(em, "RETIRE_AT_LEAST", 10**18)
    kept = cx.run(sc, seed=9, check=True)
    assert dropped.series["cat_returned"].sum() > 0, "the test needs some returns"
    for name, arr in kept.series.items():
        assert np.array_equal(arr, dropped.series[name]), f"{name} differs when returned rows are dropped"
    assert np.array_equal(kept.n_agents, dropped.n_agents), "agents ever created should count dropped rows"


@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
def test_who_may_apply_for_a_permit_does_not_change_when_returned_rows_are_dropped(tmp_path, monkeypatch, kernel):
    """The permit ``eligible`` trait is each agent's for good: keyed by its id, not its row (rows shift when the
    table drops agents back home), so dropping them changes no result (it did when the trait was by row)."""
    import crossings.engine.models.emigration.model as em

    root = _demo(tmp_path, **{
        "scenario.yml": ("  category: {dissident: 0.1, war_objector: 0.6, staying_out: 0.3}",
                         "  category: {dissident: 0.1, war_objector: 0.6, staying_out: 0.3}\n"
                         "  round_trip: [staying_out]"),
        "policies.csv": ("waiting_days,source\n", "waiting_days,eligible,source\n")})
    pol = root / "policies.csv"
    lines = pol.read_text().splitlines()
    lines = [ln if i == 0 else (ln.replace(",30,assumption", ",30,0.4,assumption") if "residence_permit" in ln
                                else ln.replace(",,russia2022", ",,,russia2022", 1) if ln.count(",") == 9 else ln)
             for i, ln in enumerate(lines)]
    pol.write_text("\n".join(lines) + "\n")
    sc = load_scenario(root)
    assert {p.eligible for p in sc.emigration.policies if p.kind == "residence_permit"} == {0.4}
    monkeypatch.setattr(em, "RETIRE_AT_LEAST", 1)
    dropped = cx.run(sc, seed=9, check=True, kernel=kernel)
    monkeypatch.setattr(em, "RETIRE_AT_LEAST", 10**18)
    kept = cx.run(sc, seed=9, check=True, kernel=kernel)
    assert dropped.series["cat_returned"].sum() > 0 and kept.series["new_permit_applications"].sum() > 0
    for name, arr in kept.series.items():
        assert np.array_equal(arr, dropped.series[name]), f"{name} differs when returned rows are dropped"


@pytest.mark.parametrize("value", ["-5", "0", "many", ".inf"])
def test_people_per_agent_must_be_a_positive_number(tmp_path, value):
    root = _demo(tmp_path, **{"scenario.yml": ("people_per_agent: 100", f"people_per_agent: {value}")})
    with pytest.raises(InputError) as e:
        load_scenario(root)
    assert "scenario.yml:" in str(e.value) and "people_per_agent" in str(e.value), str(e.value)
