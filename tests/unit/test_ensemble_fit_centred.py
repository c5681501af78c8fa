"""The ensemble fit's "if centred" share: how often members would land inside an observation's band if their
median sat at the band's centre with the same relative spread. It separates rows a model misses from rows whose
band is narrower than the run-to-run noise, so that no model hits them reliably."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from crossings.ensemble.member import MemberFit
from crossings.ensemble.reduce import FitStack, fit_line, reduce_fit, share_if_centred
from crossings.observed.fit import band

HEADER = ["date_or_period_start", "period_end", "destination_country", "crossing_or_city", "measure", "value", "low",
          "high", "source_title", "source_url", "note", "sim", "scale", "role"]
Z = np.arange(20) - 9.5  # 20 members, symmetric around 0: median 0


def _observed(tmp_path: Path) -> Path:
    rows = [  # value alone, a narrow range, a negative value (a net outflow); each widened ×1.25
        ["2022-01-01", "2022-01-31", "A", "country", "entries", "100", "", "", "t", "u", "", "entries(country=A)", "",
         "calibration"],
        ["2022-01-01", "2022-01-31", "B", "country", "entries", "100", "99", "101", "t", "u", "",
         "entries(country=B)", "", "calibration"],
        ["2022-01-01", "2022-12-31", "C", "country", "net", "-100", "", "", "t", "u", "", "net(country=C)", "",
         "validation"],
    ]
    path = tmp_path / "observed.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def _stack(sims: np.ndarray, bands: list[tuple[float, float]]) -> FitStack:
    stack = FitStack(sims.shape[0])
    for i, row in enumerate(sims):
        inside = np.array([int(lo <= x <= hi) for x, (lo, hi) in zip(row, bands, strict=True)], dtype=np.int8)
        stack.put(i, MemberFit(lines=(2, 3, 4), roles=("calibration", "calibration", "validation"),
                               sims=("entries(country=A)", "entries(country=B)", "net(country=C)"),
                               status=np.zeros(3, dtype=np.int8), simulated=row.astype(float), inside=inside,
                               loss=np.where(inside == 1, 0.0, 1.0)))
    return stack


def test_centred_share_scales_the_spread_to_the_band(tmp_path: Path) -> None:
    observed = _observed(tmp_path)
    bands = [band(100, None, None), band(100, 99, 101), band(-100, None, None)]
    # accepted bands (widened ×1.25): A [80, 125], B [79.2, 126.25], C [−125, −80]
    # A: twice the observed with a spread of ±95; B: about centred, spread ±95; C: +50 for −100
    sims = np.stack([200 + 10 * Z, 100 + 10 * Z, 50 + 10 * Z], axis=1)
    fit = reduce_fit(_stack(sims, bands), observed)
    by_line = {r["line"]: r for r in fit.rows}
    # A: moved to 102.5 + 5.125z (spread scaled with the level); inside 80..125 for |z| <= 4.39: 8 of 20
    assert by_line[2]["share_inside"] == pytest.approx(0.15), "as run, only 105, 115 and 125 are inside"
    assert by_line[2]["share_inside_if_centred"] == pytest.approx(0.4)
    # B: already about centred; only |z| <= 2.29 fall in the band, however right the model is on average
    assert by_line[3]["share_inside_if_centred"] == pytest.approx(0.2)
    assert by_line[3]["share_inside"] == pytest.approx(0.25)
    # C: the level goes from +50 to −102.5 (scale 2.05): −102.5 + 20.5z inside −125..−80 only for z = ±0.5
    assert by_line[4]["share_inside_if_centred"] == pytest.approx(0.1)
    roles = fit.summary["by_role"]
    assert roles["calibration"]["expected_inside_if_centred"] == pytest.approx(0.6)
    assert roles["validation"]["expected_inside_if_centred"] == pytest.approx(0.1)
    assert fit.summary["expected_inside_if_centred"] == pytest.approx(0.7)
    assert "would expect 0.7 of the 3 scored rows inside" in fit_line(fit)
    header = fit.csv().splitlines()[0].split(",")
    assert "share_inside_if_centred" in header


def test_centred_share_of_open_and_zero_median_bands() -> None:
    sims = np.array([-1.0, 0.0, 1.0])
    assert share_if_centred(sims, 5.0, float("inf"), 0.0) == 1.0, "a one-sided band: a centred model is deep inside"
    # a median of 0 cannot be scaled: the spread is kept as it is (±1 around 10 in 9.5..10.5: one of three)
    assert share_if_centred(sims, 9.5, 10.5, 0.0) == pytest.approx(1 / 3)


def test_input_rows_are_counted_apart_from_the_members_rows_inside(tmp_path: Path) -> None:
    observed = _observed(tmp_path)
    bands = [band(100, None, None), band(100, 99, 101), band(-100, None, None)]
    sims = np.stack([100 + 0 * Z, 100 + 0 * Z, -100 + 0 * Z], axis=1)  # every member inside every row
    as_outputs = reduce_fit(_stack(sims, bands), observed)
    assert as_outputs.per_member["scored"].tolist() == [3] * 20
    old, stack = _stack(sims, bands), FitStack(sims.shape[0])
    for i in range(stack.members):  # the same fits with row C an input (as rows 30, 125 and 126 of russia2022)
        m = old.member(i)
        stack.put(i, MemberFit(m.lines, ("calibration", "calibration", "input"), m.sims, m.status, m.simulated,
                               m.inside, m.loss))
    fit = reduce_fit(stack, observed)
    assert fit.per_member["scored"].tolist() == [2] * 20 and fit.per_member["inside"].tolist() == [2] * 20
    assert fit.summary["expected_inside_if_centred"] == pytest.approx(2.0)
    assert fit.summary["by_role"]["input"]["scored"] == 1, "the input row is still reported, apart"
