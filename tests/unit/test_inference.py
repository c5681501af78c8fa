"""Calibration as inference (issue 20 item 5), on a toy: the random-walk plug-in model (tests/plugins), 1,000
walkers for 8 days, whose share at B after d days is set by p_move. Its observations are the truth p_move = 0.1
(two calibration rows, one validation row). A seeded smoke check, not a statistical test: the ABC-SMC posterior
narrows around the truth, its provenance is written, a scenario that keeps it has its ensembles draw from it
reproducibly, and `crossings fit` scores the ensemble. Each command runs in well under ten seconds on one worker."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from crossings.ensemble.infer import BandDiscrepancy, Posterior, _row_scale, read_posterior
from crossings.errors import InputError

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "tests" / "plugins"
OBSERVED = (
    "date_or_period_start,period_end,destination_country,crossing_or_city,measure,value,low,high,source_title,"
    "source_url,note,sim,role\n"
    "2020-01-03,,Walkland,B,walkers present,260,250,270,toy truth p_move 0.1,,,stock(location=B),calibration\n"
    "2020-01-06,,Walkland,B,walkers present,390,375,405,toy truth p_move 0.1,,,stock(location=B),calibration\n"
    "2020-01-08,,Walkland,A,walkers present,{a},{lo},{hi},toy truth p_move 0.1,,,stock(location=A),validation\n")
SCENARIO = {
    "scenario.yml": ("format: crossings-native/1\nname: walkabc\nmodel: randomwalk\nstart_date: 2020-01-01\n"
                     "days: 8\nparameters:\n  p_move: {value: 0.1, low: 0.02, high: 0.4, source: toy truth}\n"),
    "locations.csv": "name,kind,country,population\nA,town,Walkland,1000\nB,town,Walkland,0\n",
    "routes.csv": "from,to,distance_km\nA,B,10\n",
    "observed.csv": OBSERVED.format(a=576, lo=560, hi=590),
}
ABC = ("--method", "abc", "--param", "p_move", "--budget", "96", "--particles", "16", "--generations", "4",
       "--check-runs", "4", "--seed", "1", "--quiet")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The plug-in registered by an entry point (a dist-info on the path), for command lines."""
    info = tmp_path / "site" / "randomwalk_model-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: randomwalk-model\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[crossings.models]\nrandomwalk = randomwalk_model:RandomWalk\n")
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join([str(info.parent), str(PLUGINS), out.get("PYTHONPATH", "")])
    return out


def make_walk(root: Path, observed: str = SCENARIO["observed.csv"]) -> Path:
    root.mkdir(parents=True)
    for name, text in SCENARIO.items():
        (root / name).write_text(observed if name == "observed.csv" else text)
    return root


def cli(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "crossings", *args], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == code, f"crossings {' '.join(args)}: exit {r.returncode}: {r.stderr[-2000:]}"
    return r


