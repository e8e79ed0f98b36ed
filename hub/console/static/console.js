// borderwatch console: vanilla JS, no build step, nothing loaded from outside this hub.
// The token lives in sessionStorage (gone when the tab closes) and travels only in the
// Authorization header: the live stream is read with fetch() streaming, not EventSource, and
// snapshots are fetched as blobs and shown through object URLs. Data is only ever put in the
// page as text (textContent), never as HTML.
"use strict";

const TOKEN_KEY = "bw-console-token";
const SEVERITY_RANK = { info: 0, warning: 1, critical: 2, humanitarian: 3 };
const OPEN_STATES = ["pending", "firing", "acknowledged"];
const SVG_NS = "http://www.w3.org/2000/svg";
const EARTH_R = 6371008.8;

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
  plan: { sites: [], zones: [], target_ttl_s: 30 },
  alerts: new Map(),
  agents: new Map(),
  targets: new Map(),
  selected: null,
  sound: true,
  audio: null,
  streamAbort: null,
  objectUrls: [],
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

// -- API -------------------------------------------------------------------------------------
class AuthError extends Error {}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  const r = await fetch(path, { ...options, headers });
  if (r.status === 401) throw new AuthError("the token is unknown or revoked");
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new Error(`${r.status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
  const type = r.headers.get("content-type") || "";
  return type.includes("json") ? r.json() : r;
}

const post = (path, body) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
});

// -- log-in ------------------------------------------------------------------------------------
async function login(token) {
  state.token = token;
  state.me = await api("/api/v1/console/me");
  sessionStorage.setItem(TOKEN_KEY, token);
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("who").textContent = `${state.me.name} (${state.me.role}) @ ${state.me.hub_id}`;
  document.body.dataset.role = state.me.role;
  for (const node of document.querySelectorAll(".operator-only")) {
    node.classList.toggle("hidden", !canOperate());
  }
  await Promise.all([loadPlan(), loadAlerts(), loadAgents()]);
  startStream();
}

function canOperate() {
  return state.me && (state.me.role === "operator" || state.me.role === "admin");
}

function logout(message) {
  if (state.streamAbort) state.streamAbort.abort();
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.me = null;
  $("app").classList.add("hidden");
  $("login").classList.remove("hidden");
  $("login-error").textContent = message || "";
}

// -- data --------------------------------------------------------------------------------------
async function loadPlan() {
  state.plan = await api("/api/v1/console/plan");
  $("title").textContent = state.plan.title;
  document.title = state.plan.title;
  const select = $("site-select");
  select.replaceChildren(...state.plan.sites.map((s) => el("option", { value: s.name }, s.name)));
  select.classList.toggle("hidden", state.plan.sites.length < 2);
  drawPlan();
}

async function loadAlerts() {
  const q = new URLSearchParams({ limit: "500" });
  for (const s of OPEN_STATES) q.append("state", s);
  const page = await api(`/api/v1/alerts?${q}`);
  const recent = await api("/api/v1/alerts?state=resolved&limit=50");
  state.alerts.clear();
  for (const a of [...page.items, ...recent.items]) state.alerts.set(a.id, a);
  renderAlerts();
}

async function loadAgents() {
  const rows = await api("/api/v1/agents");
  for (const a of rows) {
    state.agents.set(`${a.site}/${a.agent}`, { site: a.site, agent: a.agent, status: a.status, telemetry: a.telemetry });
  }
  renderAgents();
}

// -- the live stream ---------------------------------------------------------------------------
async function startStream() {
  if (state.streamAbort) state.streamAbort.abort();
  const abort = new AbortController();
  state.streamAbort = abort;
  let delay = 1000;
  while (!abort.signal.aborted && state.token) {
    try {
      const r = await fetch("/api/v1/stream", {
        headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" },
        signal: abort.signal,
      });
      if (r.status === 401) { logout("the token was revoked"); return; }
      if (!r.ok || !r.body) throw new Error(`stream answered ${r.status}`);
      setStreamState(true);
      delay = 1000;
      await readEvents(r.body, abort.signal);
    } catch (err) {
      if (abort.signal.aborted) return;
      console.warn("stream", err);
    }
    setStreamState(false);
    await new Promise((done) => setTimeout(done, delay));
    delay = Math.min(delay * 2, 15000);
    if (!abort.signal.aborted) loadAlerts().catch(() => {}); // catch up on what the gap missed
  }
}

async function readEvents(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let kind = "message";
      const data = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event:")) kind = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onMessage(kind, data.join("\n"));
    }
  }
}

function setStreamState(live) {
  const pill = $("stream-state");
  pill.textContent = live ? "live" : "reconnecting";
  pill.classList.toggle("live", live);
}

function onMessage(kind, text) {
  let msg;
  try { msg = JSON.parse(text); } catch (_) { return; }
  if (kind === "alert") onAlert(msg);
  else if (kind === "track") onTrack(msg);
  else if (kind === "agent") onAgent(msg);
}

function onAlert(msg) {
  const a = msg.alert;
  const isNew = !state.alerts.has(a.id) || msg.reason === "fired" || msg.reason === "upgraded";
  state.alerts.set(a.id, a);
  renderAlerts(isNew && a.severity === "humanitarian" && a.state === "firing" ? a.id : null);
  if (isNew && a.severity === "humanitarian" && a.state === "firing") humanitarianCue();
  if (state.selected === a.id) renderDetail();
  drawPlan();
}

function onTrack(ev) {
  if (!ev.position) return;
  const key = `${ev.agent}/${ev.sensor.id}/${ev.track_id ?? ev.id}`;
  if (ev.kind === "track_end") state.targets.delete(key);
  else state.targets.set(key, { ev, seen: Date.now() });
  drawPlan();
}

function onAgent(msg) {
  const key = `${msg.site}/${msg.agent}`;
  const cur = state.agents.get(key) || { site: msg.site, agent: msg.agent, status: null, telemetry: null };
  if ("state" in msg) cur.status = msg; else cur.telemetry = msg;
  state.agents.set(key, cur);
  renderAgents();
  drawPlan();
}

// -- humanitarian cue: a beep (WebAudio, no file) and a banner -----------------------------------
function humanitarianCue() {
  const banner = $("humanitarian-banner");
  banner.classList.remove("hidden");
  clearTimeout(humanitarianCue.timer);
  humanitarianCue.timer = setTimeout(() => banner.classList.add("hidden"), 30000);
  if (!state.sound) return;
  try {
    state.audio = state.audio || new AudioContext();
    const t = state.audio.currentTime;
    for (const [i, freq] of [[0, 880], [1, 660], [2, 880]]) {
      const osc = state.audio.createOscillator();
      const gain = state.audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.25, t + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.001, t + i * 0.25 + 0.22);
      osc.connect(gain).connect(state.audio.destination);
      osc.start(t + i * 0.25);
      osc.stop(t + i * 0.25 + 0.23);
    }
  } catch (err) {
    console.warn("no sound", err);
  }
}

// -- alert list --------------------------------------------------------------------------------
function sortedAlerts() {
  const showResolved = $("show-resolved").checked;
  return [...state.alerts.values()]
    .filter((a) => showResolved || a.state !== "resolved")
    .sort((x, y) => (SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity])
      || (Date.parse(y.fired_at || y.ts) - Date.parse(x.fired_at || x.ts)));
}

function renderAlerts(flashId) {
  const items = sortedAlerts().map((a) => {
    const li = el("li", {
      class: `sev-${a.severity} state-${a.state}${a.id === state.selected ? " selected" : ""}${a.id === flashId ? " flash" : ""}`,
      "data-id": a.id, "data-state": a.state, "data-severity": a.severity,
    },
    el("span", { class: "sev" }, a.severity),
    el("span", { class: "what" }, a.summary),
    el("span", { class: "state" }, `${a.state}${a.silenced ? " (silenced)" : ""} ${timeOf(a.fired_at || a.ts)}`));
    li.addEventListener("click", () => select(a.id));
    return li;
  });
  $("alert-list").replaceChildren(...items);
  const open = [...state.alerts.values()].filter((a) => a.state !== "resolved").length;
  $("alert-count").textContent = `(${open} open)`;
}

function timeOf(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

// -- detail --------------------------------------------------------------------------------------
function select(id) {
  state.selected = id;
  renderAlerts();
  renderDetail();
  drawPlan();
}

async function renderDetail() {
  const a = state.alerts.get(state.selected);
  $("detail-empty").classList.toggle("hidden", !!a);
  $("detail").classList.toggle("hidden", !a);
  if (!a) return;
  $("d-summary").textContent = a.summary;
  const fields = [
    ["id", a.id], ["state", a.state + (a.silenced ? " (silenced)" : "")], ["severity", a.severity], ["rule", a.rule],
    ["site", a.site], ["zone", a.zone], ["class", a.class], ["direction", a.direction],
    ["confidence", a.confidence.toFixed(2)], ["fired", a.fired_at && new Date(a.fired_at).toLocaleString()],
    ["acknowledged by", a.acked_by], ["resolved", a.resolved_at && new Date(a.resolved_at).toLocaleString()],
    ["position", a.position && `${a.position.lat.toFixed(5)}, ${a.position.lon.toFixed(5)}`],
  ].filter(([, v]) => v !== undefined && v !== null && v !== "");
  $("d-fields").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-field": k }, v)]));
  $("act-ack").disabled = !canOperate() || a.state !== "firing";
  $("act-resolve").disabled = !canOperate() || a.state === "resolved";
  $("act-error").textContent = "";
  const kinds = a.sensor_kinds || [];
  $("d-sensors").replaceChildren(...(a.sensors.length ? a.sensors : [a.agent]).map((s, i) =>
    el("li", {}, kinds[i] ? `${s} (${kinds[i]})` : s)));
  for (const url of state.objectUrls) URL.revokeObjectURL(url);
  state.objectUrls = [];
  $("d-evidence").replaceChildren(...(a.evidence || []).slice().reverse().map((e) => {
    const caption = `${timeOf(e.ts)} ${e.agent}/${e.sensor_id} ${e.sensor_kind} ${e.class} ${e.confidence.toFixed(2)}`
      + (e.temperature_c != null ? ` ${e.temperature_c.toFixed(1)} °C` : "")
      + (e.speed_mps != null ? ` ${e.speed_mps.toFixed(1)} m/s` : "");
    const li = el("li", {}, el("div", {}, caption));
    if (e.snapshot) loadSnapshot(e.snapshot, li);
    return li;
  }));
  try {
    const history = await api(`/api/v1/alerts/${encodeURIComponent(a.id)}/history`);
    $("d-history").replaceChildren(...history.map((h) =>
      el("li", { "data-action": h.action }, `${new Date(h.ts).toLocaleString()} ${h.who} ${h.action}${h.comment ? `: ${h.comment}` : ""}`)));
  } catch (err) {
    $("d-history").replaceChildren(el("li", {}, String(err.message)));
  }
}

async function loadSnapshot(path, li) {
  if (!path.startsWith("/api/")) return; // only this hub's routes
  try {
    const r = await api(path);
    const url = URL.createObjectURL(await r.blob());
    state.objectUrls.push(url);
    li.prepend(el("img", { src: url, alt: "snapshot" }));
  } catch (_) {
    li.append(el("div", { class: "muted" }, "no snapshot"));
  }
}

async function act(action) {
  const a = state.alerts.get(state.selected);
  if (!a) return;
  const comment = $("act-comment-text").value.trim() || null;
  $("act-error").textContent = "";
  try {
    if (action === "silence") {
      const body = { site: a.site, rule: a.rule, duration_s: Number($("act-silence-for").value),
        comment: comment || `silenced from the console by ${state.me.name}` };
      await post("/api/v1/silences", body);
    } else {
      if (action === "comment" && !comment) throw new Error("write a comment first");
      const updated = await post(`/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`, { comment });
      state.alerts.set(updated.id, updated);
    }
    $("act-comment-text").value = "";
    renderAlerts();
    renderDetail();
  } catch (err) {
    if (err instanceof AuthError) logout(err.message);
    else $("act-error").textContent = err.message;
  }
}

// -- agents --------------------------------------------------------------------------------------
function renderAgents() {
  const rows = [...state.agents.values()].sort((x, y) => `${x.site}/${x.agent}`.localeCompare(`${y.site}/${y.agent}`));
  $("agent-rows").replaceChildren(...rows.map((a) => {
    const online = a.status ? a.status.state === "online" : null;
    const sensors = (a.telemetry?.sensors || a.status?.sensors || [])
      .map((s) => `${s.id}:${s.state || "?"}${s.quality ? `/${s.quality}` : ""}`).join(" ");
    return el("tr", { "data-agent": a.agent },
      el("td", {}, a.site), el("td", {}, a.agent),
      el("td", { class: online === null ? "" : online ? "good" : "bad" }, online === null ? "?" : online ? "online" : "offline"),
      el("td", {}, sensors), el("td", {}, a.telemetry ? String(a.telemetry.outbox_depth) : ""));
  }));
}

// -- site plan (inline SVG, local flat frame around the site) ------------------------------------
function frame(site) {
  const pts = [...site.masts.map((m) => [m.lat, m.lon]), ...site.border];
  if (!pts.length) return null;
  const lat0 = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const lon0 = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const local = (lat, lon) => [
    EARTH_R * Math.cos(lat0 * Math.PI / 180) * (lon - lon0) * Math.PI / 180,
    EARTH_R * (lat - lat0) * Math.PI / 180,
  ];
  let extent = 100;
  for (const m of site.masts) {
    const [x, y] = local(m.lat, m.lon);
    const reach = Math.max(0, ...m.sensors.map((s) => s.range_m));
    extent = Math.max(extent, Math.abs(x) + reach, Math.abs(y) + reach);
  }
  for (const [lat, lon] of site.border) {
    const [x, y] = local(lat, lon);
    extent = Math.max(extent, Math.abs(x), Math.abs(y));
  }
  const scale = 330 / extent; // viewBox 1000 x 700, centre (500, 350)
  return (lat, lon) => {
    const [x, y] = local(lat, lon);
    return [500 + x * scale, 350 - y * scale, scale];
  };
}

function wedge(cx, cy, r, heading, fov) {
  if (fov >= 360) return `M ${cx - r} ${cy} a ${r} ${r} 0 1 0 ${2 * r} 0 a ${r} ${r} 0 1 0 ${-2 * r} 0 Z`;
  const rad = (deg) => (deg - 90) * Math.PI / 180; // 0 = north, clockwise
  const a0 = rad(heading - fov / 2);
  const a1 = rad(heading + fov / 2);
  const large = fov > 180 ? 1 : 0;
  return `M ${cx} ${cy} L ${cx + r * Math.cos(a0)} ${cy + r * Math.sin(a0)} `
    + `A ${r} ${r} 0 ${large} 1 ${cx + r * Math.cos(a1)} ${cy + r * Math.sin(a1)} Z`;
}

function drawPlan() {
  const plan = $("plan");
  const site = state.plan.sites.find((s) => s.name === $("site-select").value) || state.plan.sites[0];
  if (!site) {
    const note = svg("text", { x: 20, y: 40 });
    note.textContent = "No site plan configured ([[console.sites]] in the hub's config).";
    plan.replaceChildren(note);
    return;
  }
  const at = frame(site);
  const nodes = [];
  const path = (pts) => pts.map(([lat, lon], i) => `${i ? "L" : "M"} ${at(lat, lon).slice(0, 2).join(" ")}`).join(" ");
  for (const z of state.plan.zones.filter((z) => !z.site || z.site === site.name)) {
    nodes.push(svg("path", { class: "zone", d: `${path(z.polygon)} Z`, "data-zone": z.name }));
  }
  if (site.border.length >= 2) nodes.push(svg("path", { class: "border", d: path(site.border) }));
  for (const m of site.masts) {
    const [x, y, scale] = at(m.lat, m.lon);
    for (const s of m.sensors) {
      nodes.push(svg("path", { class: `fov ${s.kind}`, d: wedge(x, y, s.range_m * scale, s.heading_deg, s.fov_deg),
        "data-sensor": `${m.agent}/${s.id}` }));
    }
  }
  for (const m of site.masts) {
    const [x, y] = at(m.lat, m.lon);
    const agent = state.agents.get(`${site.name}/${m.agent}`);
    const offline = agent?.status && agent.status.state !== "online";
    nodes.push(svg("rect", { class: `mast${offline ? " offline" : ""}`, x: x - 5, y: y - 5, width: 10, height: 10,
      "data-mast": m.agent }));
    const label = svg("text", { x: x + 8, y: y - 8 });
    label.textContent = m.agent;
    nodes.push(label);
  }
  const ttl = state.plan.target_ttl_s * 1000;
  for (const [key, t] of state.targets) {
    if (Date.now() - t.seen > ttl) { state.targets.delete(key); continue; }
    if (t.ev.site !== site.name) continue;
    const [x, y] = at(t.ev.position.lat, t.ev.position.lon);
    nodes.push(svg("circle", { class: "target", cx: x, cy: y, r: 4, "data-target": key }));
  }
  for (const a of state.alerts.values()) {
    if (a.state === "resolved" || a.site !== site.name || !a.position) continue;
    const [x, y] = at(a.position.lat, a.position.lon);
    nodes.push(svg("circle", { class: `alertdot sev-${a.severity}`, cx: x, cy: y, r: a.id === state.selected ? 14 : 9,
      "data-alert": a.id }));
  }
  const sel = state.alerts.get(state.selected);
  const track = (sel?.evidence || []).filter((e) => e.position).map((e) => [e.position.lat, e.position.lon]);
  if (sel && sel.site === site.name && track.length >= 2) nodes.push(svg("path", { class: "track", d: path(track) }));
  plan.replaceChildren(...nodes);
}

// -- start -----------------------------------------------------------------------------------------
function init() {
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.audio = state.audio || (window.AudioContext ? new AudioContext() : null); // unlocked by this click
    login($("token").value.trim()).catch((err) => logout(err instanceof AuthError ? err.message : `log-in failed: ${err.message}`));
  });
  $("logout").addEventListener("click", () => logout());
  $("sound").addEventListener("click", () => {
    state.sound = !state.sound;
    $("sound").textContent = state.sound ? "sound on" : "sound off";
  });
  $("show-resolved").addEventListener("change", () => renderAlerts());
  $("site-select").addEventListener("change", drawPlan);
  $("act-ack").addEventListener("click", () => act("ack"));
  $("act-resolve").addEventListener("click", () => act("resolve"));
  $("act-comment").addEventListener("click", () => act("comment"));
  $("act-silence").addEventListener("click", () => act("silence"));
  setInterval(drawPlan, 5000); // fade targets that went quiet
  if (state.token) login(state.token).catch((err) => logout(err instanceof AuthError ? err.message : ""));
}

document.addEventListener("DOMContentLoaded", init);
