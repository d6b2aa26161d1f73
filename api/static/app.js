// bienestar-planner web page: plain JavaScript over the same API (no build step).
// Every text a person reads comes from the message catalogue (GET /i18n/{lang}, the same JSON files the
// reports use): T("web.key") here, {{web.key}} in index.html. Numbers and dates follow es-MX (or en-US), times
// are shown in America/Mexico_City. The API key lives in localStorage and goes out as "Authorization: Bearer".
"use strict";

const TZ = "America/Mexico_City";
const state = { key: localStorage.getItem("bienestar-key") || "", role: null, lang: document.documentElement.lang || "es",
  msg: {}, kinds: {}, audiences: {}, runId: null, poll: null, listPoll: null, facilities: null, geo: null, munis: null,
  options: null, scenarios: [], editing: null, checkTimer: null, routeBox: null };

// --- text and formats -----------------------------------------------------------------------------------

function T(key, params = {}) {
  const text = state.msg[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

const locale = () => (state.lang === "en" ? "en-US" : "es-MX");
const num = (v, digits = 0) => Number(v).toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = share => `${num(100 * share, 1)} %`;

function fmt(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return T(v ? "common.yes" : "common.no");
  if (typeof v === "number") return Number.isInteger(v) ? num(v) : num(v, Math.abs(v) >= 100 ? 0 : 2);
  return String(v);
}

// A KPI value by its kind: counts whole, shares and percentages as percentages, pesos as money.
function fmtKpi(id, v) {
  if (v === null || v === undefined) return "—";
  const kind = state.kinds[id] || "num";
  if (typeof v === "boolean" || kind === "bool") return T(v ? "common.yes" : "common.no");
  if (typeof v !== "number") return kind === "status" ? statusText(v) : String(v);
  switch (kind) {
    case "int": return num(Math.round(v));
    case "share": return pct(v);
    case "pct": return `${num(100 * v, 2)} %`;
    case "pct100": return `${num(v, 1)} %`;
    case "money": return `$${num(Math.round(v))}`;
    case "num3": return num(v, 3);
    default: return num(v, 1);
  }
}

// A difference of two KPI values, with its sign; shares become percentage points.
function fmtDelta(id, d) {
  if (d === null || d === undefined) return "";
  const kind = state.kinds[id] || "num";
  const [scale, digits] = { share: [100, 1], pct100: [1, 1], money: [1, 0], int: [1, 0] }[kind] || [1, 1];
  const shown = Number((Math.abs(d) * scale).toFixed(digits));
  const sign = shown === 0 ? "" : d > 0 ? "+" : "−";
  const text = num(shown, digits);
  if (kind === "share" || kind === "pct100") return `${sign}${text} pp`;
  return kind === "money" ? `${sign}$${text}` : `${sign}${text}`;
}

const kpiLabel = id => T(`kpis.${id}.label`);
const kpiUnit = id => (state.msg[`kpis.${id}.unit`] || "");
const kpiHelp = id => (state.msg[`kpis.${id}.help`] || "");
const statusText = s => (state.msg[`common.status.${s}`] || state.msg[`web.status.${s}`] || s);
const stageText = s => (state.msg[`web.stage.${s}`] || s);

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(locale(), { timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

// --- DOM helpers -----------------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function svg(tag, attrs = {}, title = null) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (title !== null) { const t = document.createElementNS("http://www.w3.org/2000/svg", "title"); t.textContent = title; node.append(t); }
  return node;
}

function say(text) {
  const m = document.getElementById("message");
  m.textContent = text; m.hidden = !text;
}

function fill(tableId, rows) {
  document.querySelector(`#${tableId} tbody`).replaceChildren(...rows);
}

const $ = id => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message, detail = null) { super(message); this.status = status; this.detail = detail; }
}

async function api(path, options = {}) {
  const headers = { "Accept-Language": state.lang, ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { ...options, headers });
  if (!res.ok) {
    let msg = `${res.status}`, detail = null;
    try {
      const body = await res.json();
      detail = body.detail || null;
      msg = body.error || (detail ? detail.map(d => d.msg).join("; ") : msg);
    } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, msg, detail);
  }
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : res.blob();
}

function saveBlob(blob, name) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// --- key and role -----------------------------------------------------------------------------------------

const can = {
  scenarios: () => ["planner", "admin"].includes(state.role),
  planning: () => ["planner", "admin"].includes(state.role),
  people: () => ["hr", "admin"].includes(state.role),
  routes: () => ["logistics", "planner", "admin"].includes(state.role),
};

async function useKey(key) {
  state.key = key.trim();
  localStorage.setItem("bienestar-key", state.key);
  try {
    const me = await api("/me");
    state.role = me.role;
    $("whoami").textContent = T("web.key.role", { role: T(`web.role.${me.role}`) });
    $("whoami").dataset.role = me.role;
    say("");
  } catch (e) {
    state.role = null;
    $("whoami").textContent = T("web.key.invalid");
    say(e.message); return;
  }
  $("scenarios-section").hidden = !can.scenarios();
  $("new-whatif").hidden = !can.scenarios();
  await Promise.allSettled([can.scenarios() ? loadScenarios() : null, loadRuns()]);
  clearInterval(state.listPoll);
  state.listPoll = setInterval(refreshRunList, 2000);
}

// --- scenarios ----------------------------------------------------------------------------------------------

