"""The architecture rules of issue 18, checked on the source (``ast``, nothing imported): the import graph has
no circle and runs one way through the layers below; no function is longer than 80 lines; no module-level
mutable state; every import inside a function says why it is deferred; nobody but the model registry asks a
model's name. ``python scripts/check_architecture.py`` prints the same findings (it reads this table, and this
test calls its functions).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check_architecture.py"


def _load_script():
    if "check_architecture" in sys.modules:  # the script itself, reading the table below
        return sys.modules["check_architecture"]
    spec = importlib.util.spec_from_file_location("check_architecture", SCRIPT)
    assert spec is not None and spec.loader is not None, f"cannot import {SCRIPT}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


arch = _load_script()

# ---- the layers, first to last -------------------------------------------------------------------------------
# A module belongs to the row with the longest prefix that matches its name (the root package's row matches the
# root module only). It imports only from its own layer and layers of a lower rank.
LAYERS = (
    # module prefix            layer       rank   what lives there
    ("crossings._version",     "base",     0),  # the version
    ("crossings.errors",       "base",     0),  # InputError and friends
    ("crossings.files",        "base",     0),  # the atomic writer
    ("crossings.progress",     "base",     0),  # progress bars and the log
    ("crossings.params",       "params",   1),  # typed parameters with defaults and sources
    ("crossings.scenario",     "scenario", 2),  # readers -> source -> build -> the frozen Scenario
    ("crossings.scenarios",    "scenario", 2),  # bundled scenarios and the demo writers
    ("crossings.results",      "results",  3),  # Results and their schema (never the engine)
    ("crossings.engine",       "engine",   4),  # the loop, the Model contract and registry, the models
    ("crossings.observed",     "observed", 5),  # observed data, measures, metrics, fit tables (never the engine)
    ("crossings.ensemble",     "ensemble", 6),  # members, reductions, calibration (side by side with report)
    ("crossings.report",       "report",   6),  # figures and the page (never the engine)
    ("crossings.api",          "api",      7),  # the library's front door
    ("crossings.cli",          "cli",      8),  # the command line: api and base only
    ("crossings.__main__",     "facade",   9),  # python -m crossings
    ("crossings",              "facade",   9),  # import crossings
)
APART = (("ensemble", "report"),)  # layers of one rank that never import each other
ONLY = {"cli": ("api", "base")}  # layer -> the only other layers it may import
NEVER = {"observed": ("engine",), "report": ("engine",), "results": ("engine",)}  # layer -> layers it never imports
LAYER_RULES = arch.Layers(LAYERS, APART, ONLY, NEVER)


@pytest.fixture(scope="module")
def modules():
    return arch.load_modules()


@pytest.fixture(scope="module")
def edges(modules):
    return arch.import_edges(modules)


def _listing(what: str, found: list[str]) -> str:
    return f"{len(found)} {what}:\n" + "\n".join(found)


# ---- the checks of the checks ----------------------------------------------------------------------------------

def test_graph_sees_every_kind_of_import(tmp_path):
    pkg = tmp_path / "crossings"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from . import b\n")
    (pkg / "a" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from crossings import c\n"
                                    "def f():\n    from ..c import name\n")
    (pkg / "c.py").write_text("import crossings.a.b as b\nname = 1\n")
    mods = arch.load_modules(tmp_path)
    found = {(e.importer, e.imported, e.deferred) for e in arch.import_edges(mods)}
    assert found == {("crossings.a", "crossings.a.b", False), ("crossings.a.b", "crossings.c", True),
                     ("crossings.c", "crossings.a.b", False)}, found
    circles = arch.import_cycles(arch.import_edges(mods))
    assert len(circles) == 1 and "crossings.a.b, crossings.c" in circles[0], circles


def test_layer_rules_catch_each_kind_of_wrong_arrow():
    def edge(a, b):
        return arch.Import(a, b, "x.py", 1, False)
    wrong = [edge("crossings.engine.state", "crossings.api"),  # a later layer
             edge("crossings.ensemble.member", "crossings.report.page"),  # side by side, apart
             edge("crossings.cli.main", "crossings.engine.simulation"),  # cli goes through api
             edge("crossings.report.data", "crossings.engine.model"),  # report never imports the engine
             edge("crossings.engine.checkpoint", "crossings")]  # the facade is above everything
    right = [edge("crossings.cli.main", "crossings.api"), edge("crossings.cli.fit", "crossings.errors"),
             edge("crossings.ensemble.member", "crossings.engine.simulation"), edge("crossings", "crossings.cli.main"),
             edge("crossings.engine.models.flee.model", "crossings.engine.model"),
             edge("crossings.scenarios.demo", "crossings.scenario.flee")]
    found = arch.layer_violations(wrong + right, LAYER_RULES)
    assert [f.split(":")[2].split("[")[0].strip() for f in found] == [
        f"{e.importer} -> {e.imported}" for e in wrong], found
    assert arch.layer_violations([], LAYER_RULES, ["crossings.newthing", "crossings.engine.new"]) == [
        "crossings.newthing: not in the layer table"], "a new top-level module needs a row in the table"


def test_state_and_deferral_checks_catch_what_they_should(tmp_path):
    pkg = tmp_path / "crossings"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "m.py").write_text(
        "import contextvars\nTABLE = {'a': 1}\nCACHE = {}\nSEEN = []\nVAR = contextvars.ContextVar('v')\n"
        "def f(k):\n    CACHE[k] = 1\n    import json\n    # deferred: start-up\n    import csv\n    import os\n"
        "    return TABLE[k]\n"
        "def g(SEEN):\n    SEEN.append(1)\n"
        "def h():\n    global X\n"
        "def i(s):\n    return s.model == 'flee' or s.model_name in ('flee', 'emigration') or s.kind == 'flee'\n"
        "@functools.lru_cache(maxsize=1)\ndef j():\n    return 1\n")
    (pkg / "n.py").write_text("from crossings.m import SEEN\ndef k():\n    SEEN.append(2)\n")
    mods = arch.load_modules(tmp_path)
    state = "\n".join(arch.mutable_state(mods))
    assert "CACHE" in state and "ContextVar" in state and "global X" in state and "lru_cache" in state, state
    assert "TABLE" not in state, "a constant table nobody mutates is fine"
    assert "n.py:3" in state and "m.py:14" not in state, "a parameter named like a module global is local"
    deferred = arch.undocumented_deferred_imports(mods)
    assert len(deferred) == 1 and "import json" in deferred[0], deferred
    asks = arch.model_name_questions(mods)
    assert len(asks) == 2 and "s.model == 'flee'" in asks[0] and "s.model_name in" in asks[1], asks


# ---- the rules --------------------------------------------------------------------------------------------------

def test_no_import_circles(edges):
    found = arch.import_cycles(edges)
    assert not found, _listing("import circle(s) (importer -> imported)", found)


def test_imports_follow_the_layer_order(edges, modules):
    found = arch.layer_violations(edges, LAYER_RULES, modules)
    assert not found, _listing("import(s) against the layer order", found)


def test_no_function_over_80_lines(modules):
    found = arch.long_functions(modules)
    assert not found, _listing("function(s) over 80 lines", found)


def test_no_module_level_mutable_state(modules):
    found = arch.mutable_state(modules)
    assert not found, _listing("piece(s) of module-level mutable state", found)


def test_deferred_imports_say_why(modules):
    found = arch.undocumented_deferred_imports(modules)
    assert not found, _listing("import(s) inside functions without a comment saying why", found)


def test_nobody_asks_a_model_its_name(modules):
    found = arch.model_name_questions(modules)
    assert not found, _listing("comparison(s) of a model's name outside crossings/engine/model.py", found)


