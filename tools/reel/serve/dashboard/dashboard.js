// SPDX-License-Identifier: Apache-2.0
// The dashboard of `reel serve`: polls the JSON API (GET /api/v1/processors, .../stats?verbose=true,
// .../dlq), keeps the last minutes of figures in a ring per processor and draws them on canvases.
// No framework, no network beyond this server. The token, when the server wants one, is asked
// once and kept in sessionStorage (or given as #token=... in the address, which is not sent to
// the server and is removed from the address at once).
'use strict';

const POLL_MS = Number(new URLSearchParams(location.search).get('interval')) || 1000;
const RING_POINTS = 300;  // 5 minutes at one poll a second
const DLQ_SHOWN = 5;
const TOKEN_KEY = 'reel.token';
const COLORS = {input: '#3b82f6', output: '#10b981', dlq: '#ef4444', lag: '#a855f7'};

const rings = new Map();  // processor name -> {points: [...], last: {...}}
let pollTimer = null;
let drawnPoints = 0;

// ---- The API --------------------------------------------------------------------------------

function takeTokenFromAddress() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

class Unauthorized extends Error {}

async function api(method, path) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(path, {method, headers, cache: 'no-store'});
  if (res.status === 401) throw new Unauthorized();
  const body = await res.json();
  if (!res.ok) throw new Error(body.errmsg || ('HTTP ' + res.status));
  return body;
}

// ---- Figures --------------------------------------------------------------------------------

/// Milliseconds since the epoch of an Extended JSON date ({$date: ISO} or {$date: {$numberLong}}).
function dateMillis(d) {
  if (!d || d.$date === undefined) return null;
  const v = d.$date;
  if (typeof v === 'string') return Date.parse(v);
  if (typeof v === 'object' && v.$numberLong !== undefined) return Number(v.$numberLong);
  return typeof v === 'number' ? v : null;
}

/// A point of the ring from two consecutive stats: rates per second and the watermark lag.
function pointOf(stats, previous) {
  const t = dateMillis(stats.statsTime) ?? Date.now();
  const watermark = dateMillis(stats.watermark);
  const point = {
    t,
    input: stats.inputMessageCount || 0,
    output: stats.outputMessageCount || 0,
    dlq: stats.dlqMessageCount || 0,
    lag: watermark === null ? null : (t - watermark) / 1000,  // < 0: the watermark is ahead
  };
  if (previous && t > previous.t) {
    const s = (t - previous.t) / 1000;
    point.inputRate = Math.max(0, (point.input - previous.input) / s);
    point.outputRate = Math.max(0, (point.output - previous.output) / s);
    point.dlqRate = Math.max(0, (point.dlq - previous.dlq) / s);
  }
  return point;
}

function record(name, stats) {
  let ring = rings.get(name);
  if (!ring) rings.set(name, ring = {points: [], previous: null});
  const p = pointOf(stats, ring.previous);
  if (ring.previous && p.t <= ring.previous.t) return ring;  // the same figures again
  ring.previous = p;
  if (p.inputRate !== undefined) {
    ring.points.push(p);
    if (ring.points.length > RING_POINTS) ring.points.shift();
  }
  return ring;
}

function formatCount(n) {
  if (n === undefined || n === null) return '–';
  if (n >= 1e9) return (n / 1e9).toFixed(1) + ' G';
  if (n >= 1e6) return (n / 1e6).toFixed(1) + ' M';
  if (n >= 1e4) return (n / 1e3).toFixed(1) + ' k';
  return String(Math.round(n * 100) / 100);
}
function formatBytes(n) {
  if (!n) return '0 B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
  return (i ? n.toFixed(1) : n) + ' ' + units[i];
}
function formatMicros(us) {
  if (us === undefined || us === null) return '–';
  if (us >= 1e6) return (us / 1e6).toFixed(2) + ' s';
  if (us >= 1e3) return (us / 1e3).toFixed(1) + ' ms';
  return us + ' µs';
}
function formatSeconds(s) {
  if (s === null || s === undefined) return '–';
  if (s >= 3600) return (s / 3600).toFixed(1) + ' h';
  if (s >= 60) return (s / 60).toFixed(1) + ' min';
  return Math.round(s * 100) / 100 + ' s';
}

// ---- Charts (drawn by hand on a canvas) -----------------------------------------------------