def test_the_posterior_narrows_around_the_truth_and_an_ensemble_draws_from_it(env, tmp_path):
    walk = make_walk(tmp_path / "walk")
    out = tmp_path / "abc"
    cli(env, "calibrate", str(walk), *ABC, "--workers", "1", "--out", str(out), "--write-posterior", str(walk))
    post = read_posterior(out)
    assert post is not None and post.names == ["p_move"] and len(post.values) == 16
    x = np.log([v["p_move"] for v in post.values])
    w = post.weights / post.weights.sum()
    mean = float(w @ x)
    sd = math.sqrt(float(w @ (x - mean) ** 2))
    prior_sd = math.log(0.4 / 0.02) / math.sqrt(12)  # log-uniform on [0.02, 0.4]
    assert abs(math.exp(mean) - 0.1) < 0.03, f"posterior centred near the truth 0.1, got {math.exp(mean):.4f}"
    assert sd < 0.4 * prior_sd, f"posterior sd {sd:.3f} in log against the prior's {prior_sd:.3f}"

    prov = json.loads((out / "posterior.json").read_text())
    for key in ("scenario_digest", "observed_digest", "method", "settings", "seed", "simulations", "created",
                "crossings_version", "priors", "generations", "calibration_rows"):
        assert key in prov, key
    assert prov["method"] == "abc-smc" and prov["seed"] == 1 and prov["calibration_rows"] == [2, 3]
    assert prov["priors"]["p_move"] == {"distribution": "log-uniform", "low": 0.02, "high": 0.4,
                                        "source": "toy truth"}
    assert prov["simulations"] == prov["parameter_sets"] * 2 + 4, "two replicates a set, four draws checked"
    assert "validation" in prov["fit_of_posterior_draws"], "the validation rows are reported after"
    assert (walk / "posterior.csv").read_bytes() == (out / "posterior.csv").read_bytes(), "--write-posterior"

    ens = [tmp_path / f"ens{k}" for k in (1, 2)]
    for k, d in zip((1, 2), ens, strict=True):
        cli(env, "ensemble", str(walk), "--members", "6", "--workers", str(k), "--seed", "4", "--out", str(d),
            "--quiet")
    assert (ens[0] / "members.csv").read_bytes() == (ens[1] / "members.csv").read_bytes(), "1 and 2 workers"
    assert (ens[0] / "quantiles.parquet").read_bytes() == (ens[1] / "quantiles.parquet").read_bytes()
    rows = list(csv.DictReader((ens[0] / "members.csv").open()))
    particles = {i: v["p_move"] for i, v in enumerate(post.values)}
    for r in rows:
        assert float(r["p_move"]) == particles[int(r["particle"])], "each member runs a particle's values"
    assert len({r["particle"] for r in rows}) > 1, "members draw different particles"
    rec = json.loads((ens[0] / "ensemble.json").read_text())["posterior"]
    assert rec["used"] and rec["matches_scenario"] and rec["provenance"]["scenario_digest"] == prov["scenario_digest"]

    off = tmp_path / "off"
    cli(env, "ensemble", str(walk), "--members", "3", "--workers", "1", "--seed", "4", "--out", str(off),
        "--quiet", "--no-posterior")
    assert "particle" not in (off / "members.csv").read_text().splitlines()[0]
    assert not json.loads((off / "ensemble.json").read_text())["posterior"]["used"]

    text = cli(env, "fit", str(ens[0])).stdout
    assert "median of 6 members" in text and "drawn from the scenario's posterior" in text, text
    data = json.loads(cli(env, "fit", str(ens[0]), "--json").stdout)
    assert [r["line"] for r in data["rows"]] == [2, 3, 4]
    assert all(r["q05"] <= r["median"] <= r["q95"] for r in data["rows"])
    assert data["summary"]["by_role"]["validation"]["scored"] == 1


def test_validation_rows_do_not_change_the_posterior(env, tmp_path):
    posts = []
    for k, (a, lo, hi) in enumerate(((576, 560, 590), (100, 90, 110))):
        walk = make_walk(tmp_path / f"walk{k}", OBSERVED.format(a=a, lo=lo, hi=hi))
        cli(env, "calibrate", str(walk), *ABC, "--budget", "40", "--workers", "1", "--out", str(tmp_path / f"o{k}"))
        posts.append((tmp_path / f"o{k}" / "posterior.csv").read_bytes())
    assert posts[0] == posts[1], "a validation row took part in the inference"


def test_the_posterior_is_the_same_bytes_on_1_and_2_workers_and_records_its_kernel(env, tmp_path):
    """Both kernels keep the rule: same seed, same posterior.csv whatever the workers; posterior.json names the
    kernel (global, the default, when none is asked for) and gives each complete generation's ESS."""
    walk = make_walk(tmp_path / "walk")
    cli(env, "calibrate", str(walk), *ABC, "--budget", "64", "--workers", "1", "--out", str(tmp_path / "g"))
    assert json.loads((tmp_path / "g" / "posterior.json").read_text())["settings"]["proposal"] == "global"
    for k in (1, 2):
        cli(env, "calibrate", str(walk), *ABC, "--budget", "64", "--workers", str(k), "--proposal", "olcm",
            "--out", str(tmp_path / f"w{k}"))
    assert (tmp_path / "w1" / "posterior.csv").read_bytes() == (tmp_path / "w2" / "posterior.csv").read_bytes()
    prov = json.loads((tmp_path / "w1" / "posterior.json").read_text())
    assert prov["settings"]["proposal"] == "olcm" and "--proposal olcm" in prov["command"]
    done = [g for g in prov["generations"] if g["complete"]]
    assert len(done) >= 2 and all(g["ess"] > 0 for g in done), prov["generations"]
    assert all(g["kernel"].startswith("olcm") for g in prov["generations"][1:])
    assert prov["ess"] == pytest.approx(done[-1]["ess"], abs=1e-3)


def test_bad_inference_input_is_one_line_and_exit_2(env, tmp_path):
    walk = make_walk(tmp_path / "walk")
    r = cli(env, "calibrate", str(walk), *ABC, "--replicates", "1", "--out", str(tmp_path / "o"), code=2)
    assert "--replicates" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = cli(env, "calibrate", str(walk), "--method", "abc", "--param", "p_move=0.02:0.3", "--budget", "4",
            "--particles", "8", "--out", str(tmp_path / "o"), code=2)
    assert "--budget" in r.stderr, r.stderr
    (walk / "posterior.csv").write_text("particle,weight,p_move,distance\n0,x,0.1,0\n")
    (walk / "posterior.json").write_text("{}")
    with pytest.raises(InputError, match="posterior.csv:2"):
        read_posterior(walk)


