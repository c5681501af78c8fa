"""Ensembles on real Dask clusters: the same seed gives the same bytes on 1 worker, 2 workers and a remote
scheduler; a worker killed mid-ensemble costs nothing but time; the reductions are those of the members."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from ensemble_helpers import cli, dask_processes

import crossings as cx
from crossings.ensemble.ensemble import EnsembleResult, run_ensemble

ARGS = ["--members", "8", "--seed", "11", "--days", "40", "--quiet"]


def test_same_seed_same_bytes_on_one_two_and_remote_workers(remote_cluster, demo: Path, tmp_path: Path) -> None:
    outs = {}
    for label, where in (("w1", ["--workers", "1"]), ("w2", ["--workers", "2"]),
                         ("remote", ["--scheduler", remote_cluster.address])):
        outs[label] = tmp_path / label
        assert cli(["ensemble", str(demo), *ARGS, *where, "--out", str(outs[label])]) == 0
    for name in ("quantiles.parquet", "members.csv"):
        ref = (outs["w1"] / name).read_bytes()
        assert (outs["w2"] / name).read_bytes() == ref, name
        assert (outs["remote"] / name).read_bytes() == ref, name
    info = json.loads((outs["remote"] / "ensemble.json").read_text())
    assert info["runs"] == 8 and info["seed"] == 11 and "2 workers" in info["cluster"]
    assert remote_cluster.address in info["cluster"]


def test_quantiles_are_those_of_the_members_run_one_by_one(demo: Path, local_client, tmp_path: Path) -> None:
    res = run_ensemble(demo, 6, seed=5, days=30, client=local_client)
    res.write(tmp_path)
    with open(tmp_path / "members.csv", newline="") as fh:
        seeds = [int(r["seed"]) for r in csv.DictReader(fh)]
    assert seeds == res.seeds and len(set(seeds)) == 6
    sc = cx.load_scenario(demo)
    runs = [cx.run(sc, seed=s, days=30) for s in seeds]
    for name in ("n_present", "new_arrivals", "n_on_link", "new_link_entries"):
        stack = np.stack([r.series[name] for r in runs]).astype(np.float64)
        assert np.array_equal(res.quantiles[name], np.quantile(stack, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0))
        assert np.array_equal(res.mean[name], stack.mean(axis=0))
    ard = np.array([r.ard()["ard_rescaled"] for r in runs])
    assert np.array_equal(res.ard["ard_rescaled"], ard)
    table = pq.read_table(tmp_path / "quantiles.parquet").to_pandas()
    row = table[(table.series == "n_present") & (table.place == "Camp_South") & (table.day == 29)].iloc[0]
    j = sc.locations.index("Camp_South")
    assert row.q50 == res.quantiles["n_present"][2, 29, j]
    assert (table.q05 <= table.q25).all() and (table.q25 <= table.q50).all() and (table.q75 <= table.q95).all()
    assert set(table.series.unique()) == set(runs[0].series)
    cov = res.coverage
    assert cov["points"] > 0 and 0.0 <= cov["share"] <= 1.0 and set(cov["camps"]) == {"Camp_North", "Camp_South",
                                                                                          "Camp_West"}


def _disturbed(demo: Path, tmp_path: Path, runs: int, seed: int, after: int, **kw: object) -> EnsembleResult:
    """The ensemble run on a scheduler with two worker processes, one of which is SIGKILLed once ``after``
    members are done while it still has work or holds results."""
    import distributed

    with dask_processes(tmp_path / "dask") as procs, distributed.Client(procs.address) as client:
        w0 = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "w0")
        killed: list[int] = []

        def kill_mid_run(done: int, total: int) -> None:
            # mid-run: members are left, and w0 has work or holds results the ensemble still needs (fast members
            # may leave w0 idle between two progress calls, so "processing" alone made the test depend on timing)
            if not killed and after <= done < total and (client.processing().get(w0) or client.has_what().get(w0)):
                procs.kill_worker(0)
                killed.append(done)

        res = run_ensemble(demo, runs, seed=seed, client=client, progress=kill_mid_run, **kw)
        assert killed and killed[0] < runs, "the worker was not killed while members were left"
        assert procs.workers[0].poll() is not None
        assert len(client.scheduler_info()["workers"]) == 1
    return res


def test_killing_a_worker_mid_ensemble_changes_nothing(demo: Path, local_client, tmp_path: Path) -> None:
    runs, seed = 30, 21
    reference = run_ensemble(demo, runs, seed=seed, days=60, client=local_client)
    reference.write(tmp_path / "undisturbed")
    res = _disturbed(demo, tmp_path, runs, seed, 3, days=60)
    res.write(tmp_path / "disturbed")
    for name in ("quantiles.parquet", "members.csv"):
        assert (tmp_path / "disturbed" / name).read_bytes() == (tmp_path / "undisturbed" / name).read_bytes()


def test_unknown_parameter_is_a_one_line_input_error(demo: Path, tmp_path: Path, capsys) -> None:
    code = cli(["ensemble", str(demo), "--members", "2", "--param", "camp_wieght=2", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "camp_wieght" in err and "camp_weight" in err
    for bad in ("camp_weight=x", "camp_weight=5:1", "conflict_movechance=0:2", "hasten=1:2"):
        assert cli(["sensitivity", str(demo), "--param", bad, "--samples", "4", "--out", str(tmp_path)]) == 2
    assert cli(["sensitivity", str(demo), "--param", "camp_weight=3", "--samples", "4"]) == 2  # not a range
    assert cli(["sensitivity", str(demo), "--param", "camp_weight=1:3", "--samples", "6"]) == 2  # not 2^k
    assert cli(["calibrate", str(demo), "--param", "camp_weight=1:3", "--budget", "4", "--holdout",
                "camps=Nowhere"]) == 2
    assert cli(["ensemble", str(tmp_path / "missing"), "--members", "2"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 8  # one line per refused command


def test_ensemble_with_parameter_ranges_and_a_fitted_file(demo: Path, local_client, tmp_path: Path) -> None:
    from crossings.cli.ensemble import load_params_file
    from crossings.ensemble import parse_param

    specs = [parse_param("camp_weight=1:5"), parse_param("awareness_level=1:3"), parse_param("softening=20")]
    a = run_ensemble(demo, 5, seed=2, days=20, params=specs, client=local_client)
    b = run_ensemble(demo, 5, seed=2, days=20, params=specs, client=local_client)
    assert a.member_params == b.member_params and np.array_equal(a.quantiles["n_present"], b.quantiles["n_present"])
    cw = [p["camp_weight"] for p in a.member_params]
    assert len(set(cw)) == 5 and all(1 <= v <= 5 for v in cw)
    assert all(p["awareness_level"] in (1, 2, 3) and p["softening"] == 20.0 for p in a.member_params)
    (tmp_path / "fitted.yml").write_text("parameters:\n  camp_weight: 2.5\nprovenance: {budget: 3}\n")
    assert load_params_file(tmp_path / "fitted.yml")[0].low == 2.5
    (tmp_path / "bad.yml").write_text("parameters:\n  camp_wait: 2.5\n")
    with pytest.raises(cx.InputError, match="camp_wait"):
        load_params_file(tmp_path / "bad.yml")


def test_a_histogram_ensemble_survives_a_killed_worker_and_matches_its_bound(demo: Path, local_client,
                                                                             tmp_path: Path) -> None:
    """Above the exact limit the workers reduce the series: a worker killed mid-ensemble changes no byte (Dask
    runs its batches again from the pilot's lineage), and the quantiles stay within their bound of exact ones."""
    runs, seed, kw = 60, 8, {"days": 60, "exact_limit": 6, "pilot": 6, "batch": 2}
    reference = run_ensemble(demo, runs, seed=seed, client=local_client, **kw)
    reference.write(tmp_path / "undisturbed")
    res = _disturbed(demo, tmp_path, runs, seed, 1, **kw)
    res.write(tmp_path / "disturbed")
    for name in ("quantiles.parquet", "members.csv"):
        assert (tmp_path / "disturbed" / name).read_bytes() == (tmp_path / "undisturbed" / name).read_bytes()
    exact = run_ensemble(demo, runs, seed=seed, client=local_client, days=60)
    assert res.method["method"] == "histogram" and exact.method["method"] == "exact"
    for name, q in exact.quantiles.items():
        assert np.abs(res.quantiles[name] - q).max() <= res.method["error_bound"][name]["max"], name
    assert res.coverage["points"] == exact.coverage["points"]
