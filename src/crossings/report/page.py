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
<dl class="totals">
<dt>displaced (simulated)</dt><dd id="tot-all"></dd>
<dt>in camps and destinations</dt><dd id="tot-camps"></dd>
<dt>on the road</dt><dd id="tot-roads"></dd>
</dl>
<table id="stocks"><thead><tr><th>place</th><th>country</th><th class="num">people</th></tr></thead>
<tbody></tbody></table>
<p class="muted" id="stocks-more"></p>
<div id="focus"></div>
</aside>
</main>
<section class="wide card" id="totals-section">
<h2>People displaced over time</h2>
<div id="totals-chart"></div>
<p class="muted">Dashed lines are observed counts, solid lines the simulation; marks along the top are the
scenario's events (listed below). Click a chart to move the day.</p>
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
        heading=html.escape(f"{name}: where people went"),
        css=_asset("report.css"),
        version=html.escape(str(meta.get("crossings_version", ""))),
        map_source=html.escape(map_source),
        data=json_for_html(payload),
        js=js,
    )
