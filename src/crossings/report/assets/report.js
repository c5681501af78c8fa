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
    item('crossings', m.crossings_version);
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
      g.firstChild.textContent = loc.name + ' (' + (KIND_LABEL[loc.kind] || loc.kind) + ', ' + loc.country +
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
    it.appendChild(document.createTextNode('people present (area)'));
  }

  // ---- side panel -----------------------------------------------------------------------------------
  function updateSide() {
    var day = kept[cur], row = D.stocks[cur];
    $('day-label').textContent = 'day ' + day + ' · ' + dateText(D.dates[day]);
    $('side-date').textContent = dateText(D.dates[day]);
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
    var tb = $('stocks').tBodies[0];
    while (tb.firstChild) tb.removeChild(tb.firstChild);
    var order = row.map(function (v, i) { return i; }).filter(function (i) { return row[i] > 0; });
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
    cursors.forEach(function (c) { var x = c.sx(day); c.line.setAttribute('x1', x); c.line.setAttribute('x2', x); });
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
      return {ticks: out, label: function (x) { var p = D.dates[x].split('-'); return +p[2] + ' ' + MONTHS[+p[1] - 1]; }};
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
    opt = opt || {};
    var wrap = html('div', {'class': 'chart', 'data-chart': chart.id}, null, container);
    // drawn at the size it is shown, so that its text has the page's size
    var W = Math.max(240, Math.round(wrap.clientWidth || opt.width || 560)), H = opt.height || 220;
    var M = {l: 52, r: 12, t: 10, b: 24};
    if (opt.title !== false) html('h3', {}, chart.title, wrap);
    var lg = html('div', {'class': 'legend'}, null, wrap);
    var palette = ['#1f5fbf', '#e07b00', '#0f8a80', '#c62828', '#7b3fa0', '#6b7280', '#b45309', '#15803d'];
    var ymax = 0;
    chart.series.forEach(function (s) {
      (s.hi || s.values).forEach(function (v) { if (v !== null && v > ymax) ymax = v; });
      (s.points || []).forEach(function (p) { if (p[1] > ymax) ymax = p[1]; });
    });
    if (ymax <= 0) ymax = 1;
    var step = niceStep(ymax, 4), top = Math.ceil(ymax / step) * step;
    var d0 = 0, d1 = Math.max(nDays - 1, 1);
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
        var g = svg('g', {'class': 'ev-' + e.kind}, s);
        svg('line', {'class': 'event-mark', x1: sx(e.day), x2: sx(e.day), y1: M.t,
          y2: opt.eventLines ? H - M.b : M.t + 10}, g);
        svg('path', {d: 'M' + sx(e.day) + ',' + (M.t + 5) + 'l-3.5,-5h7z', stroke: 'none'}, g);
        svg('title', {}, g).textContent = dateText(e.date) + ': ' + e.text;
      });
    }
    chart.series.forEach(function (se, k) {
      var color = se.role === 'line' ? palette[k % palette.length] : null;
      if (se.lo && se.hi) {
        var up = [], dn = [];
        se.hi.forEach(function (v, i) { if (v !== null) up.push(sx(kept[i]).toFixed(1) + ',' + sy(v).toFixed(1)); });
        for (var i = se.lo.length - 1; i >= 0; i--) {
          if (se.lo[i] !== null) dn.push(sx(kept[i]).toFixed(1) + ',' + sy(se.lo[i]).toFixed(1));
        }
        var band = svg('polygon', {'class': 'band role-' + se.role, points: up.concat(dn).join(' ')}, s);
        band.style.fill = color || getComputedStyle(document.documentElement).getPropertyValue(
          se.role.indexOf('obs') === 0 ? '--obs' : '--sim').trim();
      }
      var pts = [];
      se.values.forEach(function (v, i) { if (v !== null) pts.push(sx(kept[i]).toFixed(1) + ',' + sy(v).toFixed(1)); });
      var line = svg('polyline', {'class': 'series role-' + se.role, points: pts.join(' '), 'data-name': se.name}, s);
      if (color) line.style.stroke = color;
      if (se.points) {
        se.points.forEach(function (p) {
          if (p[0] < 0 || p[0] > d1) return;
          var c = svg('circle', {'class': 'obs-point', cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1), r: 2.6}, s);
          svg('title', {}, c).textContent = 'observed ' + fmt(p[1]) + (D.dates[p[0]] ? ' on ' + dateText(D.dates[p[0]]) : '');
        });
      }
      var it = html('span', {'class': 'item'}, null, lg);
      var sw = html('span', {'class': 'swatch role-' + se.role}, null, it);
      sw.style.borderTopColor = color || getComputedStyle(document.documentElement).getPropertyValue(
        '--' + (se.role === 'line' ? 'sim' : se.role)).trim();
      it.appendChild(document.createTextNode(se.name + (se.lo ? ' (band: ensemble range)' : '')));
    });
    var cl = svg('line', {'class': 'cursor', y1: M.t, y2: H - M.b, x1: sx(kept[cur]), x2: sx(kept[cur])}, s);
    cursors.push({line: cl, sx: sx});
    s.addEventListener('click', function (ev) {
      var r = s.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width;
      var day = Math.round(d0 + (x - M.l) / (W - M.l - M.r) * (d1 - d0));
      if (day >= 0 && day < nDays) setDay(keptIndex(day));
    });
    return wrap;
  }

  function charts() {
    var tot = $('totals-chart'), camps = $('camp-charts'), other = $('table-charts');
    var nCamps = 0, nOther = 0;
    D.charts.forEach(function (c) {
      if (c.group === 'totals') lineChart(tot, c, {width: 1200, height: 260, title: false, eventLines: true});
      else if (c.group === 'camps') { lineChart(camps, c, {width: 420, height: 190}); nCamps++; }
      else { lineChart(other, c, {width: 420, height: 190}); nOther++; }
    });
    if (!nCamps) $('camps-section').hidden = true;
    if (!nOther) $('tables-section').hidden = true;
  }

  function fitTable() {
    var f = D.fit;
    if (!f) { $('fit-section').hidden = true; return; }
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
