// bienestar-planner web page: plain JavaScript over the same API (no build step).
// The API key lives in localStorage and goes out as "Authorization: Bearer KEY"; panels the key's role may
// not read show the API's 403 message instead of data.
"use strict";

const state = { key: localStorage.getItem("bienestar-key") || "", runId: null, poll: null, facilities: null,
  geo: null, munis: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function say(text) {
  const m = document.getElementById("message");
  m.textContent = text; m.hidden = !text;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { ...options, headers });
  if (!res.ok) {
    let msg = `${res.status}`;
    try { const body = await res.json(); msg = body.error || JSON.stringify(body.detail || body); } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, msg);
  }
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : res.blob();
}

function fmt(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 })
    : v.toLocaleString("en-US", { maximumFractionDigits: 3 });
  return String(v);
}

function fill(tbodyParent, rows) {
  const tbody = document.querySelector(`#${tbodyParent} tbody`);
  tbody.replaceChildren(...rows);
}

// --- key -----------------------------------------------------------------------------------------------

async function useKey(key) {
  state.key = key.trim();
  localStorage.setItem("bienestar-key", state.key);
  try {
    const me = await api("/me");
    document.getElementById("whoami").textContent = `role: ${me.role}`;
    say("");
  } catch (e) {
    document.getElementById("whoami").textContent = "no valid key";
    say(e.message); return;
  }
  await Promise.allSettled([loadScenarios(), loadRuns()]);
}

// --- scenarios and runs ----------------------------------------------------------------------------------

async function loadScenarios() {
  try {
    const list = await api("/scenarios");
    fill("scenarios", list.map(s => el("tr", { "data-scenario": s.name },
      el("td", {}, s.name), el("td", {}, s.valid ? s.description : `invalid: ${s.error}`),
      el("td", {}, s.models.join(", ")),
      el("td", {}, s.valid ? el("button", { type: "button", class: "run", onclick: () => startRun(s.name) }, "Run") : ""))));
  } catch (e) { fill("scenarios", [el("tr", {}, el("td", { colspan: 4, class: "error" }, e.message))]); }
}

async function startRun(name) {
  try {
    const run = await api("/runs", { method: "POST", body: JSON.stringify({ scenario: name }) });
    say(`run ${run.run_id.slice(0, 8)} of '${name}' started`);
    await loadRuns();
    selectRun(run.run_id);
  } catch (e) { say(e.status === 429 ? `busy: ${e.message}` : e.message); }
}

async function loadRuns() {
  let page;
  try { page = await api("/runs?limit=50"); } catch (e) {
    fill("runs", [el("tr", {}, el("td", { colspan: 6, class: "error" }, e.message))]); return;
  }
  fill("runs", page.items.map(r => el("tr", { "data-run": r.run_id, class: r.run_id === state.runId ? "selected" : "" },
    el("td", {}, r.run_id.slice(0, 8)), el("td", {}, r.scenario), el("td", { class: `status-${r.status}` }, r.status),
    el("td", {}, (r.started || r.created).replace("T", " ").slice(0, 19)),
    el("td", {}, r.finished ? r.finished.replace("T", " ").slice(0, 19) : ""),
    el("td", {}, el("button", { type: "button", onclick: () => selectRun(r.run_id) }, "Open")))));
  const done = page.items.filter(r => r.status === "finished");
  for (const id of ["compare-a", "compare-b"]) {
    const sel = document.getElementById(id); const keep = sel.value;
    sel.replaceChildren(...done.map(r => el("option", { value: r.run_id }, `${r.run_id.slice(0, 8)} ${r.scenario}`)));
    if (keep) sel.value = keep;
  }
  if (done.length > 1 && !document.getElementById("compare-b").dataset.touched) {
    document.getElementById("compare-b").value = done[0].run_id;
    document.getElementById("compare-a").value = done[1].run_id;
  }
}

function selectRun(runId) {
  state.runId = runId;
  clearInterval(state.poll);
  document.getElementById("run-section").hidden = false;
  refreshRun();
  state.poll = setInterval(refreshRun, 1000);
}

