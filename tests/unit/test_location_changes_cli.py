"""location_changes.csv through the command line: a bad row is one line naming the file, the line and the field,
exit code 2, nothing written."""

from __future__ import annotations

import pytest
from _cli import assert_run_refused

LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("K", "Y", "camp", 0)]


@pytest.mark.parametrize(("rows", "line", "field"), [
    ("T,conflict_zone,1\nNowhere,town,2\n", 3, "name"),
    ("T,village,1\n", 2, "location_type"),
    ("T,camp,2020-02-30\n", 2, "day"),
    ("T,camp,2019-12-31\n", 2, "day"),
    ("T,camp,-1\n", 2, "day"),
    ("T,camp\n", 2, "row"),
])
def test_a_bad_row_is_refused(tmp_path, scenario_dir, rows, line, field):
    root = scenario_dir(LOCS, [("A", "T", 50), ("T", "K", 50)], length=5)
    path = root / "input_csv" / "location_changes.csv"
    path.write_text("#name,location_type,day\n" + rows)
    err = assert_run_refused(root, tmp_path, f": {field}: ")
    assert err.startswith(f"{path}:{line}: {field}: "), err