def test_the_discrepancy_is_zero_inside_the_widened_band_scaled_by_width_and_noise():
    row = _row_scale(1, 100.0, 90.0, 110.0)  # widened: 72..137.5, on a log scale
    assert row.log and math.isclose(row.width, math.log(137.5 / 72))
    d = BandDiscrepancy.__new__(BandDiscrepancy)
    d.rows, d.lines, d.noise = [row], [1], np.zeros(1)
    inside = row.t(np.array([[75.0], [130.0]]))
    assert d.distance(inside) == 0.0
    outside = row.t(np.array([[200.0], [200.0]]))
    assert math.isclose(d.distance(outside), math.log(200 / 137.5) / row.width)
    d.noise = np.array([0.5])
    assert d.distance(outside) < math.log(200 / 137.5) / row.width, "noise widens what counts as close"
    assert d.distance(np.full((2, 1), np.nan)) == math.inf


def test_a_members_draw_does_not_depend_on_the_number_of_members():
    post = Posterior(["a"], [{"a": float(i)} for i in range(10)], np.arange(1, 11, dtype=float), np.zeros(10))
    five = [post.draw(s)[0] for s in np.random.SeedSequence(3).spawn(5)]
    fifty = [post.draw(s)[0] for s in np.random.SeedSequence(3).spawn(50)]
    assert five == fifty[:5]
    counts = np.bincount([post.draw(s)[0] for s in np.random.SeedSequence(9).spawn(2000)], minlength=10)
    assert counts[9] > 3 * counts[0], "heavier particles are drawn more often"


def test_a_posterior_of_a_parameter_the_scenario_no_longer_declares_is_a_one_line_error(env, tmp_path):
    walk = make_walk(tmp_path / "walk")
    (walk / "posterior.csv").write_text("particle,weight,q_move,distance\n0,1.0,0.1,0.0\n")
    (walk / "posterior.json").write_text("{}")
    r = cli(env, "ensemble", str(walk), "--members", "2", "--workers", "1", "--out", str(tmp_path / "e"), code=2)
    assert "posterior.csv" in r.stderr and "q_move" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    cli(env, "ensemble", str(walk), "--members", "2", "--workers", "1", "--out", str(tmp_path / "e"), "--quiet",
        "--no-posterior")


def test_a_posterior_whose_weights_collapsed_is_flagged_and_a_spread_one_is_not():
    """ESS under LOW_ESS (a few particles hold the weight, as in 15-parameter runs with few particles): a warning
    in the command's summary and in ensemble.json; spread weights: none."""
    from crossings.ensemble.infer import LOW_ESS

    vals = [{"a": float(i)} for i in range(64)]
    spread = Posterior(["a"], vals, np.ones(64), np.zeros(64))
    w = np.full(64, 1e-6)
    w[:2] = [0.75, 0.25]
    collapsed = Posterior(["a"], vals, w, np.zeros(64))
    assert spread.ess() == pytest.approx(64) and spread.degenerate() == ""
    assert collapsed.ess() < LOW_ESS
    assert "1.6 effective particles of 64" in collapsed.degenerate()


def test_a_full_disk_while_the_posterior_is_written_keeps_the_earlier_files(tmp_path, monkeypatch):
    """AbcResult.write stages its files and renames them in, posterior.json last: a write that fails half-way
    (a full disk) leaves the earlier posterior's files byte for byte and no staging folder."""
    import errno
    from types import SimpleNamespace

    import crossings.files
    from crossings.ensemble.infer import AbcResult

    def result(value: float) -> AbcResult:
        post = Posterior(["a"], [{"a": value}, {"a": value + 1}], np.ones(2), np.zeros(2))
        trials = [{"generation": 0, "values": {"a": value}, "distance": 0.5, "kept": True}]
        return AbcResult(None, [SimpleNamespace(name="a")], post, trials, [], {}, None, {"seed": value})

    out = tmp_path / "abc"
    result(1.0).write(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"posterior.csv", "posterior.json", "calibration_trials.csv"}
    real, calls = crossings.files.atomic_write, []

    def full_disk(path, write) -> None:
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, write)

    monkeypatch.setattr(crossings.files, "atomic_write", full_disk)
    with pytest.raises(OSError, match="No space"):
        result(2.0).write(out)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    result(2.0).write(out)
    assert json.loads((out / "posterior.json").read_text())["seed"] == 2.0
