"""Loader bugs the fuzz tests found, one small regression test each: every one raised something other than
an InputError naming file, line and field (a traceback on the command line)."""

from __future__ import annotations

import pytest

import crossings as cx
from crossings.errors import InputError


def test_nul_in_a_data_layout_file_name_is_an_input_error(tmp_path):
    # was: ValueError("embedded null byte") from Path.resolve
    from crossings.scenarios.demo import write_demo

    root = write_demo(tmp_path / "demo")
    layout = root / "source_data" / "data_layout.csv"
    layout.write_text(layout.read_text().replace("refugees.csv", "refu\x00gees.csv", 1))
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    # since issue 22 item 4 any NUL byte in a CSV is refused when the file is read (field "encoding"), same line
    assert e.value.file.endswith("data_layout.csv") and e.value.line == 1 and e.value.field == "encoding"


def test_empty_key_in_sim_period_names_a_field(tmp_path):
    # was: an InputError with an empty field ("sim_period.csv:1: : unknown key")
    from crossings.scenarios.demo import write_demo

    root = write_demo(tmp_path / "demo")
    period = root / "input_csv" / "sim_period.csv"
    period.write_text("," + period.read_text().split(",", 1)[1])
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert e.value.line == 1 and e.value.field == "key", str(e.value)


def test_scenario_yml_with_a_complex_key_is_an_input_error(tmp_path):
    # was: yaml ConstructorError ("found unhashable key") escaping read_native
    from crossings.scenarios.emigration_demo import write_emigration_demo

    root = write_emigration_demo(tmp_path / "em")
    (root / "scenario.yml").write_text("? [1, 2]\n: x\n")
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert e.value.file.endswith("scenario.yml") and e.value.line == 1 and e.value.field == "yaml", str(e.value)


def test_csv_errors_name_their_line(tmp_path):
    # was: line None for an error of the csv module (here a field over its size limit, on line 3)
    from crossings.scenario.csvutil import read_rows

    path = tmp_path / "x.csv"
    path.write_text('a,b\n"multi\nline",c\nd,"' + "x" * 200_000 + '"\n')
    with pytest.raises(InputError) as e:
        read_rows(path)
    assert e.value.line == 4 and e.value.field == "csv", str(e.value)


def test_rows_after_a_quoted_field_spanning_lines_keep_their_line_numbers(tmp_path):
    from crossings.scenario.csvutil import read_rows

    path = tmp_path / "x.csv"
    path.write_text('a,b\n"multi\nline",c\n\nd,e\n')
    assert [ln for ln, _ in read_rows(path)] == [1, 2, 5]


def native_demo(tmp_path):
    from crossings.api import convert
    from crossings.scenarios.demo import write_demo

    return convert(write_demo(tmp_path / "demo"), tmp_path / "native")


@pytest.mark.parametrize("value", [".inf", ".nan"])
def test_infinite_whole_number_setting_is_an_input_error(tmp_path, value):
    # was: OverflowError / ValueError ("cannot convert float infinity to integer") in params.flee._convert
    root = native_demo(tmp_path)
    yml = root / "scenario.yml"
    yml.write_text(yml.read_text() + f"settings:\n  awareness_level: {value}\n")
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert "awareness_level" in e.value.field and e.value.line is not None, str(e.value)


def test_huge_integer_for_a_number_setting_is_an_input_error(tmp_path):
    # was: OverflowError ("int too large to convert to float")
    from crossings.scenarios.demo import write_demo

    root = write_demo(tmp_path / "demo")
    (root / "simsetting.yml").write_text("move_rules:\n  camp_weight: 1" + "0" * 400 + "\n")
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert e.value.line == 2 and "camp_weight" in e.value.field, str(e.value)


def test_impossible_yaml_date_is_an_input_error(tmp_path):
    # was: ValueError ("month must be in 1..12") from YAML's timestamp constructor
    root = native_demo(tmp_path)
    yml = root / "scenario.yml"
    lines = [ln if not ln.startswith("start_date:") else "start_date: 2022-13-45"
             for ln in yml.read_text().splitlines()]
    yml.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert e.value.file.endswith("scenario.yml") and e.value.field == "yaml", str(e.value)
    assert yml.read_text().splitlines()[e.value.line - 1].startswith("start_date:"), str(e.value)