/// Draws `series` ([{key, color, label}]) of `points` over time; returns how many points it drew.
function drawChart(canvas, points, series, format) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 360, height = canvas.clientHeight || 130;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  const left = 52, right = 8, top = 8, bottom = 18;
  const w = width - left - right, h = height - top - bottom;
  let max = 0;
  for (const p of points)
    for (const s of series)
      if (p[s.key] !== null && p[s.key] !== undefined) max = Math.max(max, p[s.key]);
  max = max > 0 ? niceCeiling(max) : 1;
  // Grid and axis labels.
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#6b7280';
  g.strokeStyle = '#e5e7eb';
  g.lineWidth = 1;
  for (let i = 0; i <= 4; ++i) {
    const y = top + h - (h * i) / 4;
    g.beginPath();
    g.moveTo(left, Math.round(y) + 0.5);
    g.lineTo(left + w, Math.round(y) + 0.5);
    g.stroke();
    g.textAlign = 'right';
    g.fillText(format((max * i) / 4), left - 6, y + 4);
  }
  if (points.length === 0) {
    g.textAlign = 'center';
    g.fillText('waiting for data…', left + w / 2, top + h / 2);
    return 0;
  }
  const t0 = points[0].t, t1 = points[points.length - 1].t;
  const span = Math.max(t1 - t0, 1);  // the points span the width
  g.textAlign = 'left';
  g.fillText('−' + formatSeconds(span / 1000), left, height - 4);
  g.textAlign = 'right';
  g.fillText('now', left + w, height - 4);
  let drawn = 0;
  for (const s of series) {
    g.strokeStyle = s.color;
    g.lineWidth = 2;
    g.beginPath();
    let started = false;
    for (const p of points) {
      const v = p[s.key];
      if (v === null || v === undefined) { started = false; continue; }
      const x = left + (w * (p.t - t0)) / span;
      const y = top + h - (h * Math.max(0, v)) / max;  // below zero is drawn at zero
      if (started) g.lineTo(x, y); else g.moveTo(x, y);
      started = true;
      ++drawn;
    }
    g.stroke();
  }
  return drawn;
}

function niceCeiling(v) {
  const power = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * power) return m * power;
  return 10 * power;
}

// ---- The page -------------------------------------------------------------------------------

