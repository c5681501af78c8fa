"""Route candidates and their weights (flee-model.md §1.6): loop-free path prefixes of 1..L hops, markers
transparent, w = score_end × capmult_end / (10 + km); sampling in proportion to the weights."""

from __future__ import annotations

import numpy as np
import pytest

from crossings.engine.kernels import sample_paths
from crossings.engine.models.flee.kernels import path_cdf
from crossings.params.flee import FleeSettings
from crossings.scenario.graph import enumerate_paths

# flee-model.md §1.6: A–B 90 km, A–C (camp) 40 km, B–C 30 km, B–D (conflict) 10 km; awareness 2.
EXAMPLE_LOCS = [("A", "X", "town", 100), ("B", "X", "town", 100), ("C", "X", "camp", 0),
                ("D", "X", "conflict_zone", 100)]
EXAMPLE_ROUTES = [("A", "B", 90), ("A", "C", 40), ("B", "C", 30), ("B", "D", 10)]
# Weights with camp weight 2 and conflict weight 0.25, checked by running Flee (flee-model.md §1.6).
EXAMPLE_WEIGHTS = {"A>B": 1 / 100, "A>B>C": 2 / 130, "A>B>D": 0.25 / 110, "A>C": 2 / 50, "A>C>B": 1 / 80}


def candidates(sc, paths, origin: str) -> list[str]:
    """Candidate routes from ``origin`` as 'A>B>C' strings, in the enumerator's order."""
    names = sc.locations.name
    o = names.index(origin)
    out = []
    for p in range(paths.by_origin[o], paths.by_origin[o + 1]):
        links = paths.links[paths.start[p]:paths.start[p + 1]]
        out.append(">".join([origin] + [names[sc.links.dst[k]] for k in links]))
    return out


@pytest.fixture
def example(make_scenario):
    sc = make_scenario(EXAMPLE_LOCS, EXAMPLE_ROUTES,
                       settings={"move_rules": {"awareness_level": 2, "camp_weight": 2.0, "conflict_weight": 0.25}})
    return sc, enumerate_paths(sc.links, sc.locations.kind, 2)


def test_example_candidates(example):
    sc, paths = example
    got = candidates(sc, paths, "A")
    assert sorted(got) == sorted(EXAMPLE_WEIGHTS), f"expected candidates {sorted(EXAMPLE_WEIGHTS)}, got {got}"
    lengths = dict(zip(got, paths.length_km[paths.by_origin[0]:paths.by_origin[1]].tolist(), strict=True))
    assert lengths == {"A>B": 90, "A>B>C": 120, "A>B>D": 100, "A>C": 40, "A>C>B": 70}, f"path lengths: {lengths}"
    ends = [sc.locations.name[e] for e in paths.end[paths.by_origin[0]:paths.by_origin[1]]]
    assert ends == [c.split(">")[-1] for c in got], "path end must be the last location of the path"


def test_example_weights_through_path_cdf(example):
    sc, paths = example
    score = np.array([1.0, 1.0, 2.0, 0.25])  # A town, B town, C camp (weight 2), D fresh conflict zone (0.25)
    cdf = path_cdf(paths, np.ones(len(paths.origin), dtype=bool), score, np.ones(4),
                   FleeSettings(camp_weight=2.0, conflict_weight=0.25), 4)
    lo, hi = paths.by_origin[0], paths.by_origin[1]
    w = np.diff(np.concatenate([[0.0], cdf]))[lo:hi]
    got = dict(zip(candidates(sc, paths, "A"), w.tolist(), strict=True))
    for route, expected in EXAMPLE_WEIGHTS.items():
        assert got[route] == pytest.approx(expected, rel=1e-12), (
            f"{route}: expected weight {expected:.5f}, got {got[route]:.5f}")
    rounded = {k: round(v, 5) for k, v in got.items()}
    assert rounded == {"A>B": 0.01, "A>B>C": 0.01538, "A>B>D": 0.00227, "A>C": 0.04, "A>C>B": 0.0125}


def test_awareness_one_gives_only_neighbours(example):
    sc, _ = example
    paths = enumerate_paths(sc.links, sc.locations.kind, 1)
    assert sorted(candidates(sc, paths, "B")) == ["B>A", "B>C", "B>D"]
    assert candidates(sc, paths, "D") == ["D>B"]