def test_yaml_reader_error_is_one_line(tmp_path):
    # was: a two-line message ("unacceptable character #x0000 ... \n  in "<unicode string>", position 0")
    root = native_demo(tmp_path)
    yml = root / "scenario.yml"
    yml.write_bytes(b"\x00" + yml.read_bytes())
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert "\n" not in str(e.value) and e.value.field == "yaml", str(e.value)


def test_unnamed_column_in_a_native_table_names_a_field(tmp_path):
    # was: an InputError with an empty field ("locations.csv:1: : unknown column")
    root = native_demo(tmp_path)
    loc = root / "locations.csv"
    lines = loc.read_text().splitlines()
    lines[0] += ","
    loc.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert e.value.line == 1 and e.value.field.startswith("column "), str(e.value)


def test_empty_key_in_simsetting_names_a_field(tmp_path):
    # was: an InputError with an empty field ("simsetting.yml:1: : not a key any Flee version reads")
    from crossings.scenarios.demo import write_demo

    root = write_demo(tmp_path / "demo")
    (root / "simsetting.yml").write_text("?\n")
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert e.value.line == 1 and e.value.field == "key", str(e.value)


def test_huge_seats_or_capacity_are_input_errors(tmp_path):
    """Found by the fuzz tier on russia2022: 10^40 seats a day overflowed the int64 seat counts."""
    from crossings.scenarios.emigration_demo import write_emigration_demo

    root = write_emigration_demo(tmp_path / "em")
    routes = root / "routes.csv"
    huge = "1" + "0" * 40
    routes.write_text(routes.read_text().replace("Moscow_SVO,Yerevan,air,,1,40,1400",
                                                 f"Moscow_SVO,Yerevan,air,,1,{huge},1400"))
    with pytest.raises(InputError, match="seats_per_day"):
        cx.load_scenario(root)
    root2 = write_emigration_demo(tmp_path / "em2")
    cross = root2 / "crossings.csv"
    cross.write_text(cross.read_text().replace("Upper_Lars,car,60", "Upper_Lars,car," + "9" * 30))
    with pytest.raises(InputError, match="capacity_per_day"):
        cx.load_scenario(root2)


def test_a_vanishing_daily_probability_gives_never_without_a_warning():
    """Found by the command-line fuzz tier (issue 22 item 7): a hazard of 1e-320 (in range, a denormal) made
    −1/ln(1 − p) overflow with a RuntimeWarning on the user's terminal; the factor is ∞ (never), silently."""
    import warnings

    import numpy as np

    from crossings.engine.models.emigration.clocks import gap_scale, next_days

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scale = gap_scale(np.array([1e-320, 0.0, 0.5, 1.0]))
    assert np.isinf(scale[0]) and np.isinf(scale[1]) and scale[3] == 0.0
    days = next_days(np.random.default_rng(0), scale, 5)
    from crossings.engine.models.emigration.state import NEVER

    assert days[0] == NEVER and days[1] == NEVER and days[3] == 6


def test_a_camp_named_with_a_quote_and_a_comma_gives_a_well_formed_out_csv(tmp_path):
    """Found by the command-line fuzz tier on the native format (issue 22 item 7): out.csv's header joined the
    camps' names with commas unquoted, so a camp named 'Tbi"li,si' gave a header wider than its rows."""
    import csv

    from crossings.cli.main import main

    root = native_demo(tmp_path)
    camp = next(r["name"] for r in csv.DictReader((root / "locations.csv").open()) if r["kind"] == "camp")
    for p in sorted(root.glob("*.csv")):
        rows = [[('Tbi"li,si' if c == camp else c) for c in r] for r in csv.reader(p.open(newline=""))]
        with p.open("w", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    assert main(["run", str(root), "--out", str(tmp_path / "out"), "--quiet", "--no-report", "--days", "5"]) == 0
    with open(tmp_path / "out" / "out.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert all(len(r) == len(rows[0]) for r in rows) and 'Tbi"li,si sim' in rows[0], rows[:2]
    from crossings.results.read import read_out_csv

    assert 'Tbi"li,si' in read_out_csv(tmp_path / "out" / "out.csv").names