async function loadScenarios() {
  try {
    state.scenarios = await api("/scenarios");
  } catch (e) { fill("scenarios", [el("tr", {}, el("td", { colspan: 4, class: "error" }, e.message))]); return; }
  fill("scenarios", state.scenarios.map(s => el("tr", { "data-scenario": s.name },
    el("td", {}, el("b", {}, s.title || s.name), s.builtin ? el("span", { class: "tag" }, T("web.scenarios.builtin")) : ""),
    el("td", {}, s.valid ? s.description : T("web.scenarios.invalid", { error: s.error })),
    el("td", {}, s.models.map(stageText).join(", ")),
    el("td", { class: "actions" },
      s.valid ? el("button", { type: "button", class: "run", onclick: () => startRun(s.name) }, T("web.scenarios.run")) : "",
      el("button", { type: "button", class: "copy", onclick: () => openEditor(s.name, "copy") },
        s.builtin ? T("web.scenarios.start_from") : T("web.scenarios.copy")),
      s.builtin ? "" : el("button", { type: "button", class: "edit", onclick: () => openEditor(s.name, "edit") }, T("web.scenarios.edit")),
      s.builtin ? "" : el("button", { type: "button", class: "delete", onclick: () => deleteScenario(s) }, T("web.scenarios.delete"))))));
}

async function deleteScenario(s) {
  if (!confirm(T("web.scenarios.confirm_delete", { name: s.title || s.name }))) return;
  try { await api(`/scenarios/${s.name}`, { method: "DELETE" }); say(T("web.scenarios.deleted", { name: s.title || s.name })); }
  catch (e) { say(e.message); }
  await loadScenarios();
}

async function startRun(name) {
  try {
    const run = await api("/runs", { method: "POST", body: JSON.stringify({ scenario: name }) });
    say(run.status === "queued" && run.queue_position
      ? T("web.runs.queued_msg", { id: run.cli_id, position: run.queue_position })
      : T("web.runs.started_msg", { name }));
    await loadRuns();
    selectRun(run.run_id);
  } catch (e) { say(e.message); }
}

// --- the what-if editor --------------------------------------------------------------------------------------

async function editorOptions() {
  if (!state.options) state.options = await api("/scenarios/options");
  return state.options;
}

function options(select, items, chosen = []) {
  select.replaceChildren(...items.map(c => el("option", { value: c.key, selected: chosen.includes(c.key) || chosen.includes(c.name) },
    c.detail ? `${c.name} (${c.detail})` : c.name)));
}

const chosen = select => [...select.selectedOptions].map(o => o.value);

function demandRule(opts, rule = { factor: 1.0 }) {
  const states = el("select", { multiple: true, size: 4, class: "rule-states", "aria-label": T("web.editor.rule_states") });
  options(states, opts.states.map(s => ({ key: s.name, name: s.name })), (rule.states || []).map(s => stateName(opts, s)));
  const specs = el("select", { multiple: true, size: 4, class: "rule-specialties", "aria-label": T("web.editor.rule_specialties") });
  options(specs, opts.specialties.map(s => ({ key: s, name: T(`web.specialty.${s}`) })), rule.specialties || []);
  const groups = el("select", { multiple: true, size: 4, class: "rule-groups", "aria-label": T("web.editor.rule_groups") });
  options(groups, opts.medicine_groups.map(g => ({ key: g, name: state.msg[`web.group.${g}`] || g })), rule.groups || []);
  const factor = el("input", { type: "number", min: 0, max: 100, step: 0.05, value: rule.factor, class: "rule-factor" });
  const row = el("div", { class: "rule" },
    el("label", {}, T("web.editor.rule_factor"), " ", factor),
    el("label", {}, T("web.editor.rule_states"), " ", states),
    el("label", {}, T("web.editor.rule_specialties"), " ", specs),
    el("label", {}, T("web.editor.rule_groups"), " ", groups),
    el("button", { type: "button", class: "rule-remove", onclick: () => { row.remove(); scheduleCheck(); } }, T("web.editor.remove_rule")),
    el("span", { class: "field-error" }));
  return row;
}

function stateName(opts, value) {
  const hit = opts.states.find(s => s.key === String(value).padStart(2, "0") || s.name === value);
  return hit ? hit.name : value;
}

// Open the editor on a scenario: "edit" changes a saved what-if, "copy" starts a new one from it.
async function openEditor(name, mode) {
  let opts, detail = null, resolved = {};
  $("editor").dataset.ready = "";
  try {
    opts = await editorOptions();
    if (name) detail = await api(`/scenarios/${name}`);
  } catch (e) { say(e.message); return; }
  const own = detail && !detail.builtin && detail.base;
  const base = own ? detail.base : name || (state.scenarios.find(s => s.valid) || {}).name;
  try { resolved = (await api(`/scenarios/${base}`)).resolved || {}; } catch (e) { say(e.message); }
  // every request is answered before a field is filled, so nothing the planner types is overwritten
  state.editing = { name: mode === "edit" ? name : null };
  $("editor-section").hidden = false;
  $("editor-title").textContent = mode === "edit" ? T("web.editor.editing", { name: detail.title || name }) : T("web.editor.title");
  options($("ed-base"), state.scenarios.filter(s => s.valid && s.name !== state.editing.name)
    .map(s => ({ key: s.name, name: s.title || s.name })), [base]);
  $("ed-title").value = mode === "edit" ? (detail.title || name) : detail ? T("web.editor.copy_of", { name: detail.title || name }) : "";
  $("ed-description").value = mode === "edit" ? (detail.description || "") : "";
  const o = (own ? detail.overrides : null) || {};
  const dep = { ...(resolved.deployment || {}), ...(o.deployment || {}) };
  const bonus = { ...(dep.degree_bonus_mxn || {}) };
  $("ed-budget").value = dep.budget_mxn_month ?? "";
  $("ed-remote").value = dep.remote_bonus_mxn ?? "";
  $("ed-bonus-muy-alto").value = bonus["Muy alto"] ?? "";
  $("ed-bonus-alto").value = bonus.Alto ?? "";
  $("ed-bonus-medio").value = bonus.Medio ?? "";
  const rec = { ...(resolved.recruits || {}), ...(o.recruits || {}) };
  $("ed-pool").value = rec.size ?? "";
  $("ed-incentive").value = rec.incentive_factor ?? 1;
  $("ed-demand").replaceChildren(...(o.demand || resolved.demand || []).map(r => demandRule(opts, r)));
  options($("ed-open"), opts.planned, (o.facilities || resolved.facilities || {}).open || []);
  options($("ed-close"), opts.hospitals_open, (o.facilities || resolved.facilities || {}).close || []);
  options($("ed-depots"), opts.depots, (o.depots || resolved.depots || {}).close || []);
  const tl = (sec, key) => ((o[sec] || {})[key] ?? (resolved[sec] || {})[key] ?? "");
  $("ed-tl-deployment").value = tl("deployment", "time_limit_s");
  $("ed-tl-capacity").value = tl("capacity", "time_limit_s");
  $("ed-tl-rostering").value = ((o.rostering || resolved.rostering || {}).settings || {}).time_limit_s ?? "";
  $("ed-tl-allocation").value = ((o.distribution || resolved.distribution || {}).allocation || {}).total_time_limit ?? "";
  $("ed-tl-routing").value = ((o.distribution || resolved.distribution || {}).routing || {}).time_limit ?? "";
  $("editor-section").scrollIntoView();
  $("editor").dataset.ready = "1";
  scheduleCheck();
}