async function refreshRun() {
  const runId = state.runId;
  let run;
  try { run = await api(`/runs/${runId}`); } catch (e) { say(e.message); clearInterval(state.poll); return; }
  document.getElementById("run-id").textContent = runId.slice(0, 8);
  const status = document.getElementById("run-status");
  status.textContent = run.status; status.dataset.status = run.status;
  const err = document.getElementById("run-error");
  err.textContent = run.error || ""; err.hidden = !run.error;
  fill("stages", Object.entries(run.stages).map(([name, s]) => el("tr", { "data-stage": name },
    el("td", {}, name), el("td", {}, s.status),
    el("td", {}, s.total ? el("progress", { max: s.total, value: s.done }) : ""),
    el("td", { class: "num" }, s.seconds === null ? "" : s.seconds.toFixed(1)))));
  const active = ["queued", "running", "cancelling"].includes(run.status);
  document.getElementById("cancel-run").hidden = !active;
  if (!active) {
    clearInterval(state.poll);
    await loadRuns();
    if (run.status === "finished" || (run.status === "failed" && run.has_kpis)) {
      await Promise.allSettled([loadKpis(runId), loadPlans(runId)]);
    }
  }
}

async function loadKpis(runId) {
  const kpis = await api(`/runs/${runId}/kpis`);
  const rows = [];
  for (const [stage, values] of Object.entries(kpis)) {
    for (const [name, v] of Object.entries(values || {})) {
      if (typeof v === "object" && v !== null) continue;
      rows.push(el("tr", { "data-kpi": `${stage}.${name}` }, el("td", {}, stage), el("td", {}, name),
        el("td", { class: "num kpi-value" }, fmt(v))));
    }
  }
  fill("kpis", rows);
}

async function loadPlans(runId) {
  const tables = await api(`/runs/${runId}/plans`);
  fill("plans", tables.map(t => el("tr", {}, el("td", {}, t.stage), el("td", {}, t.table), el("td", { class: "num" }, fmt(t.rows)),
    el("td", {}, t.readable ? el("span", {},
      el("button", { type: "button", onclick: () => download(runId, t, "csv") }, "CSV"), " ",
      el("button", { type: "button", onclick: () => download(runId, t, "xlsx") }, "XLSX"))
      : el("span", { class: "muted" }, "not for this role")))));
  const readable = new Set(tables.filter(t => t.readable).map(t => `${t.stage}/${t.table}`));
  const roster = loadRosterChoices(runId, tables);
  await drawMap(runId, readable).catch(e => say(e.message));  // the route is drawn on the map's layer
  await Promise.allSettled([roster, loadVehicles(runId, readable), drawAccessMap(runId, tables)]);
}

async function download(runId, t, format) {
  try {
    const blob = await api(`/runs/${runId}/plans/${t.stage}/${t.table}?format=${format}`);
    const a = el("a", { href: URL.createObjectURL(blob), download: `${runId.slice(0, 8)}-${t.stage}-${t.table}.${format}` });
    a.click(); URL.revokeObjectURL(a.href);
  } catch (e) { say(e.message); }
}

async function planRows(runId, stage, table) {
  const page = await api(`/runs/${runId}/plans/${stage}/${table}?limit=100000`);
  return page.rows;
}

// --- compare ----------------------------------------------------------------------------------------------

async function compare() {
  const a = document.getElementById("compare-a").value, b = document.getElementById("compare-b").value;
  if (!a || !b) { say("pick two finished runs"); return; }
  try {
    const c = await api(`/compare?a=${a}&b=${b}`);
    fill("compare", c.kpis.map(r => el("tr", { "data-kpi": r.key, class: r.better === null ? "" : r.better ? "better" : "worse" },
      el("td", {}, `${r.label} (${r.unit})`), el("td", { class: "num" }, fmt(r.a)), el("td", { class: "num" }, fmt(r.b)),
      el("td", { class: "num delta" }, r.delta === null ? "" : fmt(r.delta)))));
  } catch (e) { say(e.message); }
}

// --- map --------------------------------------------------------------------------------------------------

