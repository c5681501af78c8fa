"""Helpers of the report's browser tests: a loaded page that records what it did, and runs to report on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

INJECTION = "<script>alert(1)</script>"
REPO = Path(__file__).resolve().parents[2]


def flee_scenario(name: str) -> Path | None:
    """One of the shared Flee benchmark scenarios, or None when shared/ is not beside the repository."""
    env = os.environ.get("CROSSINGS_SHARED")
    path = (Path(env) if env else REPO.parent / "shared") / "data" / "flee" / name
    return path if (path / "input_csv" / "locations.csv").is_file() else None


class Page:
    """A loaded report page with what it logged: console messages, page errors, dialogs and requests."""

    def __init__(self, ctx: Any, report: Path) -> None:
        self.url = report.resolve().as_uri()
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page = ctx.new_page()
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready='1']", timeout=15_000)

    def close(self) -> None:
        self.page.close()


def make_run(root: Path, rename: dict[str, str] | None = None, days: int | None = None) -> Path:
    """The demo scenario (places renamed as asked), run with seed 0, its results and report in ``root/run``."""
    import crossings as cx
    from crossings.api import write_report, write_run
    from crossings.scenarios.demo import write_demo

    sc_dir = write_demo(root / "demo")
    for old, new in (rename or {}).items():
        for f in ("input_csv/locations.csv", "input_csv/routes.csv", "input_csv/closures.csv",
                  "source_data/data_layout.csv"):
            p = sc_dir / f
            p.write_text(p.read_text().replace(old, new))
    run = root / "run"
    write_run(cx.run(cx.load_scenario(sc_dir), seed=0, days=days), run)
    write_report(run)
    return run




def russia_scenario() -> Path:
    """The bundled default scenario russia2022."""
    import crossings.scenarios

    return Path(crossings.scenarios.__file__).resolve().parent / "russia2022"


def russia_days() -> int | None:
    """Days of the shared russia2022 run: 500 (covers Serbia's April 2023 rows) unless CROSSINGS_RUSSIA_DAYS says
    otherwise (0 = the scenario's whole period, e.g. to refresh the screenshots in docs/)."""
    days = int(os.environ.get("CROSSINGS_RUSSIA_DAYS", "500"))
    return days if days > 0 else None


def make_russia_run(root: Path, days: int | None) -> Path:
    """russia2022 run with seed 0 for ``days`` days (None: all), its results and report in ``root/run``."""
    import crossings as cx
    from crossings.api import write_report, write_run

    run = root / "run"
    write_run(cx.run(cx.load_scenario(russia_scenario()), seed=0, days=days), run)
    write_report(run)
    return run


def copy_run(run: Path, target: Path, **summary_changes: Any) -> Path:
    """A copy of the run directory ``run`` in ``target`` with keys of summary.json replaced, and its report."""
    import json
    import shutil

    from crossings.api import write_report

    target.mkdir(parents=True, exist_ok=True)
    for f in run.iterdir():
        if f.suffix in (".parquet", ".json", ".csv"):
            shutil.copyfile(f, target / f.name)
    summary = json.loads((target / "summary.json").read_text())
    summary.update(summary_changes)
    (target / "summary.json").write_text(json.dumps(summary))
    write_report(target)
    return target