const numberOf = id => ($(id).value === "" ? undefined : Number($(id).value));

// The request body the editor stands for: only what has a value is sent (the rest keeps the base's values).
function editorBody() {
  const clean = obj => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined
    && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0)));
  const bonus = clean({ "Muy alto": numberOf("ed-bonus-muy-alto"), Alto: numberOf("ed-bonus-alto"), Medio: numberOf("ed-bonus-medio") });
  const demand = [...document.querySelectorAll("#ed-demand .rule")].map(r => clean({
    factor: r.querySelector(".rule-factor").value === "" ? undefined : Number(r.querySelector(".rule-factor").value),
    states: chosen(r.querySelector(".rule-states")), specialties: chosen(r.querySelector(".rule-specialties")),
    groups: chosen(r.querySelector(".rule-groups")) }));
  const rosterLimit = numberOf("ed-tl-rostering");
  const overrides = clean({
    deployment: clean({ budget_mxn_month: numberOf("ed-budget"), remote_bonus_mxn: numberOf("ed-remote"),
      degree_bonus_mxn: Object.keys(bonus).length ? bonus : undefined, time_limit_s: numberOf("ed-tl-deployment") }),
    recruits: clean({ size: numberOf("ed-pool"), incentive_factor: numberOf("ed-incentive") }),
    demand,
    facilities: clean({ open: chosen($("ed-open")), close: chosen($("ed-close")) }),
    depots: clean({ close: chosen($("ed-depots")) }),
    capacity: clean({ time_limit_s: numberOf("ed-tl-capacity") }),
    rostering: rosterLimit === undefined ? undefined : { settings: { time_limit_s: rosterLimit } },
    distribution: clean({ allocation: clean({ total_time_limit: numberOf("ed-tl-allocation"), time_limit: numberOf("ed-tl-allocation") }),
      routing: clean({ time_limit: numberOf("ed-tl-routing") }) }),
  });
  return clean({ base: $("ed-base").value, title: $("ed-title").value.trim() || undefined,
    description: $("ed-description").value, overrides });
}

function scheduleCheck() {
  clearTimeout(state.checkTimer);
  state.checkTimer = setTimeout(checkEditor, 350);
}

function clearFieldErrors() {
  for (const e of document.querySelectorAll("#editor .field-error:not(.rule .field-error)")) e.remove();
  for (const e of document.querySelectorAll("#editor .rule .field-error")) e.textContent = "";
  for (const e of document.querySelectorAll("#editor .invalid")) e.classList.remove("invalid");
  $("ed-errors").textContent = "";
}

// A 422 error's location (["body", "overrides", "demand", 0, "factor"]) -> the field it is about.
function fieldFor(loc) {
  const path = loc.filter(p => p !== "body");
  if (path[0] === "overrides" && path[1] === "demand" && path.length > 2) {
    return document.querySelectorAll("#ed-demand .rule")[Number(path[2])] || null;
  }
  for (let n = path.length; n > 0; n--) {
    const f = document.querySelector(`#editor [data-field="${path.slice(0, n).join(".")}"]`);
    if (f) return f;
  }
  return null;
}

function showErrors(detail, general) {
  clearFieldErrors();
  for (const d of detail || []) {
    const field = fieldFor(d.loc);
    if (field && field.classList.contains("rule")) {
      field.querySelector(".field-error").textContent = d.msg;
      field.classList.add("invalid");
    } else if (field) {
      field.classList.add("invalid");
      field.insertAdjacentElement("afterend", el("span", { class: "field-error", role: "alert" }, d.msg));
    } else general.push(d.msg);
  }
  $("ed-errors").textContent = general.join(" ");
}

async function checkEditor() {
  const body = editorBody();
  const general = body.title ? [] : [T("web.editor.need_name")];
  try {
    const r = await api("/scenarios/check", { method: "POST", body: JSON.stringify(body) });
    showErrors([], [...general, ...r.errors]);
    $("ed-state").textContent = r.valid && !general.length ? T("web.editor.valid") : "";
    return r.valid && !general.length;
  } catch (e) {
    showErrors(e.detail, e.detail ? general : [...general, e.message]);
    $("ed-state").textContent = "";
    return false;
  }
}

async function saveEditor(run) {
  if (!(await checkEditor())) { say(T("web.editor.fix_first")); return; }
  const body = editorBody();
  try {
    const saved = state.editing.name
      ? await api(`/scenarios/${state.editing.name}`, { method: "PUT", body: JSON.stringify(body) })
      : await api("/scenarios", { method: "POST", body: JSON.stringify(body) });
    say(T("web.editor.saved", { name: saved.title }));
    state.editing = { name: saved.name };
    $("editor-section").hidden = true;
    await loadScenarios();
    if (run) await startRun(saved.name);
  } catch (e) {
    if (e.detail) showErrors(e.detail, []); else $("ed-errors").textContent = e.message;
  }
}

// --- runs -----------------------------------------------------------------------------------------------------

