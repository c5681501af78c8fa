(function () {
  'use strict';
  // Every string from the scenario reaches the page through textContent or setAttribute, never as markup.
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var KIND_LABEL = {conflict_zone: 'conflict zone', town: 'town', camp: 'camp', idpcamp: 'IDP camp',
    forwarding_hub: 'forwarding hub', marker: 'waypoint', other: 'other', origin: 'origin', airport: 'airport',
    crossing: 'border crossing', destination: 'destination'};
  var SHELTER = {camp: 1, idpcamp: 1, destination: 1};
  var EVENT_LABEL = {conflict: 'conflict starts', peace: 'conflict ends', closure: 'closure', opening: 'reopening'};
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var kept = D.kept, nKept = kept.length;
  var FLOW_LABEL = D.flow_measure === 'n_on_link' ? 'people on the road' : 'people setting out that day';
  var nDays = D.dates.length;
  var cur = nKept - 1, focus = -1, timer = null;
  var cursors = [];
  var E = D.emigration || null;  // the emigration model's part (crossings.report.emigration), or null
  var KEY_COLOR = {abroad: '#1f5fbf', on_way: '#e07b00', away_emig: '#c62828', away_rt: '#6b7280',
    entries: '#e07b00', present: '#1f5fbf', emigrants: '#c62828', permits: '#0f8a80', granted: '#7b3fa0',
    queue: '#1f5fbf', passed: '#e07b00', wait: '#c62828',
    left: '#7b3fa0', left_week: '#b9a3d0', away: '#1f5fbf', back: '#15803d'};
  var KEY_DASH = {granted: '5 3', left: '5 3'};
  var chartWraps = {};

  function $(id) { return document.getElementById(id); }
  function svg(tag, attrs, parent) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]); }
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(tag, attrs, text, parent) {
    var e = document.createElement(tag);
    for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]); }
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(n) {
    if (n === null || n === undefined || isNaN(n)) return '–';
    var s = String(Math.round(Math.abs(n))), out = '';
    while (s.length > 3) { out = ',' + s.slice(-3) + out; s = s.slice(0, -3); }
    return (n < 0 ? '-' : '') + s + out;
  }
  function short(n) {
    var a = Math.abs(n);
    if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1).replace(/\.0$/, '') + 'M';
    if (a >= 1e4) return (n / 1e3).toFixed(0) + 'k';
    if (a >= 1e3) return (n / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
    return String(Math.round(n * 100) / 100);
  }
  function dateText(iso) {
    var p = iso.split('-');
    return +p[2] + ' ' + MONTHS[+p[1] - 1] + ' ' + p[0];
  }
  function kindColor(kind) {
    var v = {conflict_zone: '--conflict', town: '--town', camp: '--camp', idpcamp: '--idpcamp',
      forwarding_hub: '--hub', origin: '--conflict', airport: '--hub', destination: '--camp'}[kind] || '--marker';
    return getComputedStyle(document.documentElement).getPropertyValue(v).trim();
  }
  function inConflict(loc, day) {
    if (!loc.conflict) return false;
    for (var i = 0; i < loc.conflict.length; i++) {
      if (day >= loc.conflict[i][0] && day < loc.conflict[i][1]) return true;
    }
    return false;
  }
  function keptIndex(day) {  // the kept index whose day is closest to ``day``
    var best = 0;
    for (var i = 0; i < nKept; i++) { if (Math.abs(kept[i] - day) < Math.abs(kept[best] - day)) best = i; }
    return best;
  }

  // ---- header ---------------------------------------------------------------------------------------
  function header() {
    var m = D.meta, box = $('meta');
    function item(label, value) {
      if (value === undefined || value === null || value === '') return;
      var s = html('span', {}, null, box);
      s.appendChild(document.createTextNode(label + ' '));
      html('b', {}, value, s);
    }
    item('period', D.dates.length ? dateText(D.dates[0]) + ' – ' + dateText(D.dates[nDays - 1]) : '');
    item('days', m.days);
    item('format', m.format);
    item('rules', m.rules);
    item('seed', m.seed);
    item('agents at the end', typeof m.agents_final === 'number' ? fmt(m.agents_final) : null);
    if (typeof m.ard_rescaled === 'number') item('ARD rescaled', m.ard_rescaled.toFixed(3));
    if (typeof m.ard_normal === 'number') item('ARD normal', m.ard_normal.toFixed(3));
    if (typeof m.members === 'number') item('ensemble members', m.members);
    if (typeof m.ard_rescaled_members_median === 'number') {
      item('ARD rescaled, members\u2019 median', m.ard_rescaled_members_median.toFixed(3));
    }
    if (m.coverage && typeof m.coverage.share === 'number') {
      item('90 % band holds', (100 * m.coverage.share).toFixed(0) + ' % of ' + m.coverage.points +
           ' observed camp counts');
    }
    var cp = m.coverage_predictive;
    if (cp && typeof cp.share === 'number') {
      item('90 % predictive band holds', (100 * cp.share).toFixed(0) + ' % of ' + cp.points +
           ' (with the model error of ' + (cp.error_from || []).join(', ') + (cp.in_sample ? ', in sample)' : ')'));
    }
    if (E) {
      item('model', m.model);
      item('1 agent =', fmt(E.people_per_agent) + ' people');
      var fs = E.fit && E.fit.summary;
      if (fs && typeof fs.scored === 'number') item('fit', fs.inside + ' of ' + fs.scored + ' scored rows inside');
    }
    item('crossings', m.crossings_version);
    whatIf();
    parameters();
  }
  function whatIf() {
    var w = D.what_if || [];
    if (!w.length) return;
    var box = $('whatif');
    box.hidden = false;
    html('span', {'class': 'label'}, w.length > 1 ? 'What if (' + w.length + ' changes):' : 'What if:', box);
    w.forEach(function (t) { html('code', {}, t, box); });
  }
  function parameters() {
    var p = D.parameters || [];
    if (!p.length) return;
    var det = $('params');
    det.hidden = false;
    det.querySelector('summary').textContent = p.length + ' named parameters (the values of this run)';
    var box = $('params-list');
    p.forEach(function (kv) {
      var s = html('span', {}, null, box);
      html('b', {}, kv[0], s);
      s.appendChild(document.createTextNode(' = ' + String(kv[1])));
    });
  }

  // ---- map ------------------------------------------------------------------------------------------
  var maxStock = 1, maxFlow = 1, markers = [], labels = [], flows = [], countryLabels = [];
  function buildMap() {
    var box = $('map');
    if (!D.map) {
      $('map-missing').hidden = false;
      box.style.display = 'none';
      return;
    }
    box.setAttribute('viewBox', '0 0 ' + D.map.width + ' ' + D.map.height);
    var gO = svg('g', {id: 'outlines'}, box);
    D.map.outlines.forEach(function (c) {
      var p = svg('path', {'class': 'country', d: c.d}, gO);
      svg('title', {}, p).textContent = c.name;
    });
    var defs = svg('defs', {}, box);
    var mk = svg('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 5, refY: 5, markerWidth: 2.2, markerHeight: 2.2,
      orient: 'auto', markerUnits: 'strokeWidth'}, defs);
    svg('path', {d: 'M0,0 L10,5 L0,10 z', fill: '#e07b00'}, mk);
    var gR = svg('g', {id: 'routes'}, box), gF = svg('g', {id: 'flows'}, box);
    var X = D.map.x, Y = D.map.y;
    D.routes.forEach(function (r, i) {
      var l = svg('line', {'class': 'route mode-' + r.mode, x1: X[r.a], y1: Y[r.a], x2: X[r.b], y2: Y[r.b]}, gR);
      svg('title', {}, l).textContent = D.locations[r.a].name + ' – ' + D.locations[r.b].name + ' (' + r.mode + ')';
      var f = svg('polyline', {'class': 'flow', 'data-route': i, 'marker-mid': 'url(#arrow)'}, gF);
      svg('title', {}, f);
      flows.push(f);
    });
    var gC = svg('g', {id: 'country-labels'}, box);
    D.map.outlines.forEach(function (c) {
      if (!c.label) return;
      var t = svg('text', {'class': 'country-label', x: c.label[0], y: c.label[1], 'text-anchor': 'middle'}, gC);
      t.textContent = c.name;
      countryLabels.push(t);
    });
    var gP = svg('g', {id: 'places'}, box), gL = svg('g', {id: 'labels'}, box);
    D.locations.forEach(function (loc, i) {
      var g = svg('g', {'class': 'loc k-' + loc.kind, 'data-index': i, 'data-name': loc.name}, gP);
      svg('title', {}, g);
      svg('circle', {'class': 'stock', cx: X[i], cy: Y[i], r: 0}, g);
      symbol(g, loc.kind, X[i], Y[i]);
      g.addEventListener('click', function () { setFocus(i); });
      markers.push(g);
      var t = svg('text', {'class': 'label'}, gL);
      t.textContent = loc.name;
      labels.push(t);
    });
    D.stocks.forEach(function (row) { row.forEach(function (v) { if (v > maxStock) maxStock = v; }); });
    [D.flow_ab, D.flow_ba].forEach(function (m) {
      m.forEach(function (row) { row.forEach(function (v) { if (v > maxFlow) maxFlow = v; }); });
    });
  }
  function symbol(parent, kind, x, y, cls) {
    var c = 'sym k-' + kind + (cls ? ' ' + cls : '');
    if (kind === 'camp' || kind === 'idpcamp' || kind === 'destination') {
      return svg('rect', {'class': c, x: x - 4, y: y - 4, width: 8, height: 8}, parent);
    }
    if (kind === 'marker' || kind === 'forwarding_hub' || kind === 'crossing' || kind === 'airport') {
      return svg('path', {'class': c, d: 'M' + x + ',' + (y - 4.5) + 'l4.5,4.5l-4.5,4.5l-4.5,-4.5z'}, parent);
    }
    if (kind === 'conflict_zone' || kind === 'origin') {
      return svg('path', {'class': c, d: 'M' + x + ',' + (y - 5) + 'l5,8.5h-10z'}, parent);
    }
    return svg('circle', {'class': c, cx: x, cy: y, r: 3.5}, parent);
  }
  function radius(n) { return n > 0 ? 2 + 26 * Math.sqrt(n / maxStock) : 0; }

  function updateMap() {
    if (!D.map) return;
    var day = kept[cur], row = D.stocks[cur], X = D.map.x, Y = D.map.y;
    markers.forEach(function (g, i) {
      var n = row[i] || 0, loc = D.locations[i];
      g.setAttribute('data-n', n);
      var o = E && E.origins ? E.origins[i] : null;
      g.firstChild.textContent = o ? loc.name + ' (origin, ' + loc.country + '): ' +
        fmt(o.left ? o.left[cur] : null) + ' left from here so far (each trip counted), ' +
        fmt(o.back ? o.back[cur] : null) + ' back home here, on ' + dateText(D.dates[day]) :
        loc.name + ' (' + (KIND_LABEL[loc.kind] || loc.kind) + ', ' + loc.country +
        '): ' + fmt(n) + ' people on ' + dateText(D.dates[day]);
      g.childNodes[1].setAttribute('r', radius(n).toFixed(1));
      var war = inConflict(loc, day);
      g.classList.toggle('in-conflict', war);
      g.childNodes[2].classList.toggle('in-conflict', war);
    });
    D.routes.forEach(function (r, i) {
      var ab = D.flow_ab[cur][i] || 0, ba = D.flow_ba[cur][i] || 0, n = ab + ba, f = flows[i];
      if (n <= 0) { f.setAttribute('points', ''); f.style.display = 'none'; return; }
      f.style.display = '';
      var a = ab >= ba ? r.a : r.b, b = ab >= ba ? r.b : r.a;
      var mx = (X[a] + X[b]) / 2, my = (Y[a] + Y[b]) / 2;
      f.setAttribute('points', X[a] + ',' + Y[a] + ' ' + mx.toFixed(1) + ',' + my.toFixed(1) + ' ' + X[b] + ',' + Y[b]);
      f.setAttribute('stroke-width', (1.5 + 8.5 * n / maxFlow).toFixed(2));
      f.firstChild.textContent = D.locations[r.a].name + ' → ' + D.locations[r.b].name + ': ' + fmt(ab) + '; ' +
        D.locations[r.b].name + ' → ' + D.locations[r.a].name + ': ' + fmt(ba) + ' (' + FLOW_LABEL + ')';
    });
    placeLabels(row);
  }

  function placeLabels(row) {
    var X = D.map.x, Y = D.map.y, W = D.map.width, H = D.map.height;
    var order = D.locations.map(function (_, i) { return i; });
    var prio = function (i) {
      var k = D.locations[i].kind;
      return (row[i] || 0) + (SHELTER[k] || k === 'conflict_zone' || k === 'origin' || k === 'crossing' ?
        maxStock * 0.02 : 0);
    };
    order.sort(function (a, b) { return prio(b) - prio(a); });
    var boxes = [], shown = 0, limit = 28;
    // markers' own symbols are obstacles too
    var syms = D.locations.map(function (_, i) { return [X[i] - 5, Y[i] - 5, X[i] + 5, Y[i] + 5]; });
    function free(b) {
      if (b[0] < 2 || b[2] > W - 2 || b[1] < 2 || b[3] > H - 2) return false;
      for (var j = 0; j < boxes.length; j++) {
        var o = boxes[j];
        if (b[0] < o[2] && b[2] > o[0] && b[1] < o[3] && b[3] > o[1]) return false;
      }
      for (var s = 0; s < syms.length; s++) {
        var q = syms[s];
        if (b[0] < q[2] && b[2] > q[0] && b[1] < q[3] && b[3] > q[1]) return false;
      }
      return true;
    }
    order.forEach(function (i) {
      var t = labels[i];
      var loc = D.locations[i], minor = loc.kind === 'town' || loc.kind === 'marker' || loc.kind === 'other';
      var empty = (row[i] || 0) <= 0 && minor && !inConflict(loc, kept[cur]);
      if (shown >= limit || empty && D.locations.length > 12) { t.style.display = 'none'; return; }
      var w = t.getComputedTextLength ? t.getComputedTextLength() : t.textContent.length * 6.2;
      if (!w) w = t.textContent.length * 6.2;
      var h = 12, r = Math.max(radius(row[i] || 0), 5), x = X[i], y = Y[i];
      var tries = [[x + 7, y + 4, 'start'], [x - 7, y + 4, 'end'], [x, y - 8, 'middle'], [x, y + 16, 'middle'],
        [x + r * 0.75 + 2, y - r * 0.75, 'start'], [x - r * 0.75 - 2, y + r * 0.75 + 9, 'end']];
      for (var k = 0; k < tries.length; k++) {
        var tx = tries[k][0], ty = tries[k][1], anchor = tries[k][2];
        var x0 = anchor === 'start' ? tx : anchor === 'end' ? tx - w : tx - w / 2;
        var b = [x0 - 1, ty - h + 2, x0 + w + 1, ty + 3];
        if (free(b)) {
          t.setAttribute('x', tx.toFixed(1)); t.setAttribute('y', ty.toFixed(1)); t.setAttribute('text-anchor', anchor);
          t.style.display = '';
          boxes.push(b); shown++;
          return;
        }
      }
      t.style.display = 'none';
    });
    // country names last, only where they touch no place, label or stock circle
    var circles = D.locations.map(function (_, i) {
      var r = radius(row[i] || 0);
      return [X[i] - r, Y[i] - r, X[i] + r, Y[i] + r];
    });
    countryLabels.forEach(function (t) {
      var w = t.getComputedTextLength() || t.textContent.length * 6.5;
      var x = +t.getAttribute('x'), y = +t.getAttribute('y');
      var b = [x - w / 2 - 2, y - 11, x + w / 2 + 2, y + 3];
      var ok = free(b);
      for (var c = 0; ok && c < circles.length; c++) {
        var q = circles[c];
        if (b[0] < q[2] && b[2] > q[0] && b[1] < q[3] && b[3] > q[1]) ok = false;
      }
      t.style.display = ok ? '' : 'none';
      if (ok) boxes.push(b);
    });
  }

  function legend() {
    var box = $('map-legend');
    D.kinds.forEach(function (k) {
      var it = html('span', {'class': 'item'}, null, box);
      var s = svg('svg', {width: 12, height: 12, viewBox: '-6 -6 12 12'}, it);
      symbol(s, k, 0, 0);
      it.appendChild(document.createTextNode(KIND_LABEL[k] || k));
    });
    var modes = {};
    D.routes.forEach(function (r) { modes[r.mode] = 1; });
    Object.keys(modes).forEach(function (m) {
      var it = html('span', {'class': 'item'}, null, box);
      var s = svg('svg', {width: 22, height: 8}, it);
      svg('line', {'class': 'route mode-' + m, x1: 0, y1: 4, x2: 22, y2: 4, stroke: '#9aa3ad', 'stroke-width': 1.6,
        'stroke-dasharray': m === 'flight' || m === 'air' ? '6 4' : m === 'foot' ? '2 3' : null}, s);
      it.appendChild(document.createTextNode(m));
    });
    var it = html('span', {'class': 'item'}, null, box);
    var s = svg('svg', {width: 22, height: 10}, it);
    svg('line', {x1: 0, y1: 5, x2: 22, y2: 5, stroke: '#e07b00', 'stroke-width': 5, 'stroke-opacity': 0.75}, s);
    it.appendChild(document.createTextNode(FLOW_LABEL + ' (width)'));
    it = html('span', {'class': 'item'}, null, box);
    s = svg('svg', {width: 14, height: 14}, it);
    svg('circle', {cx: 7, cy: 7, r: 6, fill: 'rgba(31,95,191,0.22)', stroke: 'rgba(31,95,191,0.75)'}, s);
    it.appendChild(document.createTextNode(E ? 'people present (area; none drawn at origins)' : 'people present (area)'));
  }

  // ---- side panel -----------------------------------------------------------------------------------
  function updateSide() {
    var day = kept[cur], row = D.stocks[cur];
    $('day-label').textContent = 'day ' + day + ' · ' + dateText(D.dates[day]);
    $('side-date').textContent = dateText(D.dates[day]);
    if (E) { updateSideEmigration(row, day); return; }
    var total = 0, camps = 0, roads = 0;
    row.forEach(function (v, i) {
      total += v;
      var k = D.locations[i].kind;
      if (SHELTER[k]) camps += v;
    });
    roads = D.on_road[cur] || 0;
    $('tot-all').textContent = fmt(total + roads);
    $('tot-camps').textContent = fmt(camps);
    $('tot-roads').textContent = fmt(roads);
    placeTable(row, day, false);
  }
  function placeTable(row, day, skipOrigins) {
    var tb = $('stocks').tBodies[0];
    while (tb.firstChild) tb.removeChild(tb.firstChild);
    var order = row.map(function (v, i) { return i; }).filter(function (i) {
      return row[i] > 0 && !(skipOrigins && D.locations[i].kind === 'origin');
    });
    order.sort(function (a, b) { return row[b] - row[a] || a - b; });
    order.slice(0, 10).forEach(function (i) {
      var loc = D.locations[i];
      var tr = html('tr', {'data-index': i}, null, tb);
      var td = html('td', {'class': 'name'}, null, tr);
      var dot = html('span', {'class': 'kinddot'}, null, td);
      dot.style.background = kindColor(inConflict(loc, day) ? 'conflict_zone' : loc.kind);
      td.appendChild(document.createTextNode(loc.name));
      html('td', {}, loc.country, tr);
      html('td', {'class': 'num'}, fmt(row[i]), tr);
      tr.addEventListener('click', function () { setFocus(i); });
    });
    $('stocks-more').textContent = order.length > 10 ? (order.length - 10) + ' more places hold people' : '';
  }

  function setDay(i) {
    cur = Math.max(0, Math.min(nKept - 1, i));
    $('day').value = cur;
    updateMap();
    updateSide();
    var day = kept[cur];
    cursors.forEach(function (c) { placeCursor(c, day); });
  }

  function setFocus(i) {
    focus = i;
    markers.forEach(function (g, j) { g.classList.toggle('focus', j === i); });
    var box = $('focus');
    while (box.firstChild) box.removeChild(box.firstChild);
    if (i < 0) return;
    var loc = D.locations[i];
    html('h3', {}, loc.name + ' · ' + (KIND_LABEL[loc.kind] || loc.kind) + (loc.country ? ', ' + loc.country : ''), box);
    if (loc.note) html('p', {'class': 'note'}, loc.note, box);
    var chart = null;
    D.charts.forEach(function (c) { if (c.location === i) chart = c; });
    var o = E && E.origins ? E.origins[i] : null;
    if (!chart && o) {
      html('p', {'class': 'note'}, 'An origin: people leave from here. Its circle is not drawn, since the people ' +
        'present here are those who came back.', box);
      chart = {id: 'focus-' + i, title: '', unit: 'people', series: [
        {name: 'left from here so far (each trip counted)', role: 'line', key: 'left', values: o.left || []},
        {name: 'back home here so far', role: 'line', key: 'back', values: o.back || []}]};
    }
    if (!chart) {
      chart = {id: 'focus-' + i, title: '', unit: 'people',
        series: [{name: 'people present (simulated)', role: 'sim', values: D.stocks.map(function (r) { return r[i]; })}]};
    }
    lineChart(box, chart, {width: 380, height: 180, title: false, events: false});
  }

  // ---- charts ---------------------------------------------------------------------------------------
  function niceStep(span, n) {
    var raw = span / Math.max(n, 1), p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
  }
  function monthTicks(d0, d1, maxTicks) {
    // first days of months within [d0, d1], thinned to at most maxTicks
    var out = [];
    for (var d = d0; d <= d1; d++) { if (D.dates[d].slice(8) === '01') out.push(d); }
    if (out.length < 2) {
      var st = Math.max(1, Math.ceil((d1 - d0) / maxTicks));
      out = [];
      for (var e = d0; e <= d1; e += st) out.push(e);
      return {ticks: out, label: function (x, k) {  // a window of weeks: day and month, the year on the first tick
        var p = D.dates[x].split('-');
        return +p[2] + ' ' + MONTHS[+p[1] - 1] + (k === 0 ? ' ' + p[0] : '');
      }};
    }
    var every = [1, 2, 3, 4, 6, 12, 24, 36, 60].find(function (k) { return out.length / k <= maxTicks; }) || 120;
    var ticks = out.filter(function (d) {
      var mo = (+D.dates[d].slice(0, 4)) * 12 + (+D.dates[d].slice(5, 7)) - 1;
      return mo % every === 0;
    });
    return {ticks: ticks, label: function (x, k) {
      var p = D.dates[x].split('-');
      return (k === 0 || p[1] === '01' || every >= 12) ? MONTHS[+p[1] - 1] + ' ' + p[0] : MONTHS[+p[1] - 1];
    }};
  }

  function lineChart(container, chart, opt) {
    // chart: {id, title, series: [{name, role, values, key?, days?, style?, lo?, hi?, points?}], window?, marks?}
    // A series is drawn at the kept days unless it carries its own ``days``; ``window`` = [first, last] day shown.
    opt = opt || {};
    var wrap = html('div', {'class': 'chart' + (opt.cls ? ' ' + opt.cls : ''), 'data-chart': chart.id}, null, container);
    chartWraps[chart.id] = wrap;
    // drawn at the size it is shown, so that its text has the page's size
    var W = Math.max(240, Math.round(wrap.clientWidth || opt.width || 560)), H = opt.height || 220;
    var M = {l: 52, r: 12, t: 10, b: 24};
    if (opt.title !== false) html('h3', {}, chart.title, wrap);
    var lg = html('div', {'class': 'legend'}, null, wrap);
    var palette = ['#1f5fbf', '#e07b00', '#0f8a80', '#c62828', '#7b3fa0', '#6b7280', '#b45309', '#15803d'];
    var d0 = chart.window ? chart.window[0] : 0;
    var d1 = chart.window ? Math.max(chart.window[1], d0 + 1) : Math.max(nDays - 1, 1);
    var marks = (chart.marks || []).filter(function (m) { return m.d1 >= d0 && m.d0 <= d1; });
    function xOf(se) { return se.days || kept; }
    var ymax = 0;
    chart.series.forEach(function (s) {
      (s.hi || s.values).forEach(function (v) { if (v !== null && v > ymax) ymax = v; });
      (s.points || []).forEach(function (p) { if (p[1] > ymax) ymax = p[1]; });
    });
    marks.forEach(function (m) {
      [m.v, m.lo, m.hi].forEach(function (v) { if (v !== null && v !== undefined && v > ymax) ymax = v; });
    });
    if (ymax <= 0) ymax = 1;
    var step = niceStep(ymax, 4), top = Math.ceil(ymax / step) * step;
    var sx = function (d) { return M.l + (W - M.l - M.r) * (d - d0) / (d1 - d0); };
    var sy = function (v) { return H - M.b - (H - M.t - M.b) * v / top; };
    var s = svg('svg', {viewBox: '0 0 ' + W + ' ' + H, role: 'img'}, wrap);
    var ax = svg('g', {'class': 'axis'}, s);
    for (var v = 0; v <= top + step / 2; v += step) {
      svg('line', {'class': 'gridline', x1: M.l, x2: W - M.r, y1: sy(v), y2: sy(v)}, ax);
      var t = svg('text', {x: M.l - 6, y: sy(v) + 3.5, 'text-anchor': 'end'}, ax);
      t.textContent = short(v);
    }
    svg('line', {x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b}, ax);
    var mt = monthTicks(d0, d1, Math.max(2, Math.floor((W - M.l - M.r) / 62)));
    mt.ticks.forEach(function (d, k) {
      svg('line', {x1: sx(d), x2: sx(d), y1: H - M.b, y2: H - M.b + 4}, ax);
      var tt = svg('text', {x: sx(d), y: H - M.b + 15, 'text-anchor': 'middle'}, ax);
      tt.textContent = mt.label(d, k);
    });
    if (opt.events !== false) {
      D.events.forEach(function (e) {
        if (e.day < d0 || e.day > d1) return;
        var g = svg('g', {'class': 'ev-' + e.kind}, s);
        svg('line', {'class': 'event-mark', x1: sx(e.day), x2: sx(e.day), y1: M.t,
          y2: opt.eventLines ? H - M.b : M.t + 10}, g);
        svg('path', {d: 'M' + sx(e.day) + ',' + (M.t + 5) + 'l-3.5,-5h7z', stroke: 'none'}, g);
        svg('title', {}, g).textContent = dateText(e.date) + ': ' + e.text;
      });
    }
    chart.series.forEach(function (se, k) {
      var X = xOf(se);
      var color = se.key && KEY_COLOR[se.key] ? KEY_COLOR[se.key] : se.role === 'line' ? palette[k % palette.length] : null;
      var inside = function (i) { return X[i] >= d0 && X[i] <= d1; };
      if (se.lo && se.hi) {
        var up = [], dn = [];
        se.hi.forEach(function (v, i) { if (v !== null && inside(i)) up.push(sx(X[i]).toFixed(1) + ',' + sy(v).toFixed(1)); });
        for (var i = se.lo.length - 1; i >= 0; i--) {
          if (se.lo[i] !== null && inside(i)) dn.push(sx(X[i]).toFixed(1) + ',' + sy(se.lo[i]).toFixed(1));
        }
        var band = svg('polygon', {'class': 'band role-' + se.role, points: up.concat(dn).join(' ')}, s);
        band.style.fill = color || getComputedStyle(document.documentElement).getPropertyValue(
          se.role.indexOf('obs') === 0 ? '--obs' : '--sim').trim();
      }
      if (se.style === 'bars') {  // a flow per period (e.g. per week): one bar per entry of ``days``
        var gb = svg('g', {'class': 'bars', 'data-name': se.name}, s);
        gb.style.fill = color;
        var wd = se.width || 1;
        se.values.forEach(function (v, i) {
          if (v === null || v <= 0 || !inside(i)) return;
          var xa = sx(X[i]), xb = sx(Math.min(X[i] + wd, d1));
          svg('rect', {x: xa.toFixed(1), y: sy(v).toFixed(1), width: Math.max(0.8, xb - xa - 0.5).toFixed(1),
            height: (sy(0) - sy(v)).toFixed(1)}, gb);
        });
      } else {
        var pts = [];
        se.values.forEach(function (v, i) {
          if (v !== null && inside(i)) pts.push(sx(X[i]).toFixed(1) + ',' + sy(v).toFixed(1));
        });
        var line = svg('polyline', {'class': 'series role-' + se.role, points: pts.join(' '), 'data-name': se.name,
          'data-key': se.key}, s);
        if (color) line.style.stroke = color;
        if (se.key && KEY_DASH[se.key]) line.style.strokeDasharray = KEY_DASH[se.key];
      }
      if (se.points) {
        se.points.forEach(function (p) {
          if (p[0] < d0 || p[0] > d1) return;
          var c = svg('circle', {'class': 'obs-point', cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1), r: 2.6}, s);
          svg('title', {}, c).textContent = 'observed ' + fmt(p[1]) + (D.dates[p[0]] ? ' on ' + dateText(D.dates[p[0]]) : '');
        });
      }
      var it = html('span', {'class': 'item'}, null, lg);
      var sw = html('span', {'class': 'swatch role-' + se.role + (se.style === 'bars' ? ' bar' : '') +
        (se.key && KEY_DASH[se.key] ? ' dashed' : '')}, null, it);
      sw.style.borderTopColor = color || getComputedStyle(document.documentElement).getPropertyValue(
        '--' + (se.role === 'line' ? 'sim' : se.role)).trim();
      if (se.style === 'bars') sw.style.background = color;
      it.appendChild(document.createTextNode(se.name + (se.lo ? ' (band: ensemble range)' : '')));
    });
    if (marks.length) {
      drawMarks(s, marks, sx, sy, d0, d1);
      var mi = html('span', {'class': 'item'}, null, lg);
      var ms = svg('svg', {width: 12, height: 12, viewBox: '-6 -6 12 12'}, mi);
      svg('circle', {'class': 'obs-dot', cx: 0, cy: 0, r: 3.6, fill: '#fff'}, ms);
      mi.appendChild(document.createTextNode('observed (' + marks.length + ' rows; hover for each)'));
    }
    var cl = svg('line', {'class': 'cursor', y1: M.t, y2: H - M.b, x1: sx(kept[cur]), x2: sx(kept[cur])}, s);
    var cursor = {line: cl, sx: sx, d0: d0, d1: d1};
    cursors.push(cursor);
    placeCursor(cursor, kept[cur]);
    s.addEventListener('click', function (ev) {
      var r = s.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width;
      var day = Math.round(d0 + (x - M.l) / (W - M.l - M.r) * (d1 - d0));
      if (day >= 0 && day < nDays) setDay(keptIndex(day));
    });
    return wrap;
  }
  function placeCursor(c, day) {
    var x = c.sx(day);
    c.line.setAttribute('x1', x);
    c.line.setAttribute('x2', x);
    c.line.style.display = day < c.d0 || day > c.d1 ? 'none' : '';
  }

  // Observations of the fit table on a chart, each drawn where the simulated line it is compared with should
  // pass (crossings.report.emigration): "sum" at the period's end from the simulated total before it, "end" on
  // its date, "level" over the period; a range as a bar (or a band over the period).
  function drawMarks(s, marks, sx, sy, d0, d1) {
    var g = svg('g', {'class': 'marks'}, s);
    marks.forEach(function (m) {
      var color = KEY_COLOR[m.key] || '#222';
      var mg = svg('g', {'class': 'obs-mark kind-' + m.kind + ' role-' + m.role, 'data-line': m.line,
        'data-key': m.key}, g);
      svg('title', {}, mg).textContent = m.text;
      var a = Math.max(m.d0, d0), b = Math.min(m.d1, d1), xa = sx(a), xb = sx(b);
      var range = m.lo !== null && m.lo !== undefined && m.hi !== null && m.hi !== undefined;
      var v = m.v !== null && m.v !== undefined ? m.v : range ? null : m.lo !== null && m.lo !== undefined ? m.lo : m.hi;
      if (m.kind === 'level' && b > a) {
        if (range) {
          var r = svg('rect', {'class': 'obs-band', x: xa.toFixed(1), width: (xb - xa).toFixed(1), y: sy(m.hi).toFixed(1),
            height: Math.max(1, sy(m.lo) - sy(m.hi)).toFixed(1)}, mg);
          r.style.fill = color;
        }
        if (v !== null) svg('line', {'class': 'obs-seg', x1: xa.toFixed(1), x2: xb.toFixed(1), y1: sy(v).toFixed(1),
          y2: sy(v).toFixed(1)}, mg);
        return;
      }
      if (m.kind === 'sum' && m.d0 > d0 && v !== null) {
        svg('line', {'class': 'obs-rise', x1: sx(m.d0).toFixed(1), y1: sy(m.base || 0).toFixed(1), x2: xb.toFixed(1),
          y2: sy(v).toFixed(1)}, mg);
      }
      if (range) {
        var bar = svg('rect', {'class': 'obs-bar', x: (xb - 3).toFixed(1), width: 6, y: sy(m.hi).toFixed(1),
          height: Math.max(1.5, sy(m.lo) - sy(m.hi)).toFixed(1)}, mg);
        bar.style.fill = color;
      }
      if (v !== null) {
        var c = svg('circle', {'class': 'obs-dot', cx: xb.toFixed(1), cy: sy(v).toFixed(1), r: 3.6}, mg);
        c.style.fill = color;
      }
    });
  }

  function charts() {
    var tot = $('totals-chart'), camps = $('camp-charts'), other = $('table-charts');
    var nCamps = 0, nOther = 0, later = {camps: [], tables: []};
    D.charts.forEach(function (c) {
      if (c.group === 'totals') lineChart(tot, c, {width: 1200, height: 260, title: false, eventLines: true});
      else if (E) later[c.group === 'camps' ? 'camps' : 'tables'].push(c);  // drawn when opened
      else if (c.group === 'camps') { lineChart(camps, c, {width: 420, height: 190}); nCamps++; }
      else { lineChart(other, c, {width: 420, height: 190}); nOther++; }
    });
    if (E) {
      $('totals-title').textContent = 'Left home and not back, day by day';
      $('totals-note').textContent = 'Everyone who has left home and not come back is abroad or on the way. ' +
        'Marks along the top are the scenario\'s events (listed below). Click a chart to move the day.';
      $('camps-section').querySelector('h2').textContent = 'Places: people present day by day';
      $('tables-section').querySelector('h2').textContent = 'Every recorded series';
      nCamps = lazyCharts(camps, later.camps);
      nOther = lazyCharts(other, later.tables);
      emigrationCharts();
    }
    if (!nCamps) $('camps-section').hidden = true;
    if (!nOther) $('tables-section').hidden = true;
    modelSection();
  }
  function modelSection() {  // a model's own charts (Model.report_section's "charts"), under its title
    var S = D.section;
    if (!S || !S.charts || !S.charts.length) return;
    $('model-section').hidden = false;
    $('model-title').textContent = S.title || 'The model';
    $('model-note').textContent = S.note || '';
    S.charts.forEach(function (c) { lineChart($('model-charts'), c, {width: 420, height: 190}); });
  }
  function lazyCharts(grid, list) {  // many small charts behind a "Show" switch, drawn the first time it opens
    if (!list.length) return 0;
    var det = html('details', {'class': 'more'}, null);
    grid.parentNode.insertBefore(det, grid);
    html('summary', {}, 'Show ' + list.length + ' charts', det);
    det.appendChild(grid);
    var done = false;
    det.addEventListener('toggle', function () {
      if (!det.open || done) return;
      done = true;
      list.forEach(function (c) { lineChart(grid, c, {width: 420, height: 190}); });
    });
    return list.length;
  }

  // ---- the emigration model: countries, crossings, who left, fit to observations -----------------------
  function emigrationCharts() {
    if (E.countries.length) {
      $('countries-section').hidden = false;
      var box = $('country-charts'), idx = $('country-index');
      html('span', {'class': 'muted'}, 'Go to:', idx);
      E.countries.forEach(function (c, k) {
        var wrap = lineChart(box, c, {height: k === 0 ? 290 : 210, cls: k === 0 ? 'featured' : '', events: false});
        if (c.note) html('p', {'class': 'chart-note'}, c.note, wrap);
        if (k === 0 && c.snapshot) snapshotChart(box, c);
        var b = html('button', {type: 'button'}, c.title, idx);
        b.addEventListener('click', function () { wrap.scrollIntoView({block: 'start'}); });
      });
      if (E.no_entries.length) $('no-entries').textContent = 'Nobody entered ' + E.no_entries.join(', ') + '.';
    }
    if (E.crossings.length) {
      $('crossings-section').hidden = false;
      E.crossings.forEach(function (c) { lineChart($('crossing-charts'), c, {height: 200, events: false}); });
    }
    if (E.categories.length) {
      $('who-section').hidden = false;
      var nTrav = 0;
      E.categories.forEach(function (c) {
        var trav = c.group === 'travellers';
        if (trav) nTrav++;
        lineChart(trav ? $('traveller-charts') : $('emigrant-charts'), c,
          {height: 210, cls: c.aggregate && !trav ? 'featured' : '', events: false});
      });
      if (nTrav) {
        $('traveller-title').hidden = false;
        $('traveller-title').textContent = 'Travellers (' + E.round_trip.join(', ') + '): round trips, which ' +
          'border statistics count along with emigrants';
      }
    }
    obsFit();
  }

  // The featured country on one day: entries, people present, permits granted and holders as bars, each with
  // the observation of it nearest that day (a tick, a range as a band), so that the gap between what border
  // statistics count and who stays shows at a glance.
  function snapshotChart(container, c) {
    var sn = c.snapshot;
    var wrap = html('div', {'class': 'chart snapshot', 'data-chart': c.id + '-snapshot'}, null, container);
    html('h3', {}, c.title + ' on ' + dateText(D.dates[sn.day]), wrap);
    var W = Math.max(240, Math.round(wrap.clientWidth || 380)), rowH = 56, H = sn.bars.length * rowH + 4;
    var L = 4, R = W - 6, max = 1;
    sn.bars.forEach(function (b) {
      max = Math.max(max, b.value || 0);
      if (b.obs) [b.obs.v, b.obs.lo, b.obs.hi].forEach(function (v) { if (v !== null && v > max) max = v; });
    });
    var sx = function (v) { return L + (R - L) * v / max; };
    var s = svg('svg', {viewBox: '0 0 ' + W + ' ' + H, role: 'img'}, wrap);
    sn.bars.forEach(function (b, k) {
      var y = k * rowH + 4, g = svg('g', {'class': 'snap-bar', 'data-key': b.key}, s);
      svg('text', {'class': 'snap-label', x: L, y: y + 12}, g).textContent = b.label;
      var val = svg('text', {'class': 'snap-value', x: L, y: y + 47}, g);
      val.textContent = fmt(b.value);
      var r = svg('rect', {x: L, y: y + 17, width: Math.max(1, sx(b.value || 0) - L).toFixed(1), height: 16}, g);
      r.style.fill = KEY_COLOR[b.key] || '#1f5fbf';
      if (!b.obs) return;
      var o = b.obs, mg = svg('g', {'class': 'obs-mark', 'data-line': o.line, 'data-key': b.key}, g);
      svg('title', {}, mg).textContent = o.text;
      if (o.lo !== null && o.hi !== null) {
        svg('rect', {'class': 'obs-bar', x: sx(o.lo).toFixed(1), width: Math.max(2, sx(o.hi) - sx(o.lo)).toFixed(1),
          y: y + 15, height: 20}, mg).style.fill = '#fff';
      }
      var ov = o.v !== null ? o.v : o.lo !== null && o.hi !== null ? (o.lo + o.hi) / 2 : o.lo !== null ? o.lo : o.hi;
      svg('line', {'class': 'snap-obs', x1: sx(ov).toFixed(1), x2: sx(ov).toFixed(1), y1: y + 13, y2: y + 37}, mg);
      val.textContent = fmt(b.value) + ' simulated · observed ' + (o.v !== null ? fmt(o.v) : fmt(o.lo) + '–' + fmt(o.hi)) +
        (o.d1 !== sn.day ? ' (' + dateText(D.dates[o.d1]) + ')' : '');
    });
    html('p', {'class': 'chart-note'}, 'Bars: simulated on that day; black ticks: observations of the fit table ' +
      '(hover for the row).', wrap);
  }

  function sideEmigration() {
    var dl = $('totals');
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    [['left home, so far', 'tot-left', 'every departure from home so far (each of a traveller\'s trips counts)'],
      ['abroad', 'tot-abroad', 'in a country other than home'],
      ['on the way', 'tot-onway', 'left home, not yet abroad: on a road, in a queue, waiting for a seat'],
      ['back home, so far', 'tot-back', 'went home so far']].forEach(function (r) {
      html('dt', {title: r[2]}, r[0], dl);
      html('dd', {id: r[1]}, '', dl);
      if ((r[1] === 'tot-left' || r[1] === 'tot-back') && E.totals.left_emig) html('dd', {'class': 'sub', id: r[1] + '-sub'}, '', dl);
    });
    $('countries-now').hidden = false;
  }
  function seriesOf(chart, key) {
    for (var i = 0; i < chart.series.length; i++) { if (chart.series[i].key === key) return chart.series[i]; }
    return null;
  }
  function updateSideEmigration(row, day) {
    var T = E.totals;
    $('tot-left').textContent = fmt(T.left[cur]);
    $('tot-abroad').textContent = fmt(T.abroad[cur]);
    $('tot-onway').textContent = fmt(T.on_way[cur]);
    $('tot-back').textContent = fmt(T.back[cur]);
    if (T.left_emig) {
      $('tot-left-sub').textContent = 'emigrants ' + fmt(T.left_emig[cur]) + ' · travellers\' trips ' + fmt(T.left_rt[cur]);
      $('tot-back-sub').textContent = 'emigrants ' + fmt(T.back_emig[cur]) + ' · travellers ' + fmt(T.back_rt[cur]);
    }
    var tb = $('countries-table').tBodies[0];
    while (tb.firstChild) tb.removeChild(tb.firstChild);
    var list = E.countries.map(function (c) {
      var pr = seriesOf(c, 'present'), pe = seriesOf(c, 'permits'), em = seriesOf(c, 'emigrants');
      return {c: c, present: pr ? pr.values[cur] || 0 : 0, permits: pe ? pe.values[cur] || 0 : 0,
              emigrants: em ? em.values[cur] || 0 : null};
    }).filter(function (x) { return x.present > 0; });
    list.sort(function (a, b) { return b.present - a.present; });
    list.slice(0, 8).forEach(function (x) {
      var tr = html('tr', {'data-country': x.c.country}, null, tb);
      html('td', {'class': 'name'}, x.c.title, tr);
      html('td', {'class': 'num'}, fmt(x.present), tr);
      if (x.emigrants !== null) { $('countries-emig').hidden = false; html('td', {'class': 'num'}, fmt(x.emigrants), tr); }
      html('td', {'class': 'num'}, fmt(x.permits), tr);
      tr.addEventListener('click', function () {
        var w = chartWraps[x.c.id];
        if (w) w.scrollIntoView({block: 'start'});
      });
    });
    placeTable(row, day, true);
  }

  var ROLE_ORDER = {all: -1, calibration: 0, validation: 1, input: 2, not_modelled: 3};
  function roleRank(role) { return ROLE_ORDER[role] !== undefined ? ROLE_ORDER[role] : 9; }
  function numText(x) {
    if (x === null || x === undefined) return '–';
    if (Math.abs(x) >= 100 || x === Math.round(x)) return fmt(x);
    return String(+x.toPrecision(3));
  }
  function observedText(r) {
    var range = r.low !== null && r.high !== null;
    if (range) {
      var band = numText(r.low) + '–' + numText(r.high);
      return r.observed !== null ? numText(r.observed) + ' (' + band + ')' : band;
    }
    if (r.observed !== null) return numText(r.observed);
    if (r.low !== null) return '≥ ' + numText(r.low);
    return r.high !== null ? '≤ ' + numText(r.high) : '–';
  }
  function obsFit() {
    var f = E.fit;
    if (!f || !f.rows || !f.rows.length) return;
    $('obsfit-section').hidden = false;
    var sm = f.summary || {}, box = $('obsfit-summary'), by = sm.by_role || {};
    var ens = typeof sm.members === 'number';  // an ensemble's fit: the members' median is what is compared
    if (typeof sm.scored === 'number') {
      var head = html('span', {'class': 'line'}, null, box);
      html('b', {}, sm.inside + ' of ' + sm.scored, head);
      head.appendChild(document.createTextNode(' scored rows inside' + (ens ? ' (the median of ' + sm.members +
        ' members)' : '') + (sm.scored ? ' (' + Math.round(100 * sm.inside / sm.scored) + ' %)' : '') + ' of ' +
        sm.rows + ' rows' + (typeof sm.loss_calibration === 'number' ? '; calibration loss ' +
        sm.loss_calibration.toFixed(3) : '')));
    }
    if (ens && typeof sm.expected_inside_if_centred === 'number') {
      var hc = html('span', {'class': 'line', id: 'obsfit-centred'}, null, box);
      html('b', {}, 'if centred', hc);
      hc.appendChild(document.createTextNode(': a run of a model right on average on every row, with these ' +
        'members\u2019 spread, would expect ' + sm.expected_inside_if_centred.toFixed(1) + ' of the ' +
        sm.scored + ' scored rows inside; a low share in the last column marks a band narrower than the noise'));
      [['band', 'members 5–95 %'], ['members', 'members inside'], ['centred', 'inside if centred']]
        .forEach(function (c) { html('th', {'class': 'num', 'data-sort': c[0]}, c[1], $('obsfit').tHead.rows[0]); });
    }
    Object.keys(by).sort(function (a, b) { return roleRank(a) - roleRank(b); }).forEach(function (k) {
      if (!by[k].scored) return;
      var l = html('span', {'class': 'line', 'data-role': k}, null, box);
      html('b', {}, k, l);
      l.appendChild(document.createTextNode(': ' + by[k].inside + ' of ' + by[k].scored + ' inside'));
    });
    var ns = sm.not_scored || {}, nsKeys = Object.keys(ns);
    if (nsKeys.length) {
      var l2 = html('span', {'class': 'line'}, null, box);
      html('b', {}, 'not scored', l2);
      l2.appendChild(document.createTextNode(': ' + nsKeys.map(function (k) { return ns[k] + ' ' + k; }).join(', ')));
    }
    var tb = $('obsfit').tBodies[0];
    var rows = f.rows.map(function (r) {
      var tr = html('tr', {'data-role': r.role, 'data-status': r.status, 'data-line': r.line,
        title: [r.sim ? 'compared with ' + r.sim + (r.scale && r.scale !== 1 ? ' × ' + r.scale : '') : '', r.note]
          .filter(function (x) { return x; }).join('; ')}, null, null);
      html('td', {'class': 'num'}, r.line, tr);
      var p0 = r.period_start, p1 = r.period_end || r.period_start;
      html('td', {'class': 'period'}, p0 === p1 ? dateText(p0) : dateText(p0) + ' – ' + dateText(p1), tr);
      html('td', {}, r.country, tr);
      html('td', {}, r.place, tr);
      html('td', {'class': 'measure'}, r.measure, tr);
      html('td', {'class': 'num'}, observedText(r), tr);
      var simText = typeof r.simulated === 'number' ? numText(r.simulated) : r.status;
      if (typeof r.simulated === 'number' && r.status !== 'scored') simText += ' (' + r.status + ')';
      html('td', {'class': 'num'}, simText, tr);
      html('td', {'class': 'num'}, typeof r.ratio === 'number' ? r.ratio.toFixed(2) : '—', tr);
      var ok = r.status === 'scored' ? (r.inside ? '✓' : '✗') : '—';
      html('td', {'class': 'inside ' + (ok === '✓' ? 'yes' : ok === '✗' ? 'no' : '')}, ok, tr);
      html('td', {}, String(r.role || '').replace('_', ' '), tr);
      if (ens) {
        var q = typeof r.simulated_q05 === 'number' && typeof r.simulated_q95 === 'number';
        html('td', {'class': 'num'}, q ? numText(r.simulated_q05) + ' – ' + numText(r.simulated_q95) : '—', tr);
        html('td', {'class': 'num'}, pct(r.share_inside), tr);
        html('td', {'class': 'num centred'}, pct(r.share_inside_if_centred), tr);
      }
      return {r: r, tr: tr, ok: ok};
    });
    var key = 'role', dir = 1;
    var value = {
      line: function (x) { return x.r.line; },
      period: function (x) { return x.r.period_start + (x.r.period_end || ''); },
      country: function (x) { return x.r.country || ''; },
      place: function (x) { return x.r.place || ''; },
      measure: function (x) { return x.r.measure || ''; },
      observed: function (x) { return x.r.observed !== null ? x.r.observed : x.r.low !== null ? x.r.low : x.r.high; },
      simulated: function (x) { return typeof x.r.simulated === 'number' ? x.r.simulated : null; },
      ratio: function (x) { return typeof x.r.ratio === 'number' ? x.r.ratio : null; },
      inside: function (x) { return {'✓': 0, '✗': 1}[x.ok] !== undefined ? {'✓': 0, '✗': 1}[x.ok] : 2; },
      role: function (x) { return roleRank(x.r.role); },
      band: function (x) { return num(x.r.simulated_q05); },
      members: function (x) { return num(x.r.share_inside); },
      centred: function (x) { return num(x.r.share_inside_if_centred); }
    };
    function num(v) { return typeof v === 'number' ? v : null; }
    function pct(v) { return typeof v === 'number' ? Math.round(100 * v) + ' %' : '—'; }
    function compare(a, b) {
      var va = value[key](a), vb = value[key](b);
      if (va === null || va === undefined) return vb === null || vb === undefined ? a.r.line - b.r.line : 1;
      if (vb === null || vb === undefined) return -1;
      var c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return c * dir || a.r.line - b.r.line;
    }
    function show() {
      rows.slice().sort(compare).forEach(function (x) { tb.appendChild(x.tr); });
      Array.prototype.forEach.call($('obsfit').tHead.rows[0].cells, function (th) {
        th.setAttribute('aria-sort', th.getAttribute('data-sort') === key ? (dir > 0 ? 'ascending' : 'descending') : 'none');
      });
    }
    Array.prototype.forEach.call($('obsfit').tHead.rows[0].cells, function (th) {
      th.addEventListener('click', function () {
        var k = th.getAttribute('data-sort');
        dir = k === key ? -dir : 1;
        key = k;
        show();
      });
    });
    show();
    // filter by role
    var fbox = $('obsfit-roles'), roles = ['all'];
    rows.forEach(function (x) { if (roles.indexOf(x.r.role) < 0) roles.push(x.r.role); });
    roles.sort(function (a, b) { return roleRank(a) - roleRank(b); });
    roles.forEach(function (role) {
      var n = role === 'all' ? rows.length : rows.filter(function (x) { return x.r.role === role; }).length;
      var b = html('button', {type: 'button', 'data-role': role, 'aria-pressed': role === 'all' ? 'true' : 'false'},
        role.replace('_', ' ') + ' (' + n + ')', fbox);
      b.addEventListener('click', function () {
        rows.forEach(function (x) { x.tr.hidden = role !== 'all' && x.r.role !== role; });
        Array.prototype.forEach.call(fbox.children, function (c) { c.setAttribute('aria-pressed', c === b ? 'true' : 'false'); });
      });
    });
  }

  function fitTable() {
    var f = D.fit;
    if (!f) {
      $('fit-section').hidden = true;
      $('events-section').classList.add('full');
      return;
    }
    var tb = $('fit').tBodies[0];
    f.rows.forEach(function (r) {
      var tr = html('tr', {}, null, tb);
      html('td', {'class': 'name'}, r.camp, tr);
      html('td', {'class': 'num'}, fmt(r.observed), tr);
      html('td', {'class': 'num'}, fmt(r.simulated), tr);
      html('td', {'class': 'num'}, r.ard_normal.toFixed(3), tr);
      html('td', {'class': 'num'}, r.ard_rescaled.toFixed(3), tr);
    });
    var tf = $('fit').tFoot.rows[0];
    tf.cells[1].textContent = fmt(f.total.observed);
    tf.cells[2].textContent = fmt(f.total.simulated);
    tf.cells[3].textContent = f.total.ard_normal.toFixed(3);
    tf.cells[4].textContent = f.total.ard_rescaled.toFixed(3);
    $('fit-days').textContent = dateText(D.dates[nDays - 1]);
  }

  function eventTable() {
    if (!D.events.length) { $('events-section').hidden = true; return; }
    var tb = $('events').tBodies[0];
    var hasSource = D.events.some(function (e) { return !!e.source; });
    if (!hasSource) { var hr = $('events').tHead.rows[0]; hr.removeChild(hr.cells[3]); }
    D.events.forEach(function (e) {
      var tr = html('tr', {'data-day': e.day}, null, tb);
      html('td', {'class': 'num'}, dateText(e.date), tr);
      html('td', {'class': 'num'}, e.day, tr);
      var td = html('td', {}, null, tr);
      html('span', {'class': 'evkind ev-' + e.kind}, null, td);
      td.appendChild(document.createTextNode(e.text));
      if (hasSource) html('td', {}, e.source || '', tr);
      tr.addEventListener('click', function () { setDay(keptIndex(e.day)); });
    });
  }

  function play() {
    var btn = $('play');
    if (timer) { clearInterval(timer); timer = null; btn.textContent = '▶ Play'; return; }
    if (cur >= nKept - 1) setDay(0);
    btn.textContent = '❚❚ Pause';
    timer = setInterval(function () {
      if (cur >= nKept - 1) { clearInterval(timer); timer = null; btn.textContent = '▶ Play'; return; }
      setDay(cur + 1);
    }, Math.max(40, Math.min(250, 12000 / nKept)));
  }

  header();
  if (E) sideEmigration();
  buildMap();
  legend();
  var slider = $('day');
  slider.max = Math.max(nKept - 1, 0);
  slider.addEventListener('input', function () { setDay(+slider.value); });
  $('play').addEventListener('click', play);
  if (D.step > 1) $('thinned').textContent = 'The animation shows every ' + D.step + 'th day to keep this page small.';
  charts();
  fitTable();
  eventTable();
  setDay(cur);
  var last = D.stocks[nKept - 1] || [], best = -1;
  last.forEach(function (v, i) { if (best < 0 || v > last[best]) best = i; });
  setFocus(best);
  document.body.setAttribute('data-ready', '1');
})();