const BOX = { lon0: -118.6, lon1: -86.5, lat0: 14.3, lat1: 32.9, w: 900, h: 620 };
function project(lon, lat) {
  const k = Math.cos((23.5 * Math.PI) / 180);
  const sx = BOX.w / ((BOX.lon1 - BOX.lon0) * k), sy = BOX.h / (BOX.lat1 - BOX.lat0), s = Math.min(sx, sy);
  return [(lon - BOX.lon0) * k * s, (BOX.lat1 - lat) * s];
}

function ringPath(ring) {
  return ring.map(([lon, lat], i) => { const [x, y] = project(lon, lat); return `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`; }).join("") + "Z";
}

async function facilities() {
  if (state.facilities) return state.facilities;
  const out = new Map();
  for (let offset = 0; ; offset += 1000) {
    const page = await api(`/facilities?kind=hospital&limit=1000&offset=${offset}`);
    for (const f of page.items) out.set(f.clues, f);
    if (offset + 1000 >= page.total) break;
  }
  state.facilities = out;
  return out;
}

async function drawMap(runId, readable) {
  const map = document.getElementById("map");
  if (!state.geo) state.geo = await api("/reference/states.geojson");
  const layers = [];
  const access = new Map();
  if (readable.has("access/by_state")) {
    for (const r of await planRows(runId, "access", "by_state")) access.set(String(r.cve_ent).padStart(2, "0"), r);
  }
  for (const feature of state.geo.features) {
    const g = feature.geometry;
    const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    const a = access.get(feature.properties.cve_ent);
    const path = svg("path", { class: "state", d: polys.map(p => p.map(ringPath).join("")).join("") });
    if (a) {
      // Share of the state's people within 120 min of 24/7 surgery: white (none) to blue (all).
      const t = Math.max(0, Math.min(1, a.share_120 ?? 0));
      path.setAttribute("style", `fill: rgb(${Math.round(253 - 180 * t)}, ${Math.round(253 - 110 * t)}, ${Math.round(253 - 30 * t)})`);
      path.append(svg("title"));
      path.firstChild.textContent = `${a.state}: ${(100 * t).toFixed(1)}% within 120 min, mean ${fmt(a.mean_minutes)} min`;
    }
    layers.push(path);
  }
  const hospitals = await facilities();
  let status = new Map();
  if (readable.has("capacity/hospitals")) {
    for (const r of await planRows(runId, "capacity", "hospitals")) status.set(r.clues, r);
  }
  for (const f of hospitals.values()) {
    const [x, y] = project(f.lon, f.lat);
    const s = status.get(f.clues);
    const cls = !s || s.status_24_7 === "no_surgery" ? "hnone" : s.rooms_24_7 >= 1 ? "h24" : "hday";
    const dot = svg("circle", { cx: x, cy: y, r: f.program ? 3.2 : 2, class: `hospital ${cls}`, "data-clues": f.clues });
    dot.append(svg("title")); dot.firstChild.textContent = `${f.name} (${f.clues})${s ? ` — ${s.status_24_7}` : ""}`;
    layers.push(dot);
  }
  if (readable.has("access/worst_served")) {
    if (!state.munis) state.munis = new Map((await api("/reference/municipalities")).map(m => [m.cvegeo, m]));
    for (const r of await planRows(runId, "access", "worst_served")) {
      const m = state.munis.get(String(r.cvegeo).padStart(5, "0"));
      if (!m) continue;
      const [x, y] = project(m.lon, m.lat);
      const c = svg("circle", { cx: x, cy: y, r: 5, class: "muni" });
      c.append(svg("title")); c.firstChild.textContent = `${m.name}: ${fmt(r.minutes ?? r.minutes_to_24_7 ?? null)} min`;
      layers.push(c);
    }
  }
  layers.push(svg("g", { id: "route-layer" }));
  map.replaceChildren(...layers);
}

// --- travel time to 24/7 surgery ------------------------------------------------------------------------

const NO_HOSPITAL = "#5e3c99";
// Colours of the finite bands, green (fast) to red (slow); `n` of them, picked evenly from the ramp.
function bandColours(n) {
  const ramp = ["#1a9850", "#66bd63", "#a6d96a", "#fee08b", "#fdae61", "#f46d43", "#d73027"];
  return Array.from({ length: n }, (_, i) => ramp[n === 1 ? 0 : Math.round((i * (ramp.length - 1)) / (n - 1))]);
}