function statusCell(r) {
  let text = statusText(r.status);
  if (r.status === "queued" && r.queue_position) text = T("web.runs.queue_position", { position: r.queue_position });
  if (r.status === "running") {
    const st = Object.values(r.stages || {});
    const done = st.filter(s => !["pending", "running"].includes(s.status)).length;
    if (st.length) text = T("web.runs.running_progress", { done, total: st.length });
  }
  return el("td", { class: `status status-${r.status}`, "data-status": r.status }, text);
}

async function loadRuns() {
  let page;
  try { page = await api("/runs?limit=50"); } catch (e) {
    fill("runs", [el("tr", {}, el("td", { colspan: 7, class: "error" }, e.message))]); return null;
  }
  fill("runs", page.items.map(r => el("tr", { "data-run": r.run_id, "data-cli-id": r.cli_id, "data-source": r.source,
    class: r.run_id === state.runId ? "selected" : "" },
    el("td", {}, el("code", {}, r.cli_id)), el("td", {}, r.scenario), el("td", {}, T(`web.source.${r.source}`)),
    statusCell(r), el("td", {}, when(r.started || r.created)), el("td", {}, when(r.finished)),
    el("td", {}, el("button", { type: "button", class: "open", onclick: () => selectRun(r.run_id) }, T("web.runs.open"))))));
  const done = page.items.filter(r => r.status === "finished");
  for (const id of ["compare-a", "compare-b"]) {
    const sel = $(id); const keep = sel.value;
    sel.replaceChildren(...done.map(r => el("option", { value: r.run_id }, `${r.cli_id} ${r.scenario}`)));
    if (keep && done.some(r => r.run_id === keep)) sel.value = keep;
  }
  if (done.length > 1 && !$("compare-b").dataset.touched) {
    $("compare-b").value = done[0].run_id;
    $("compare-a").value = done[1].run_id;
  }
  return page;
}

// The list refreshes while any run is queued or running (live status), then rests.
async function refreshRunList() {
  const rows = [...document.querySelectorAll("#runs td.status")];
  if (rows.some(td => ["queued", "running", "cancelling"].includes(td.dataset.status))) await loadRuns();
}

function selectRun(runId) {
  state.runId = runId;
  clearInterval(state.poll);
  $("run-section").hidden = false;
  for (const id of ["headline", "downloads"]) $(id).replaceChildren();
  fill("kpis", []); fill("plans", []);
  refreshRun();
  state.poll = setInterval(refreshRun, 1000);
}

async function refreshRun() {
  const runId = state.runId;
  let run;
  try { run = await api(`/runs/${runId}`); } catch (e) { say(e.message); clearInterval(state.poll); return; }
  $("run-id").textContent = run.cli_id;
  $("run-scenario").textContent = run.scenario;
  $("run-cli").textContent = `bienestar report ${run.cli_id}`;
  const status = $("run-status");
  status.textContent = run.status === "queued" && run.queue_position
    ? T("web.runs.queue_position", { position: run.queue_position }) : statusText(run.status);
  status.dataset.status = run.status;
  const err = $("run-error");
  const why = run.error;  // the runner's message, in the page's language (the API renders it from the catalogue)
  err.textContent = why || ""; err.hidden = !why;
  fill("stages", Object.entries(run.stages).map(([name, s]) => el("tr", { "data-stage": name },
    el("td", {}, stageText(name)), el("td", {}, statusText(s.status)),
    el("td", {}, s.total ? el("progress", { max: s.total, value: s.done }) : s.status === "running" ? el("progress") : ""),
    el("td", { class: "num" }, s.seconds === null || s.seconds === undefined ? "" : num(s.seconds, 1)))));
  const active = ["queued", "running", "cancelling"].includes(run.status);
  $("cancel-run").hidden = !active || !can.scenarios();
  if (!active) {
    clearInterval(state.poll);
    await loadRuns();
    if (run.status === "finished" || (run.status === "failed" && run.has_kpis)) {
      await Promise.allSettled([loadKpis(runId, Object.keys(run.stages)), loadPlans(runId), showDownloads(run)]);
    }
  }
}

function audience() {
  return state.role === "hr" ? "hr" : state.role === "logistics" ? "logistics" : "planner";
}

// The API answers only the stages the role reads (HR: deployment, rostering, capacity; logistics: demand and
// distribution); the page says so when some were left out.
async function loadKpis(runId, stages) {
  const kpis = await api(`/runs/${runId}/kpis`);
  const cards = [];
  for (const id of state.audiences[audience()] || []) {
    const [stage, name] = id.split(".");
    const v = (kpis[stage] || {})[name];
    if (v === undefined) continue;
    cards.push(el("div", { class: "card", "data-kpi": id, title: kpiHelp(id) },
      el("div", { class: "card-value kpi-value" }, fmtKpi(id, v)),
      el("div", { class: "card-label" }, kpiLabel(id), " ", el("abbr", { class: "help", title: kpiHelp(id) }, "?")),
      el("div", { class: "card-unit muted" }, kpiUnit(id))));
  }
  $("headline").replaceChildren(...(cards.length ? cards : [el("p", { class: "muted" }, T("web.run.no_headline"))]));
  $("kpi-audience").textContent = T(`web.audience.${audience()}`);
  const rows = [];
  const hidden = stages.filter(s => !(s in kpis)).length;
  for (const [stage, values] of Object.entries(kpis)) {
    for (const [name, v] of Object.entries(values || {})) {
      if (typeof v === "object" && v !== null) continue;
      const id = `${stage}.${name}`;
      const known = `kpis.${id}.label` in state.msg;
      rows.push(el("tr", { "data-kpi": id, title: known ? kpiHelp(id) : "" }, el("td", {}, stageText(stage)),
        el("td", {}, known ? kpiLabel(id) : name), el("td", { class: "num kpi-value" }, known ? fmtKpi(id, v) : fmt(v)),
        el("td", { class: "muted" }, known ? kpiUnit(id) : "")));
    }
  }
  if (hidden) rows.push(el("tr", {}, el("td", { colspan: 4, class: "muted" }, T("web.run.kpis_hidden", { role: T(`web.role.${state.role}`) }))));
  fill("kpis", rows);
}

