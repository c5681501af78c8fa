"""The report page: one HTML file with its styles, script and data inline.

The data travel as JSON in a ``<script type="application/json">`` element with ``<``, ``>`` and ``&`` written as
``\\u003c`` etc., so no scenario string can close the element; the script puts every string into the page as
text. A Content-Security-Policy allows only the page's own script (by its hash) and no network request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from importlib import resources
from typing import Any

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
{css}
</style>
</head>
<body>
<header>
<h1>{heading}</h1>
<p class="meta" id="meta"></p>
<div class="whatif" id="whatif" hidden></div>
<details id="params" hidden><summary></summary><div class="params" id="params-list"></div></details>
</header>
<main>
<section class="card" id="map-section">
<div class="controls">
<button id="play" type="button">▶ Play</button>
<input id="day" type="range" min="0" max="0" step="1" value="0" aria-label="day">
<span id="day-label"></span>
</div>
<p id="map-missing" class="muted" hidden>The scenario could not be read from the path in summary.json, so there is
no map; the charts below come from the results alone.</p>
<svg id="map" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="map of places and routes"></svg>
<div class="legend" id="map-legend"></div>
<p class="muted" id="thinned"></p>
</section>
<aside class="card" id="side">
<h2>On <span id="side-date"></span></h2>
<dl class="totals" id="totals">
<dt>displaced (simulated)</dt><dd id="tot-all"></dd>
<dt>in camps and destinations</dt><dd id="tot-camps"></dd>
<dt>on the road</dt><dd id="tot-roads"></dd>
</dl>
<div id="countries-now" hidden>
<h3>Countries abroad</h3>
<table id="countries-table"><thead><tr><th>country</th><th class="num">people</th>
<th class="num" id="countries-emig" hidden title="people present who are emigrants (not on a short trip)">emigrants</th>
<th class="num">permit holders</th>
</tr></thead><tbody></tbody></table>
<h3 class="next">Places abroad and on the way</h3>
</div>
<table id="stocks"><thead><tr><th>place</th><th>country</th><th class="num">people</th></tr></thead>
<tbody></tbody></table>
<p class="muted" id="stocks-more"></p>
<div id="focus"></div>
</aside>
</main>
<section class="wide card" id="totals-section">
<h2 id="totals-title">People displaced over time</h2>
<div id="totals-chart"></div>
<p class="muted" id="totals-note">Dashed lines are observed counts, solid lines the simulation; marks along the top are
the scenario's events (listed below). Click a chart to move the day.</p>
</section>
<section class="wide card" id="countries-section" hidden>
<h2>Countries: what border statistics count, and who stays</h2>
<p class="muted">For each destination country: the entries counted at its borders so far (a visa run leaves and
comes back, so each re-entry counts again), the people present, the residence permit holders and the permits
granted so far. Dots and bars are the observations of the fit table, drawn where the simulated line they are
compared with should pass: a count over a period starts from the simulated total on the day before it, a stock is
drawn on its date, a range as a bar. Hover a mark for its row.</p>
<div class="jump" id="country-index"></div>
<div class="grid" id="country-charts"></div>
<p class="muted" id="no-entries"></p>
</section>
<section class="wide card" id="crossings-section" hidden>
<h2>Crossings: queues and waits</h2>
<p class="muted">Each land crossing where a queue formed, over the days around it: the people in the queue at the
end of the day and those let through that day; and the mean wait of that day's passers. Observations (queue
length in km or vehicles, waiting hours) are converted to people and days with their row's scale.</p>
<div class="grid pairs" id="crossing-charts"></div>
</section>
<section class="wide card" id="who-section" hidden>
<h2>Who left</h2>
<p class="muted">Per group of leavers: people leaving home per week (bars), those away (left and not back) and
those back home so far. Travellers make ordinary round trips that border statistics count along with
emigrants; they are shown apart.</p>
<div class="grid" id="emigrant-charts"></div>
<h3 class="sub" id="traveller-title" hidden>Travellers (round trips)</h3>
<div class="grid" id="traveller-charts"></div>
</section>
<section class="wide card" id="obsfit-section" hidden>
<h2>Fit to observations</h2>
<p id="obsfit-summary"></p>
<div class="filters" id="obsfit-roles"></div>
<div class="scroll tall">
<table id="obsfit"><thead><tr><th class="num" data-sort="line">line</th><th data-sort="period">period</th>
<th data-sort="country">country</th><th data-sort="place">place</th><th data-sort="measure">measure</th>
<th class="num" data-sort="observed">observed</th><th class="num" data-sort="simulated">simulated</th>
<th class="num" data-sort="ratio">ratio</th><th data-sort="inside">inside</th><th data-sort="role">role</th>
</tr></thead><tbody></tbody></table>
</div>
<p class="muted">One row per observation of the scenario's observed.csv (docs/fit.md). A row is inside (✓) when
the simulated value lies in its range, or within ±25 % of a single value; — marks rows that are not scored
(the simulated cell says why). Click a column to sort by it.</p>
</section>
<section class="wide card" id="model-section" hidden>
<h2 id="model-title"></h2>
<p class="muted" id="model-note"></p>
<div class="grid" id="model-charts"></div>
</section>
<section class="wide card" id="camps-section">
<h2>Camps, destinations and crossings: simulated and observed</h2>
<div class="grid" id="camp-charts"></div>
</section>
<section class="wide card" id="tables-section">
<h2>Other series</h2>
<div class="grid" id="table-charts"></div>
</section>
<section class="wide two">
<div class="card" id="fit-section">
<h2>Fit to observed camp counts</h2>
<table id="fit">
<thead><tr><th>camp</th><th class="num">observed<br>on <span id="fit-days"></span></th><th class="num">simulated</th>
<th class="num">ARD share<br>normal</th><th class="num">ARD share<br>rescaled</th></tr></thead>
<tbody></tbody>
<tfoot><tr><th>all camps</th><th class="num"></th><th class="num"></th><th class="num"></th>
<th class="num"></th></tr></tfoot>
</table>
<p class="muted">Flee's averaged relative difference: each day, the sum over camps of |simulated − observed| divided
by the observed camp total, averaged over the days; "rescaled" first scales the simulated camps to the observed
total. Each camp's share is its part of that sum, so the shares add up to the run's ARD.</p>
</div>
<div class="card" id="events-section">
<h2>Timeline of events</h2>
<div class="scroll">
<table id="events"><thead><tr><th class="num">date</th><th class="num">day</th><th>event</th><th>source</th>
</tr></thead>
<tbody></tbody></table>
</div>
<p class="muted">Click an event to show that day.</p>
</div>
</section>
<footer>
Made by crossings {version}. {map_source}
</footer>
<script type="application/json" id="report-data">{data}</script>
<script>{js}</script>
</body>
</html>
"""


def _asset(name: str) -> str:
    return resources.files("crossings.report").joinpath("assets", name).read_text("utf-8")


def json_for_html(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` appears literally."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render(payload: dict) -> str:
    """The complete HTML page for the report data ``payload`` (see :func:`crossings.report.data.collect`)."""
    js = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "connect-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'")
    meta = payload.get("meta", {})
    name = str(meta.get("scenario", "run"))
    source = payload.get("outline_source") or ""
    map_source = f"Country outlines: {source} (public domain)." if source else ""
    return _TEMPLATE.format(
        csp=csp.replace('"', "&quot;"),
        title=html.escape(f"{name} · crossings report"),
        heading=html.escape(f"{name}: who left, and where they went" if payload.get("emigration")
                            else f"{name}: where people went"),
        css=_asset("report.css"),
        version=html.escape(str(meta.get("crossings_version", ""))),
        map_source=html.escape(map_source),
        data=json_for_html(payload),
        js=js,
    )