async function drawAccessMap(runId, tables) {
  const map = document.getElementById("access-map");
  const table = tables.find(t => t.stage === "access" && t.table === "municipalities");
  if (!table || !table.readable) {
    map.replaceChildren();
    fill("access-bands", [el("tr", {}, el("td", { colspan: 4, class: "muted" },
      table ? "travel times are for the planner and admin roles" : "this run has no access stage"))]);
    return;
  }
  if (!state.geo) state.geo = await api("/reference/states.geojson");
  const doc = await api(`/runs/${runId}/access/map`);
  const colours = [...bandColours(doc.thresholds.length + 1), NO_HOSPITAL];
  fill("access-bands", doc.bands.map(b => el("tr", { "data-band": b.band },
    el("td", {}, el("i", { class: "swatch", style: `background: ${colours[b.band]}` }), b.label),
    el("td", { class: "num" }, fmt(b.municipalities)), el("td", { class: "num band-population" }, fmt(b.population)),
    el("td", { class: "num" }, `${(100 * b.share).toFixed(1)}%`))).concat([el("tr", { class: "total" },
    el("td", {}, "total"), el("td", { class: "num" }, fmt(doc.municipalities.length)),
    el("td", { class: "num" }, fmt(doc.total_population)), el("td", { class: "num" }, "100%"))]));
  const layers = [];
  for (const feature of state.geo.features) {
    const g = feature.geometry;
    const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    layers.push(svg("path", { class: "state", d: polys.map(p => p.map(ringPath).join("")).join("") }));
  }
  const biggest = Math.max(1, ...doc.municipalities.map(m => m.population));
  // Largest first, so small municipalities stay visible on top of their big neighbours.
  for (const m of [...doc.municipalities].sort((a, b) => b.population - a.population)) {
    const [x, y] = project(m.lon, m.lat);
    const c = svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: (1.2 + 9 * Math.sqrt(m.population / biggest)).toFixed(2),
      class: `amuni band-${m.band}`, fill: colours[m.band], "data-cvegeo": m.cvegeo });
    c.append(svg("title"));
    c.firstChild.textContent = `${m.name}, ${m.state} (${m.cvegeo}): ${fmt(m.population)} people, ${m.degree}; `
      + (m.minutes === null ? "no 24/7 hospital in reach" : `${m.minutes.toFixed(0)} min to ${m.nearest_24_7}`);
    layers.push(c);
  }
  map.replaceChildren(...layers);
}

// --- roster -----------------------------------------------------------------------------------------------

async function loadRosterChoices(runId, tables) {
  const sel = document.getElementById("roster-hospital");
  const box = document.getElementById("roster");
  const candidates = tables.filter(t => t.stage === "rostering" && t.readable && t.rows > 0);
  const roster = candidates.find(t => t.table === "roster") || candidates[0];
  if (!roster) {
    sel.replaceChildren();
    box.replaceChildren(el("p", { class: "muted" }, tables.some(t => t.stage === "rostering")
      ? "rosters are for the hr and admin roles" : "this run has no rosters"));
    return;
  }
  const rows = await planRows(runId, "rostering", roster.table);
  const col = ["clues", "hospital", "facility_clues"].find(c => rows.length && c in rows[0]);
  const hospitals = [...new Set(rows.map(r => r[col]))].sort();
  sel.replaceChildren(...hospitals.map(h => el("option", { value: h }, h)));
  const grid = rows.length && ["staff_id", "day", "shift"].every(c => c in rows[0]);
  sel.onchange = () => (grid ? showRoster : showTable)(box, rows.filter(r => r[col] === sel.value));
  sel.onchange();
}