function showDownloads(run) {
  const items = [];
  const get = (path, name) => async () => {
    say(T("web.run.preparing"));
    try { saveBlob(await api(path), name); say(T("web.run.downloaded", { name })); } catch (e) { say(e.message); }
  };
  if (can.planning()) {
    items.push(el("button", { type: "button", id: "dl-report", onclick: get(`/runs/${run.run_id}/report`, `${run.cli_id}-report.html`) }, T("web.run.report")));
    items.push(el("button", { type: "button", id: "dl-planners", onclick: get(`/runs/${run.run_id}/workbooks/planners`, `${run.cli_id}-planners.xlsx`) }, T("web.run.wb_planners")));
  }
  if (can.people()) items.push(el("button", { type: "button", id: "dl-hr", onclick: get(`/runs/${run.run_id}/workbooks/hr`, `${run.cli_id}-hr.xlsx`) }, T("web.run.wb_hr")));
  if (state.role === "logistics" || state.role === "admin") {
    items.push(el("button", { type: "button", id: "dl-logistics", onclick: get(`/runs/${run.run_id}/workbooks/logistics`, `${run.cli_id}-logistics.xlsx`) }, T("web.run.wb_logistics")));
  }
  $("downloads").replaceChildren(...items);
}

async function loadPlans(runId) {
  const tables = await api(`/runs/${runId}/plans`);
  fill("plans", tables.map(t => el("tr", {}, el("td", {}, stageText(t.stage)), el("td", {}, t.table), el("td", { class: "num" }, num(t.rows)),
    el("td", {}, t.readable ? el("span", {},
      el("button", { type: "button", onclick: () => download(runId, t, "csv") }, "CSV"), " ",
      el("button", { type: "button", onclick: () => download(runId, t, "xlsx") }, "XLSX"))
      : el("span", { class: "muted" }, T("web.run.not_for_role"))))));
  const readable = new Set(tables.filter(t => t.readable).map(t => `${t.stage}/${t.table}`));
  const present = new Set(tables.map(t => t.stage));
  const roster = loadRosterChoices(runId, tables);
  await drawMap(runId, readable, present).catch(e => say(e.message));
  await Promise.allSettled([roster, loadVehicles(runId, readable, present), drawAccessMap(runId, tables)]);
}

async function download(runId, t, format) {
  try { saveBlob(await api(`/runs/${runId}/plans/${t.stage}/${t.table}?format=${format}`), `${t.stage}-${t.table}.${format}`); }
  catch (e) { say(e.message); }
}

async function planRows(runId, stage, table) {
  return (await api(`/runs/${runId}/plans/${stage}/${table}?limit=100000`)).rows;
}

// --- compare -------------------------------------------------------------------------------------------------

async function compare() {
  const a = $("compare-a").value, b = $("compare-b").value;
  if (!a || !b) { say(T("web.compare.pick_two")); return; }
  let c;
  try { c = await api(`/compare?a=${a}&b=${b}`); } catch (e) { say(e.message); return; }
  fill("compare", c.kpis.filter(r => r.a !== null || r.b !== null).map(r => {
    const id = `headline.${r.key}`;
    return el("tr", { "data-kpi": r.key, title: kpiHelp(id), class: r.better === null ? "" : r.better ? "better" : "worse" },
      el("td", {}, kpiLabel(id), el("span", { class: "muted" }, ` (${kpiUnit(id)})`)),
      el("td", { class: "num" }, fmtKpi(id, r.a)), el("td", { class: "num" }, fmtKpi(id, r.b)),
      el("td", { class: "num delta" }, fmtDelta(id, r.delta)));
  }));
  const share = v => (v === null || v === undefined ? "—" : pct(v));
  const cov = v => (v === null || v === undefined ? "—" : `${num(v, 1)} %`);
  fill("compare-states", c.by_state.map(s => el("tr", { "data-state": s.cve_ent },
    el("td", {}, s.state || s.cve_ent), el("td", { class: "num" }, cov(s.coverage_pct_a)), el("td", { class: "num" }, cov(s.coverage_pct_b)),
    el("td", { class: "num delta" }, fmtDelta("headline.coverage_pct", s.coverage_pct_delta)),
    el("td", { class: "num" }, fmt(s.hospitals_24_7_a)), el("td", { class: "num" }, fmt(s.hospitals_24_7_b)),
    el("td", { class: "num" }, share(s.access_120_a)), el("td", { class: "num" }, share(s.access_120_b)),
    el("td", { class: "num delta" }, fmtDelta("headline.access_120", s.access_120_delta)))));
  await drawCompareMap(c.by_state);
}

// States coloured by the change in surgical coverage B − A: green better, red worse, white unchanged.
async function drawCompareMap(byState) {
  if (!state.geo) state.geo = await api("/reference/states.geojson");
  const delta = new Map(byState.map(s => [String(s.cve_ent).padStart(2, "0"), s]));
  const biggest = Math.max(1e-9, ...byState.map(s => Math.abs(s.coverage_pct_delta ?? 0)));
  $("compare-map").replaceChildren(...state.geo.features.map(f => {
    const s = delta.get(f.properties.cve_ent);
    const d = s ? s.coverage_pct_delta ?? 0 : 0;
    const t = Math.min(1, Math.abs(d) / biggest);
    const fillColour = d > 0 ? `rgb(${Math.round(255 - 200 * t)}, ${Math.round(255 - 80 * t)}, ${Math.round(255 - 200 * t)})`
      : d < 0 ? `rgb(${Math.round(255 - 40 * t)}, ${Math.round(255 - 200 * t)}, ${Math.round(255 - 200 * t)})` : "#fdfdfd";
    const label = `${f.properties.name || (s && s.state) || f.properties.cve_ent}: ${fmtDelta("headline.coverage_pct", d) || "0"}`;
    return svg("path", { class: "state", d: statePath(f), style: `fill: ${fillColour}`, "data-state": f.properties.cve_ent }, label);
  }));
}