function element(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

function card(name) {
  const id = 'processor-' + name;
  let c = document.getElementById(id);
  if (c) return c;
  c = element('section', {class: 'card', id});
  c.dataset.name = name;
  const button = element('button', {class: 'action'});
  button.addEventListener('click', () => toggle(name, button));
  c.append(
      element('div', {class: 'card-head'},
              element('h2', {}, name), element('span', {class: 'state'}), button),
      element('div', {class: 'error'}),
      element('dl', {class: 'figures'}),
      element('div', {class: 'chart-title'}, 'Messages per second ',
              legend('input', COLORS.input), legend('output', COLORS.output),
              legend('DLQ', COLORS.dlq)),
      element('canvas', {class: 'chart rates'}),
      element('div', {class: 'chart-title'}, 'Watermark lag ', legend('seconds', COLORS.lag)),
      element('canvas', {class: 'chart lag'}),
      element('div', {class: 'chart-title'}, 'Latest DLQ records'),
      element('table', {class: 'dlq'}));
  document.getElementById('processors').append(c);
  return c;
}

function legend(text, color) {
  const s = element('span', {class: 'legend'}, text);
  s.style.setProperty('--color', color);
  return s;
}

async function toggle(name, button) {
  button.disabled = true;
  try {
    await api('POST', `/api/v1/processors/${encodeURIComponent(name)}/` + button.dataset.action);
  } catch (e) {
    handleError(e);
  }
  button.disabled = false;
  poll();
}

function figure(dl, label, value) {
  dl.append(element('div', {}, element('dt', {}, label), element('dd', {}, value)));
}

function render(processor, stats, dlq) {
  const c = card(processor.name);
  const running = processor.state === 'STARTED';
  const state = c.querySelector('.state');
  state.textContent = running ? 'running' : processor.state.toLowerCase();
  state.className = 'state ' + state.textContent;
  const button = c.querySelector('.action');
  button.dataset.action = running ? 'stop' : 'start';
  button.textContent = running ? 'Stop' : 'Start';
  c.querySelector('.error').textContent = processor.error_msg || '';

  const ring = record(processor.name, stats);
  const last = ring.points[ring.points.length - 1] || {};
  const dl = c.querySelector('.figures');
  dl.replaceChildren();
  figure(dl, 'input', formatCount(stats.inputMessageCount));
  figure(dl, 'output', formatCount(stats.outputMessageCount));
  figure(dl, 'DLQ', formatCount(stats.dlqMessageCount));
  figure(dl, 'input/s', formatCount(last.inputRate));
  figure(dl, 'open windows', formatCount(stats.openWindowCount));
  figure(dl, 'state', formatBytes(stats.stateSize));
  figure(dl, 'watermark lag', formatSeconds(ring.previous ? ring.previous.lag : null));
  const latency = stats.latency || {};
  figure(dl, 'latency p50 / p99',
         latency.count ? formatMicros(latency.p50) + ' / ' + formatMicros(latency.p99) : '–');

  drawnPoints += drawChart(c.querySelector('.rates'), ring.points, [
    {key: 'inputRate', color: COLORS.input},
    {key: 'outputRate', color: COLORS.output},
    {key: 'dlqRate', color: COLORS.dlq},
  ], formatCount);
  drawChart(c.querySelector('.lag'), ring.points, [{key: 'lag', color: COLORS.lag}],
            formatSeconds);

  const table = c.querySelector('.dlq');
  table.replaceChildren();
  if (!dlq.length) {
    table.append(element('tr', {}, element('td', {class: 'none'}, 'none')));
  }
  for (const r of dlq.slice(-DLQ_SHOWN).reverse()) {
    const reason = (r.errInfo && r.errInfo.reason) || '';
    const when = dateMillis(r.dlqTime);
    table.append(element(
        'tr', {}, element('td', {class: 'time'}, when ? new Date(when).toISOString().slice(11, 19) : ''),
        element('td', {class: 'operator'}, r.operatorName || ''),
        element('td', {class: 'reason', title: JSON.stringify(r.doc ?? r.errInfo)}, reason)));
  }
}

function handleError(e) {
  const conn = document.getElementById('connection');
  if (e instanceof Unauthorized) {
    conn.textContent = 'token required';
    conn.className = 'connection bad';
    document.getElementById('token-form').hidden = false;
    return;
  }
  conn.textContent = 'error: ' + e.message;
  conn.className = 'connection bad';
}

async function poll() {
  clearTimeout(pollTimer);
  try {
    const list = (await api('GET', '/api/v1/processors')).streamProcessors;
    const names = new Set(list.map((p) => p.name));
    for (const c of [...document.querySelectorAll('.card')])
      if (!names.has(c.dataset.name)) { c.remove(); rings.delete(c.dataset.name); }
    drawnPoints = 0;
    let running = 0, input = 0;
    for (const p of list) {
      const path = '/api/v1/processors/' + encodeURIComponent(p.name);
      const [stats, dlq] = await Promise.all([
        api('GET', path + '/stats?verbose=true'),
        api('GET', path + `/dlq?limit=${DLQ_SHOWN}`).then((r) => r.records),
      ]);
      render(p, stats, dlq);
      if (p.state === 'STARTED') ++running;
      input += stats.inputMessageCount || 0;
    }
    document.getElementById('empty').hidden = list.length > 0;
    document.getElementById('summary').textContent =
        `${list.length} processor${list.length === 1 ? '' : 's'}, ${running} running`;
    const conn = document.getElementById('connection');
    conn.textContent = 'live · every ' + POLL_MS / 1000 + ' s';
    conn.className = 'connection ok';
    document.getElementById('token-form').hidden = true;
    // What a test (or a curious user) can read from the DOM: the processors listed and the
    // points drawn in their rate charts.
    const status = document.getElementById('reel-status');
    status.dataset.processors = list.map((p) => p.name).join(',');
    status.dataset.drawnPoints = String(drawnPoints);
    status.dataset.inputMessages = String(input);
  } catch (e) {
    handleError(e);
  }
  pollTimer = setTimeout(poll, POLL_MS);
}

document.getElementById('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById('token-input').value);
  document.getElementById('token-input').value = '';
  poll();
});
window.addEventListener('resize', poll);
takeTokenFromAddress();
poll();