function showRoster(box, rows) {
  // One line per person, one column per day: the shift worked (blank = rest).
  const days = [...new Set(rows.map(r => r.day))].sort((a, b) => a - b);
  const people = new Map();
  for (const r of rows) {
    if (!people.has(r.staff_id)) people.set(r.staff_id, { role: r.role, shifts: new Map() });
    people.get(r.staff_id).shifts.set(r.day, r.shift);
  }
  const head = el("tr", {}, el("th", {}, "staff"), el("th", {}, "role"), ...days.map(d => el("th", {}, `d${d + 1}`)));
  const body = [...people.entries()].sort((a, b) => a[1].role.localeCompare(b[1].role) || a[0].localeCompare(b[0]))
    .map(([id, p]) => el("tr", {}, el("td", {}, id), el("td", {}, p.role),
      ...days.map(d => { const s = p.shifts.get(d); return el("td", { class: s ? "shift" : "rest" }, s || ""); })));
  box.replaceChildren(el("table", { class: "roster" }, el("thead", {}, head), el("tbody", {}, ...body)));
}

function showTable(box, rows) {
  if (!rows.length) { box.replaceChildren(el("p", { class: "muted" }, "no rows")); return; }
  const cols = Object.keys(rows[0]);
  box.replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ...cols.map(c => el("th", {}, c)))),
    el("tbody", {}, ...rows.map(r => el("tr", {}, ...cols.map(c => el("td", {}, fmt(r[c]))))))));
}

// --- routes -----------------------------------------------------------------------------------------------

async function loadVehicles(runId, readable) {
  const sel = document.getElementById("route-vehicle");
  const box = document.getElementById("route");
  if (!readable.has("distribution/route_stops")) {
    sel.replaceChildren();
    box.replaceChildren(el("p", { class: "muted" }, "routes are for the logistics, planner and admin roles, in runs with distribution"));
    return;
  }
  const stops = await planRows(runId, "distribution", "route_stops");
  const vehicles = [...new Set(stops.map(s => s.vehicle_id))].sort();
  sel.replaceChildren(...vehicles.map(v => el("option", { value: v }, v)));
  sel.onchange = () => showRoute(stops.filter(s => s.vehicle_id === sel.value).sort((a, b) => a.seq - b.seq));
  if (vehicles.length) sel.onchange();
}

async function showRoute(stops) {
  const box = document.getElementById("route");
  showTable(box, stops);
  const layer = document.getElementById("route-layer");
  if (!layer || !stops.length) return;
  let depot = null;
  try { depot = (await api(`/depots?limit=1000`)).items.find(d => d.depot_id === stops[0].depot_id); } catch (_) { /* role without depots */ }
  const hospitals = await allFacilitiesFor(stops.map(s => s.clues));
  const pts = stops.map(s => hospitals.get(s.clues)).filter(Boolean).map(f => project(f.lon, f.lat));
  if (depot) { const d = project(depot.lon, depot.lat); pts.unshift(d); pts.push(d); }
  const path = svg("polyline", { class: "route", points: pts.map(p => p.join(",")).join(" ") });
  const parts = [path];
  if (depot) { const [x, y] = project(depot.lon, depot.lat); parts.push(svg("rect", { x: x - 4, y: y - 4, width: 8, height: 8, class: "depot" })); }
  layer.replaceChildren(...parts);
}

async function allFacilitiesFor(clues) {
  const known = await facilities();
  const out = new Map();
  for (const c of clues) {
    if (known.has(c)) { out.set(c, known.get(c)); continue; }
    try { const f = await api(`/facilities/${c}`); known.set(c, f); out.set(c, f); } catch (_) { /* unknown facility */ }
  }
  return out;
}

// --- wiring -----------------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("key-form").addEventListener("submit", ev => {
    ev.preventDefault(); useKey(document.getElementById("key").value);
  });
  document.getElementById("compare-go").addEventListener("click", compare);
  for (const id of ["compare-a", "compare-b"]) {
    document.getElementById(id).addEventListener("change", ev => { ev.target.dataset.touched = "1"; });
  }
  document.getElementById("cancel-run").addEventListener("click", async () => {
    try { await api(`/runs/${state.runId}/cancel`, { method: "POST" }); } catch (e) { say(e.message); }
  });
  if (state.key) { document.getElementById("key").value = state.key; useKey(state.key); }
});