// --- maps --------------------------------------------------------------------------------------------------------

const BOX = { lon0: -118.6, lon1: -86.5, lat0: 14.3, lat1: 32.9, w: 900, h: 620 };
function project(lon, lat) {
  const k = Math.cos((23.5 * Math.PI) / 180);
  const sx = BOX.w / ((BOX.lon1 - BOX.lon0) * k), sy = BOX.h / (BOX.lat1 - BOX.lat0), s = Math.min(sx, sy);
  return [(lon - BOX.lon0) * k * s, (BOX.lat1 - lat) * s];
}

function ringPath(ring) {
  return ring.map(([lon, lat], i) => { const [x, y] = project(lon, lat); return `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`; }).join("") + "Z";
}

function statePath(feature) {
  const g = feature.geometry;
  const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
  return polys.map(p => p.map(ringPath).join("")).join("");
}

async function facilities() {
  if (state.facilities) return state.facilities;
  const out = new Map();
  for (let offset = 0; ; offset += 1000) {
    const page = await api(`/facilities?limit=1000&offset=${offset}`);
    for (const f of page.items) out.set(f.clues, f);
    if (offset + 1000 >= page.total) break;
  }
  state.facilities = out;
  return out;
}

async function drawMap(runId, readable, present) {
  const map = $("map");
  if (!state.geo) state.geo = await api("/reference/states.geojson");
  const layers = [];
  const access = new Map();
  if (readable.has("access/by_state")) {
    for (const r of await planRows(runId, "access", "by_state")) access.set(String(r.cve_ent).padStart(2, "0"), r);
  }
  for (const feature of state.geo.features) {
    const a = access.get(feature.properties.cve_ent);
    let style = "";
    let title = null;
    if (a) {
      const t = Math.max(0, Math.min(1, a.share_120 ?? 0));
      style = `fill: rgb(${Math.round(253 - 180 * t)}, ${Math.round(253 - 110 * t)}, ${Math.round(253 - 30 * t)})`;
      title = T("web.map.state_tip", { state: a.state, share: pct(t), minutes: num(a.mean_minutes ?? 0) });
    }
    layers.push(svg("path", { class: "state", d: statePath(feature), style }, title));
  }
  const all = await facilities();
  const statusKnown = readable.has("capacity/hospitals");
  const status = new Map();
  if (statusKnown) for (const r of await planRows(runId, "capacity", "hospitals")) status.set(r.clues, r);
  // Say what this role may not see instead of drawing it as "no surgery".
  const note = $("map-note");
  note.hidden = statusKnown;
  note.textContent = statusKnown ? "" : present.has("capacity")
    ? T("web.map.no_status_role", { role: T(`web.role.${state.role}`) }) : T("web.map.no_status_run");
  $("map-legend").hidden = !statusKnown;
  for (const f of all.values()) {
    if (f.kind !== "hospital") continue;
    const [x, y] = project(f.lon, f.lat);
    const s = status.get(f.clues);
    const cls = !statusKnown ? "hunknown" : !s || s.status_24_7 === "no_surgery" ? "hnone" : s.rooms_24_7 >= 1 ? "h24" : "hday";
    const tip = `${f.name} (${f.clues})${s ? ` — ${T(`web.h247.${s.status_24_7}`)}` : ""}`;
    layers.push(svg("circle", { cx: x, cy: y, r: f.program ? 3.2 : 2, class: `hospital ${cls}`, "data-clues": f.clues }, tip));
  }
  if (readable.has("access/worst_served")) {
    if (!state.munis) state.munis = new Map((await api("/reference/municipalities")).map(m => [m.cvegeo, m]));
    for (const r of await planRows(runId, "access", "worst_served")) {
      const m = state.munis.get(String(r.cvegeo).padStart(5, "0"));
      if (!m) continue;
      const [x, y] = project(m.lon, m.lat);
      layers.push(svg("circle", { cx: x, cy: y, r: 5, class: "muni" }, T("web.map.muni_tip", { name: m.name, minutes: fmt(r.minutes ?? r.minutes_to_24_7 ?? null) })));
    }
  }
  map.replaceChildren(...layers);
}

const NO_HOSPITAL = "#5e3c99";
function bandColours(n) {
  const ramp = ["#1a9850", "#66bd63", "#a6d96a", "#fee08b", "#fdae61", "#f46d43", "#d73027"];
  return Array.from({ length: n }, (_, i) => ramp[n === 1 ? 0 : Math.round((i * (ramp.length - 1)) / (n - 1))]);
}

function bandLabel(band, thresholds) {
  if (band === thresholds.length + 1) return T("web.access.band_none");
  if (band === 0) return T("web.access.band_first", { to: thresholds[0] });
  if (band === thresholds.length) return T("web.access.band_last", { from: thresholds[band - 1] });
  return T("web.access.band_mid", { from: thresholds[band - 1], to: thresholds[band] });
}

