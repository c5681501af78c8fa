"""The Flee-format reader: every validation problem is an InputError naming the file, line and field;
well-formed but unusual CSV (BOM, CRLF, quotes, spaces) is read correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import crossings as cx
from crossings.scenario.model import CAMP, CONFLICT, MARKER, TOWN

LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("B", "Y", "camp", 0)]
ROUTES = [("A", "T", 50), ("T", "B", 100)]
CAMPS = {"B": [(0, 10), (5, 20), (9, 40)]}
LOC_HEADER = "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"


def write_valid(scenario_dir, **kw) -> Path:
    """A small valid scenario (A conflict zone in X, T town, B camp in Y; 10 days)."""
    kw.setdefault("camps", CAMPS)
    kw.setdefault("length", 10)
    return scenario_dir(LOCS, ROUTES, **kw)


def overwrite(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, text in files.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (root / rel).write_bytes(data)
    return root


def load_error(root: Path) -> cx.InputError:
    with pytest.raises(cx.InputError) as info:
        cx.load_scenario(root)
    return info.value


# (id, files to overwrite, writer kwargs, expected file name, line, field, words expected in the problem)
ERROR_CASES = [
    ("duplicate-location",
     {"input_csv/locations.csv": LOC_HEADER + "A,A,X,0,0,conflict_zone,0,1000\nT,T,X,0,0,town,0,5\n"
      "A,A,X,0,0,town,0,5\nB,B,Y,0,0,camp,0,0\n"},
     {}, "locations.csv", 4, "name", "duplicate"),
    ("unknown-location-type",
     {"input_csv/locations.csv": LOC_HEADER + "A,A,X,0,0,conflict_zone,0,1000\nT,T,X,0,0,village,0,5\n"
      "B,B,Y,0,0,camp,0,0\n"},
     {}, "locations.csv", 3, "location_type", "village"),
    ("non-numeric-population",
     {"input_csv/locations.csv": LOC_HEADER + "A,A,X,0,0,conflict_zone,0,many\nT,T,X,0,0,town,0,5\n"
      "B,B,Y,0,0,camp,0,0\n"},
     {}, "locations.csv", 2, "population", "many"),
    ("negative-population",
     {"input_csv/locations.csv": LOC_HEADER + "A,A,X,0,0,conflict_zone,0,-4\nT,T,X,0,0,town,0,5\n"
      "B,B,Y,0,0,camp,0,0\n"},
     {}, "locations.csv", 2, "population", "negative"),
    ("route-from-unknown-location",
     {"input_csv/routes.csv": "#name1,name2,distance\nA,T,50\nQ,B,100\n"},
     {}, "routes.csv", 3, "name1", "unknown location 'Q'"),
    ("route-to-unknown-location",
     {"input_csv/routes.csv": "#name1,name2,distance\nA,T,50\nT,Q,100\n"},
     {}, "routes.csv", 3, "name2", "unknown location 'Q'"),
    ("route-name-case-sensitive",
     {"input_csv/routes.csv": "#name1,name2,distance\na,T,50\n"},
     {}, "routes.csv", 2, "name1", "unknown location 'a'"),
    ("negative-distance",
     {"input_csv/routes.csv": "#name1,name2,distance\nA,T,50\nT,B,-100\n"},
     {}, "routes.csv", 3, "distance", "negative"),
    ("non-numeric-distance",
     {"input_csv/routes.csv": "#name1,name2,distance\nA,T,50\nT,B,far\n"},
     {}, "routes.csv", 3, "distance", "not a number"),
    ("empty-distance",
     {"input_csv/routes.csv": "#name1,name2,distance\nA,T,\n"},
     {}, "routes.csv", 2, "distance", "not a number"),
    ("closure-unknown-location",
     {"input_csv/closures.csv": "#closure_type,name1,name2,closure_start,closure_end\nlocation,Q,,0,5\n"},
     {}, "closures.csv", 2, "name1", "unknown location 'Q'"),
    ("closure-unknown-country",
     {"input_csv/closures.csv": "#closure_type,name1,name2,closure_start,closure_end\ncountry,X,Zland,0,5\n"},
     {}, "closures.csv", 2, "name2", "unknown country 'Zland'"),
    ("closure-unknown-type",
     {"input_csv/closures.csv": "#closure_type,name1,name2,closure_start,closure_end\nborder,X,Y,0,5\n"},
     {}, "closures.csv", 2, "closure_type", "border"),
    ("start-date-slashes",
     {"input_csv/sim_period.csv": "StartDate,01/01/2020\nLength,10\n"},
     {}, "sim_period.csv", 1, "StartDate", "YYYY-MM-DD"),
    ("start-date-unpadded",
     {"input_csv/sim_period.csv": "StartDate,2020-1-1\nLength,10\n"},
     {}, "sim_period.csv", 1, "StartDate", "YYYY-MM-DD"),
    ("start-date-impossible",
     {"input_csv/sim_period.csv": "StartDate,2020-02-30\nLength,10\n"},
     {}, "sim_period.csv", 1, "StartDate", "2020-02-30"),
    ("length-missing",
     {"input_csv/sim_period.csv": "StartDate,2020-01-01\n"},
     {}, "sim_period.csv", None, "Length", "missing"),
    ("data-date-not-iso",
     {"source_data/camp0.csv": "Date,Count\n2020-01-01,10\n2020/01/05,20\n"},
     {}, "camp0.csv", 3, "date", "YYYY-MM-DD"),
    ("correction-date-not-iso",
     {"input_csv/registration_corrections.csv": "B,2020-1-10\n"},
     {}, "registration_corrections.csv", 1, "date", "YYYY-MM-DD"),
    ("correction-date-matches-no-point",
     {"input_csv/registration_corrections.csv": "B,2020-01-04\n"},
     {}, "registration_corrections.csv", 1, "date", "matches no data point"),
    ("correction-date-is-first-point",
     {"input_csv/registration_corrections.csv": "B,2020-01-01\n"},
     {}, "registration_corrections.csv", 1, "date", "first data point"),
    ("correction-unknown-camp",
     {"input_csv/registration_corrections.csv": "B,2020-01-10\nNowhere,2020-01-10\n"},
     {}, "registration_corrections.csv", 2, "camp_name", "Nowhere"),
    ("camp-without-data-row",
     {"source_data/data_layout.csv": "total,refugees.csv\n"},
     {}, "data_layout.csv", None, "B", "no row in data_layout.csv"),
    ("conflicts-shorter-than-period",
     {}, {"conflicts": {"A": [1.0] * 8}}, "conflicts.csv", 9, "days", "8 days"),
    ("conflicts-non-numeric",
     {"input_csv/conflicts.csv": "#Day,A\n0,1\n1,lots\n" + "".join(f"{t},1\n" for t in range(2, 10))},
     {}, "conflicts.csv", 3, "A", "lots"),
    ("not-utf8",
     {"input_csv/routes.csv": b"#name1,name2,distance\nA,T,50\nT,B,1\xff0\n"},
     {}, "routes.csv", 3, "encoding", "UTF-8"),
]


@pytest.mark.parametrize(("files", "kw", "fname", "line", "field", "words"),
                         [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_validation_error_names_file_line_and_field(scenario_dir, files, kw, fname, line, field, words):
    err = load_error(overwrite(write_valid(scenario_dir, **kw), files))
    assert Path(err.file).name == fname, f"expected the error to name {fname}, got {err.file} ({err})"
    assert err.line == line, f"expected line {line}, got {err.line} ({err})"
    assert err.field == field, f"expected field {field!r}, got {err.field!r} ({err})"
    assert words in err.problem, f"expected the problem to mention {words!r}, got {err.problem!r}"


def test_input_error_text_is_file_line_field_problem(scenario_dir):
    err = load_error(overwrite(write_valid(scenario_dir), {
        "input_csv/routes.csv": "#name1,name2,distance\nA,T,50\nT,B,-100\n"}))
    assert str(err) == f"{err.file}:{err.line}: {err.field}: {err.problem}", (
        f"expected 'file:line: field: problem', got {str(err)!r}")
    assert "\n" not in str(err), "expected a one-line message"


def test_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(cx.InputError) as info:
        cx.load_scenario(tmp_path / "nowhere")
    assert info.value.field == "scenario", f"expected field 'scenario', got {info.value}"


def test_missing_file_is_an_input_error(scenario_dir):
    root = write_valid(scenario_dir)
    (root / "input_csv" / "routes.csv").unlink()
    err = load_error(root)
    assert Path(err.file).name == "routes.csv" and "missing" in err.problem, f"expected routes.csv missing, got {err}"


def test_conflict_column_for_unknown_location_is_a_notice_not_an_error(scenario_dir):
    root = write_valid(scenario_dir, conflicts={"A": [1.0] * 10, "Atlantis": [0.0] * 10})
    sc = cx.load_scenario(root)
    assert any("Atlantis" in n for n in sc.notices), f"expected a notice naming Atlantis, got {sc.notices}"


# ---- simsetting.yml ---------------------------------------------------------------------------------


def test_simsetting_typo_is_an_error_naming_the_line(scenario_dir):
    text = "move_rules:\n  max_move_speed: 200.0\n  camp_wieght: 2.0\n"
    err = load_error(write_valid(scenario_dir, simsetting_text=text))
    assert Path(err.file).name == "simsetting.yml", f"expected simsetting.yml, got {err.file}"
    assert err.line == 3, f"expected line 3 (camp_wieght), got {err.line}: {err}"
    assert "camp_wieght" in err.field, f"expected the field to name camp_wieght, got {err.field!r}"
    assert "camp_weight" in err.problem, f"expected a did-you-mean hint for camp_weight, got {err.problem!r}"


def test_simsetting_unknown_section_is_an_error(scenario_dir):
    err = load_error(write_valid(scenario_dir, simsetting_text="move_rule:\n  camp_weight: 2.0\n"))
    assert (Path(err.file).name, err.line) == ("simsetting.yml", 1), f"expected simsetting.yml:1, got {err}"


def test_simsetting_accepted_but_ignored_key_gives_a_notice(scenario_dir):
    text = "move_rules:\n  camp_weight: 2.0\n  stay_close_to_home: True\n"
    sc = cx.load_scenario(write_valid(scenario_dir, simsetting_text=text))
    notes = [n for n in sc.notices if "stay_close_to_home" in n]
    assert len(notes) == 1, f"expected one notice about stay_close_to_home, got {sc.notices}"
    assert "simsetting.yml:3:" in notes[0], f"expected the notice to name simsetting.yml line 3, got {notes[0]!r}"
    assert sc.settings.camp_weight == 2.0, "the other settings must still be read"


def test_simsetting_ignored_key_at_harmless_value_gives_no_notice(scenario_dir):
    sc = cx.load_scenario(write_valid(scenario_dir, simsetting_text="move_rules:\n  stay_close_to_home: False\n"))
    assert not [n for n in sc.notices if "stay_close_to_home" in n], f"expected no notice, got {sc.notices}"


def test_simsetting_values_are_read(scenario_dir):
    text = ("move_rules:\n  max_move_speed: 250\n  camp_weight: 5.0\n  awareness_level: 2\n"
            "  capacity_buffer: 0.75\nspawn_rules:\n  insert_day0: False\n"
            "  conflict_spawn_decay: [1.0, 0.5]\noptimisations:\n  hasten: 10\n")
    s = cx.load_scenario(write_valid(scenario_dir, simsetting_text=text)).settings
    got = (s.max_move_speed, s.camp_weight, s.awareness_level, s.capacity_buffer, s.insert_day0,
           s.conflict_spawn_decay, s.hasten)
    assert got == (250.0, 5.0, 2, 0.75, False, (1.0, 0.5), 10), f"settings read wrongly: {got}"
    assert s.conflict_weight == pytest.approx(10 ** -0.5), "unset keys keep Flee 3.1's defaults"


@pytest.mark.parametrize("text", [
    "move_rules:\n  camp_weight: !!python/object/apply:os.system ['touch {marker}']\n",
    "move_rules: !!python/object/apply:os.system ['touch {marker}']\n",
    "!!python/object/apply:os.system ['touch {marker}']\n",
], ids=["on-a-value", "on-a-section", "on-the-document"])
def test_simsetting_python_tag_is_rejected_and_not_executed(scenario_dir, tmp_path, text):
    marker = tmp_path / "executed"
    err = load_error(write_valid(scenario_dir, simsetting_text=text.format(marker=marker)))
    assert Path(err.file).name == "simsetting.yml", f"expected an error in simsetting.yml, got {err}"
    assert not marker.exists(), "the YAML python tag was executed"


@pytest.mark.parametrize("text", [
    "move_rules: !!python/object:builtins.dict\n  camp_weight: 2.0\n",
    "--- !!python/object:builtins.dict\nmove_rules:\n  camp_weight: 2.0\n",
], ids=["on-a-section-mapping", "on-the-document-mapping"])
def test_simsetting_python_tag_on_a_mapping_is_rejected(scenario_dir, text):
    load_error(write_valid(scenario_dir, simsetting_text=text))


@pytest.mark.parametrize(("text", "line", "words"), [
    ("move_rules:\n  max_move_speed: -5\n", 2, "range"),
    ("move_rules:\n  awareness_level: 2.5\n", 2, "whole number"),
    ("optimisations:\n  hasten: ten\n", 2, "whole number"),
    ("move_rules:\n\tcamp_weight: 2\n", 2, "\\t"),
    ("move_rules: 5\n", 1, "mapping"),
], ids=["negative-speed", "fractional-awareness", "hasten-word", "tab-indent", "section-not-mapping"])
def test_simsetting_bad_values_name_the_line(scenario_dir, text, line, words):
    err = load_error(write_valid(scenario_dir, simsetting_text=text))
    assert (Path(err.file).name, err.line) == ("simsetting.yml", line), f"expected simsetting.yml:{line}, got {err}"
    assert words in err.problem, f"expected {words!r} in the problem, got {err.problem!r}"


# ---- reading well-formed files --------------------------------------------------------------------------


def test_bom_crlf_quotes_and_spaces_are_read_correctly(scenario_dir):
    root = write_valid(scenario_dir)
    bom = "\ufeff"
    overwrite(root, {
        "input_csv/locations.csv": bom + '"#name","region","country","latitude","longitude","location_type",'
        '"conflict_date","population"\r\n'
        '"A", "North", "X", 12.5, -3.25, "conflict_zone", 0, "1000"\r\n'
        'T,  South,X,0,0,town,,500\r\n'
        '"B","Camp region","Y",1,2,"camp",,"250"\r\n',
        "input_csv/routes.csv": bom + '#name1,name2,distance,forced_redirection\r\n"A", "T", 50.5,\r\n'
        ' T , B ,"100",0\r\n',
        "input_csv/sim_period.csv": bom + '"StartDate","2020-01-01"\r\n"Length", "10"\r\n',
        "source_data/camp0.csv": bom + 'Date,Count\r\n"2020-01-01", "10"\r\n2020-01-06, 20\r\n',
    })
    sc = cx.load_scenario(root)
    locs = sc.locations
    assert locs.name == ("A", "T", "B"), f"names read wrongly: {locs.name}"
    assert locs.region == ("North", "South", "Camp region"), f"regions read wrongly: {locs.region}"
    assert locs.country == ("X", "X", "Y"), f"countries read wrongly: {locs.country}"
    assert (locs.lat[0], locs.lon[0]) == (12.5, -3.25), f"coordinates read wrongly: {locs.lat}, {locs.lon}"
    assert locs.kind.tolist() == [CONFLICT, TOWN, CAMP], f"kinds read wrongly: {locs.kind}"
    assert locs.population.tolist()[:2] == [1000, 500], f"populations read wrongly: {locs.population}"
    assert locs.capacity[2] == 250, f"camp capacity read wrongly: {locs.capacity}"
    assert locs.foreign.tolist() == [False, False, True], "the first row's country is home, others foreign"
    assert sc.links.distance.tolist() == [50.5, 50.5, 100.0, 100.0], f"distances read wrongly: {sc.links.distance}"
    assert sc.length == 10 and sc.start_date.isoformat() == "2020-01-01", "sim_period read wrongly"
    series = sc.observed.camp_series[0]
    assert series.days.tolist() == [0, 5] and series.values.tolist() == [10, 20], (
        f"camp series read wrongly: {series}")


def test_each_route_row_gives_two_directed_links(make_scenario):
    sc = make_scenario(LOCS, ROUTES, camps=CAMPS)
    names = sc.locations.name
    pairs = [(names[s], names[d]) for s, d in zip(sc.links.src, sc.links.dst, strict=True)]
    assert pairs == [("A", "T"), ("T", "A"), ("T", "B"), ("B", "T")], (
        f"expected links 2k = name1→name2 and 2k+1 = name2→name1, got {pairs}")


def test_forced_redirection_1_duplicates_the_link_pair_like_flee(make_scenario):
    sc = make_scenario(LOCS, [("A", "T", 50, "1"), ("T", "B", 100, "2")], camps=CAMPS)
    assert len(sc.links) == 6, (
        f"expected 2 + 2 duplicate links for forced_redirection 1 and 2 more, got {len(sc.links)}")


def test_hasten_divides_population_capacity_and_series(make_scenario):
    locs = [("A", "X", "conflict_zone", 1005), ("B", "Y", "camp", 259)]
    sc = make_scenario(locs, [("A", "B", 10)], total=[(0, 105)], camps={"B": [(0, 25), (4, 59)]},
                       settings={"optimisations": {"hasten": 10}})
    assert sc.locations.population[0] == 100, f"expected 1005 // 10 = 100, got {sc.locations.population[0]}"
    assert sc.locations.capacity[1] == 25, f"expected 259 // 10 = 25, got {sc.locations.capacity[1]}"
    assert sc.observed.total.values.tolist() == [10.5], "series values are divided by hasten as floats"
    assert sc.observed.camps_by_day(5)[:, 0].tolist() == [2, 3, 4, 5, 5], (
        "expected int(2.5 + t/4 * 3.4) for t = 0..4 (interpolation truncates after dividing by hasten)")


def test_conflict_zone_with_later_conflict_date_starts_as_a_town(make_scenario):
    locs = [("A", "X", "conflict_zone", 10), ("L", "X", "conflict_zone", 10, 5), ("M", "X", "marker", 0),
            ("B", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "L", 10), ("L", "M", 10), ("M", "B", 10)])
    assert sc.locations.kind.tolist() == [CONFLICT, CONFLICT, MARKER, CAMP], f"kinds: {sc.locations.kind}"
    assert sc.locations.start_kind.tolist() == [CONFLICT, TOWN, MARKER, CAMP], (
        f"a conflict zone with conflict_date > 0 must start as a town, got {sc.locations.start_kind}")


def test_conflicts_table_follows_the_file(make_scenario):
    sc = make_scenario(LOCS, ROUTES, camps=CAMPS, conflicts={"A": [0, 1, 1, 0.5, 0, 0, 0, 0, 0, 0]})
    assert [sc.locations.name[i] for i in sc.conflict_locations] == ["A"]
    np.testing.assert_array_equal(sc.conflicts[:, 0], [0, 1, 1, 0.5, 0, 0, 0, 0, 0, 0],
                                  err_msg="conflicts.csv row k+1 must give day k")


@pytest.mark.parametrize("name", ["mali2012", "burundi2015", "car2013", "ssudan2014"])
def test_reference_flee_scenarios_load(flee_data, name):
    sc = cx.load_scenario(flee_data(name))
    assert len(sc.locations) > 10 and len(sc.links) > 10, f"{name}: suspiciously small graph"
    assert sc.observed is not None and len(sc.observed.camps) > 0, f"{name}: expected observed camp data"
    assert sc.conflicts.shape[0] >= sc.length, f"{name}: conflicts must cover the period"
    camps = {sc.locations.name[c] for c in sc.observed.camps}
    kinds = {sc.locations.name[i] for i in range(len(sc.locations)) if sc.locations.kind[i] == CAMP}
    assert camps == kinds, f"{name}: every camp must have observed data and vice versa"


@pytest.mark.parametrize("text", [
    "move_rules:\n  weight_power: .nan\n",
    "move_rules:\n  distance_power: .nan\n",
    "move_rules:\n  movechance_pop_scale_factor: .nan\n",
    "move_rules:\n  max_move_speed: 0\n",
], ids=["weight_power-nan", "distance_power-nan", "pop_scale-nan", "max_move_speed-0"])
def test_simsetting_rejects_values_that_break_a_run(scenario_dir, text):
    err = load_error(write_valid(scenario_dir, simsetting_text=text))
    assert (Path(err.file).name, err.line) == ("simsetting.yml", 2), f"expected simsetting.yml:2, got {err}"


def test_movechance_population_exponent_is_bounded(scenario_dir):
    err = load_error(write_valid(scenario_dir, simsetting_text="move_rules:\n  movechance_pop_scale_factor: 400\n"))
    assert (Path(err.file).name, err.line) == ("simsetting.yml", 2), f"expected simsetting.yml:2, got {err}"
    assert "range" in err.problem