def test_paths_never_revisit_a_location(make_scenario):
    # a complete graph on four places: with awareness 3 every loop-free path of 1..3 hops is a candidate
    locs = [(n, "X", "town", 1) for n in "ABCD"]
    routes = [(a, b, 10) for i, a in enumerate("ABCD") for b in "ABCD"[i + 1:]]
    sc = make_scenario(locs, routes)
    paths = enumerate_paths(sc.links, sc.locations.kind, 3)
    got = candidates(sc, paths, "A")
    for c in got:
        stops = c.split(">")
        assert len(set(stops)) == len(stops), f"route {c} revisits a location"
    assert len(got) == 3 + 3 * 2 + 3 * 2 * 1, f"expected 15 loop-free paths of 1..3 hops, got {len(got)}: {got}"


def test_markers_are_transparent(make_scenario):
    locs = [("A", "X", "conflict_zone", 1), ("M", "X", "marker", 0), ("B", "X", "town", 1), ("C", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "M", 10), ("M", "B", 20), ("B", "C", 30)])
    one = enumerate_paths(sc.links, sc.locations.kind, 1)
    assert candidates(sc, one, "A") == ["A>M>B"], (
        "a path may not end at a marker and the marker must not count as a hop")
    assert one.length_km[one.by_origin[0]] == 30, "the length of a path through a marker counts both links"
    two = enumerate_paths(sc.links, sc.locations.kind, 2)
    assert sorted(candidates(sc, two, "A")) == ["A>M>B", "A>M>B>C"]
    assert sorted(candidates(sc, one, "B")) == ["B>C", "B>M>A"]


def test_capacity_and_closed_links_in_weights(example):
    _, paths = example
    score = np.array([1.0, 1.0, 2.0, 0.25])
    s = FleeSettings()
    open_ = np.ones(len(paths.origin), dtype=bool)
    lo, hi = paths.by_origin[0], paths.by_origin[1]

    def weights(capmult, path_open):
        cdf = path_cdf(paths, path_open, score, capmult, s, 4)
        return np.diff(np.concatenate([[0.0], cdf]))[lo:hi]

    full_c = weights(np.array([1.0, 1.0, 0.0, 1.0]), open_)
    ends_c = paths.end[lo:hi] == 2
    assert np.all(full_c[ends_c] == 0) and np.all(full_c[~ends_c] > 0), "a full camp (capmult 0) must weigh 0"
    all_full = weights(np.zeros(4), open_)
    assert np.all(all_full == 1.0), "when every candidate weighs 0 the choice must be uniform"
    closed = open_.copy()
    closed[lo] = False
    w = weights(np.ones(4), closed)
    assert w[0] == 0 and np.all(w[1:] > 0), "a path over a closed link must weigh 0"


def test_sample_paths_frequencies_match_weights(example):
    _, paths = example
    score = np.array([1.0, 1.0, 2.0, 0.25])
    cdf = path_cdf(paths, np.ones(len(paths.origin), dtype=bool), score, np.ones(4), FleeSettings(), 4)
    rng = np.random.default_rng(20240601)
    for origin in (0, 1):  # A (5 candidates) and B
        lo, hi = paths.by_origin[origin], paths.by_origin[origin + 1]
        w = np.diff(np.concatenate([[0.0], cdf]))[lo:hi]
        n = 200_000
        picks = sample_paths(cdf, paths.by_origin, np.full(n, origin), rng.random(n))
        assert picks.min() >= lo and picks.max() < hi, "a sampled path must start at the agent's location"
        observed = np.bincount(picks - lo, minlength=hi - lo)
        expected = n * w / w.sum()
        chi2 = float(((observed - expected) ** 2 / expected).sum())
        # 99.9 % quantile of chi-square with 4 degrees of freedom is 18.47 (fixed seed: deterministic)
        assert chi2 < 18.47, f"origin {origin}: frequencies {observed} do not match weights {expected} (chi2 {chi2})"


def test_sample_paths_without_candidates_returns_minus_one(make_scenario):
    sc = make_scenario([("A", "X", "conflict_zone", 1), ("B", "X", "camp", 0), ("Z", "X", "town", 1)],
                       [("A", "B", 10)])
    paths = enumerate_paths(sc.links, sc.locations.kind, 1)
    cdf = path_cdf(paths, np.ones(len(paths.origin), dtype=bool), np.ones(3), np.ones(3), FleeSettings(), 3)
    got = sample_paths(cdf, paths.by_origin, np.array([2, 0]), np.array([0.5, 0.5]))
    assert got[0] == -1, "an isolated location has no route"
    assert got[1] == paths.by_origin[0], "A has exactly one route"
    closed = path_cdf(paths, np.zeros(len(paths.origin), dtype=bool), np.ones(3), np.ones(3), FleeSettings(), 3)
    assert sample_paths(closed, paths.by_origin, np.array([0]), np.array([0.3]))[0] == -1, (
        "with every candidate closed there is no route")