async function drawAccessMap(runId, tables) {
  const map = $("access-map");
  const table = tables.find(t => t.stage === "access" && t.table === "municipalities");
  if (!table || !table.readable) {
    map.replaceChildren();
    fill("access-bands", [el("tr", {}, el("td", { colspan: 4, class: "muted" },
      table ? T("web.access.not_for_role", { role: T(`web.role.${state.role}`) }) : T("web.access.no_stage")))]);
    return;
  }
  if (!state.geo) state.geo = await api("/reference/states.geojson");
  const doc = await api(`/runs/${runId}/access/map`);
  const colours = [...bandColours(doc.thresholds.length + 1), NO_HOSPITAL];
  fill("access-bands", doc.bands.map(b => el("tr", { "data-band": b.band },
    el("td", {}, el("i", { class: "swatch", style: `background: ${colours[b.band]}` }), bandLabel(b.band, doc.thresholds)),
    el("td", { class: "num" }, num(b.municipalities)), el("td", { class: "num band-population" }, num(b.population)),
    el("td", { class: "num" }, pct(b.share)))).concat([el("tr", { class: "total" },
    el("td", {}, T("web.access.total")), el("td", { class: "num" }, num(doc.municipalities.length)),
    el("td", { class: "num" }, num(doc.total_population)), el("td", { class: "num" }, "100 %"))]));
  const layers = state.geo.features.map(f => svg("path", { class: "state", d: statePath(f) }));
  const biggest = Math.max(1, ...doc.municipalities.map(m => m.population));
  for (const m of [...doc.municipalities].sort((a, b) => b.population - a.population)) {
    const [x, y] = project(m.lon, m.lat);
    const tip = m.minutes === null
      ? T("web.access.muni_none", { name: m.name, state: m.state, people: num(m.population), degree: m.degree })
      : T("web.access.muni_tip", { name: m.name, state: m.state, people: num(m.population), degree: m.degree, minutes: num(m.minutes), hospital: m.nearest_24_7 });
    layers.push(svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: (1.2 + 9 * Math.sqrt(m.population / biggest)).toFixed(2),
      class: `amuni band-${m.band}`, fill: colours[m.band], "data-cvegeo": m.cvegeo }, tip));
  }
  map.replaceChildren(...layers);
}

// --- roster -------------------------------------------------------------------------------------------------------

async function loadRosterChoices(runId, tables) {
  const sel = $("roster-hospital");
  const box = $("roster");
  const candidates = tables.filter(t => t.stage === "rostering" && t.readable && t.rows > 0);
  const roster = candidates.find(t => t.table === "roster") || candidates[0];
  if (!roster) {
    sel.replaceChildren();
    box.replaceChildren(el("p", { class: "muted note" }, tables.some(t => t.stage === "rostering")
      ? T("web.roster.not_for_role", { role: T(`web.role.${state.role}`) }) : T("web.roster.none")));
    return;
  }
  const rows = await planRows(runId, "rostering", roster.table);
  const col = ["clues", "hospital", "facility_clues"].find(c => rows.length && c in rows[0]);
  const all = await facilities();
  const hospitals = [...new Set(rows.map(r => r[col]))].sort();
  sel.replaceChildren(...hospitals.map(h => el("option", { value: h }, all.has(h) ? `${all.get(h).name} (${h})` : h)));
  const grid = rows.length && ["staff_id", "day", "shift"].every(c => c in rows[0]);
  sel.onchange = () => (grid ? showRoster : showTable)(box, rows.filter(r => r[col] === sel.value));
  sel.onchange();
}

function showRoster(box, rows) {
  const days = [...new Set(rows.map(r => r.day))].sort((a, b) => a - b);
  const people = new Map();
  for (const r of rows) {
    if (!people.has(r.staff_id)) people.set(r.staff_id, { role: r.role, shifts: new Map() });
    people.get(r.staff_id).shifts.set(r.day, r.shift);
  }
  const head = el("tr", {}, el("th", {}, T("web.roster.person")), el("th", {}, T("web.roster.role")),
    ...days.map(d => el("th", {}, T("web.roster.day", { n: d + 1 }))));
  const body = [...people.entries()].sort((a, b) => a[1].role.localeCompare(b[1].role) || a[0].localeCompare(b[0]))
    .map(([id, p]) => el("tr", {}, el("td", {}, id), el("td", {}, state.msg[`web.cadre.${p.role}`] || p.role),
      ...days.map(d => { const s = p.shifts.get(d); return el("td", { class: s ? "shift" : "rest", title: s ? T(`web.shift.${s}`) : T("web.roster.rest") }, s || ""); })));
  box.replaceChildren(el("p", { class: "muted" }, T("web.roster.legend")),
    el("table", { class: "roster" }, el("thead", {}, head), el("tbody", {}, ...body)));
}

function showTable(box, rows) {
  if (!rows.length) { box.replaceChildren(el("p", { class: "muted" }, T("web.common.no_rows"))); return; }
  const cols = Object.keys(rows[0]);
  box.replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ...cols.map(c => el("th", {}, c)))),
    el("tbody", {}, ...rows.map(r => el("tr", {}, ...cols.map(c => el("td", {}, fmt(r[c]))))))));
}

// --- routes ---------------------------------------------------------------------------------------------------------

async function depots() {
  try { return (await api("/depots?limit=1000")).items.map(d => ({ key: d.depot_id, name: d.name, lat: d.lat, lon: d.lon })); }
  catch (_) { /* the role reads depots through the editor's lists */ }
  try { return (await editorOptions()).depots; } catch (_) { return []; }
}

async function loadVehicles(runId, readable, present) {
  const sel = $("route-vehicle");
  const box = $("route");
  $("route-map").replaceChildren();
  if (!readable.has("distribution/manifest")) {
    sel.replaceChildren();
    box.replaceChildren(el("p", { class: "muted note" }, present.has("distribution")
      ? T("web.route.not_for_role", { role: T(`web.role.${state.role}`) }) : T("web.route.none")));
    return;
  }
  const lines = await planRows(runId, "distribution", "manifest");
  const known = await depots();
  const vehicles = [...new Set(lines.map(s => `${s.depot_id}/${s.vehicle_id}`))].sort();
  sel.replaceChildren(...vehicles.map(v => el("option", { value: v }, v.replace("/", " · "))));
  sel.onchange = () => showRoute(lines.filter(s => `${s.depot_id}/${s.vehicle_id}` === sel.value), known);
  if (vehicles.length) sel.onchange();
  else box.replaceChildren(el("p", { class: "muted" }, T("web.route.no_vehicles")));
}

// One line per stop: facility name, ETA, delivery window, load (units, lines, cold chain).
function routeStops(lines) {
  const stops = new Map();
  for (const l of lines) {
    if (!stops.has(l.seq)) stops.set(l.seq, { seq: l.seq, clues: l.clues, facility: l.facility, eta: l.eta, window: l.window, units: 0, lines: 0, cold: false, departure: l.departure, ret: l.return });
    const s = stops.get(l.seq);
    s.units += Number(l.units) || 0; s.lines += 1; s.cold = s.cold || l.cold_chain === true || l.cold_chain === "True";
  }
  return [...stops.values()].sort((a, b) => a.seq - b.seq);
}

async function showRoute(lines, knownDepots) {
  const stops = routeStops(lines);
  const depot = knownDepots.find(d => d.key === lines[0].depot_id && d.lat !== null && d.lat !== undefined);
  const head = el("tr", {}, ...["seq", "facility", "eta", "window", "load", "cold"].map(c => el("th", {}, T(`web.route.${c}`))));
  const depotRow = t => el("tr", { class: "depot-row" }, el("td", {}, ""), el("td", {}, `${T("web.route.depot")}: ${depot ? depot.name : lines[0].depot_id}`),
    el("td", {}, t), el("td", {}, ""), el("td", {}, ""), el("td", {}, ""));
  $("route").replaceChildren(el("table", { id: "route-table" }, el("thead", {}, head), el("tbody", {},
    depotRow(T("web.route.departs", { time: stops[0].departure })),
    ...stops.map(s => el("tr", { "data-clues": s.clues }, el("td", { class: "num" }, s.seq), el("td", {}, `${s.facility} (${s.clues})`),
      el("td", {}, s.eta), el("td", {}, s.window), el("td", { class: "num" }, T("web.route.load_text", { units: num(s.units), lines: s.lines })),
      el("td", {}, s.cold ? T("common.yes") : T("common.no")))),
    depotRow(T("web.route.returns", { time: stops[0].ret })))));
  const all = await facilities();
  const pts = stops.map(s => ({ s, f: all.get(s.clues) })).filter(p => p.f);
  if (!state.geo) state.geo = await api("/reference/states.geojson");
  const layers = state.geo.features.map(f => svg("path", { class: "state", d: statePath(f) }));
  const xy = pts.map(p => project(p.f.lon, p.f.lat));
  const dxy = depot ? project(depot.lon, depot.lat) : null;
  const line = dxy ? [dxy, ...xy, dxy] : xy;
  layers.push(svg("polyline", { class: "route", points: line.map(p => p.join(",")).join(" ") }));
  pts.forEach((p, i) => {
    const [x, y] = xy[i];
    layers.push(svg("circle", { cx: x, cy: y, r: 1.6, class: "stop", "data-clues": p.s.clues },
      `${p.s.seq}. ${p.s.facility} — ${T("web.route.eta")} ${p.s.eta}, ${T("web.route.window")} ${p.s.window}`));
  });
  if (dxy) layers.push(svg("rect", { x: dxy[0] - 2.5, y: dxy[1] - 2.5, width: 5, height: 5, class: "depot" }, `${T("web.route.depot")}: ${depot.name}`));
  $("route-map").replaceChildren(...layers);
  const xs = line.map(p => p[0]), ys = line.map(p => p[1]);
  state.routeBox = xs.length ? [Math.min(...xs) - 15, Math.min(...ys) - 15, Math.max(...xs) - Math.min(...xs) + 30, Math.max(...ys) - Math.min(...ys) + 30] : null;
  zoom("fit");
}

// Zoom the route map: fit the route, or halve / double the visible area around its centre.
function zoom(how) {
  const map = $("route-map");
  if (how === "fit") {
    const b = state.routeBox || [0, 0, 900, 620];
    const w = Math.max(b[2], 60), h = Math.max(b[3], 40);
    map.setAttribute("viewBox", `${b[0] + b[2] / 2 - w / 2} ${b[1] + b[3] / 2 - h / 2} ${w} ${h}`);
    return;
  }
  const [x, y, w, h] = map.getAttribute("viewBox").split(" ").map(Number);
  const k = how === "in" ? 0.5 : 2;
  map.setAttribute("viewBox", `${x + w / 2 - (w * k) / 2} ${y + h / 2 - (h * k) / 2} ${w * k} ${h * k}`);
}

// --- wiring ----------------------------------------------------------------------------------------------------------

async function loadCatalogue() {
  const doc = await (await fetch(`/i18n/${state.lang}`)).json();
  state.msg = doc.messages; state.kinds = doc.kinds; state.audiences = doc.audiences;
}

document.addEventListener("DOMContentLoaded", async () => {
  await loadCatalogue();
  $("lang-switch").value = state.lang;
  $("lang-switch").addEventListener("change", ev => { window.location.search = `?lang=${ev.target.value}`; });
  $("key-form").addEventListener("submit", ev => { ev.preventDefault(); useKey($("key").value); });
  $("compare-go").addEventListener("click", compare);
  for (const id of ["compare-a", "compare-b"]) $(id).addEventListener("change", ev => { ev.target.dataset.touched = "1"; });
  $("cancel-run").addEventListener("click", async () => {
    try { await api(`/runs/${state.runId}/cancel`, { method: "POST" }); } catch (e) { say(e.message); }
  });
  $("new-whatif").addEventListener("click", () => openEditor(null, "copy"));
  $("editor").addEventListener("input", scheduleCheck);
  $("editor").addEventListener("change", scheduleCheck);
  $("editor").addEventListener("submit", ev => { ev.preventDefault(); saveEditor(false); });
  $("ed-save-run").addEventListener("click", () => saveEditor(true));
  $("ed-cancel").addEventListener("click", () => { $("editor-section").hidden = true; });
  $("ed-add-rule").addEventListener("click", async () => { $("ed-demand").append(demandRule(await editorOptions())); scheduleCheck(); });
  $("zoom-in").addEventListener("click", () => zoom("in"));
  $("zoom-out").addEventListener("click", () => zoom("out"));
  $("zoom-fit").addEventListener("click", () => zoom("fit"));
  if (state.key) { $("key").value = state.key; useKey(state.key); }
});
