// Onboarding dashboard: vanilla JS module, same-origin fetch to the operator API.
// Every value from the API reaches the DOM through textContent or attributes (no HTML parsing).

const API = location.pathname.replace(/\/dashboard\/?$/, "");
const REFRESH_MS = 5000;
const RUNNING = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);
const COUNT_KEYS = [
  "Pending", "Running", "Completed", "Failed", "Terminated", "Succeeded", "Compensated",
  "waitingOnOperator",
];
const COUNT_LABELS = { waitingOnOperator: "Waiting on operator" };

const $ = (id) => document.getElementById(id);

const state = {
  paused: false,
  timer: null,
  busy: false,
  filters: {},
  items: [],
  token: null,
  pages: 1,
  runId: null,
  run: null,
  timeline: null,
};

// ---- DOM helpers ------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style") Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function fmtTime(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/:\d\dZ$/, "Z");
}

function fmtDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ""}`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function badge(text, kind) {
  return el("span", { class: `badge st-${kind || text}`, text });
}

// ---- API --------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.title) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (err) {
    throw new ApiError(0, { title: "The API cannot be reached", detail: String(err) });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { title: `HTTP ${response.status}`, detail: text.slice(0, 500) };
    }
  }
  if (!response.ok) {
    const problem = data && typeof data === "object" ? data : { detail: String(data) };
    if (!problem.title) problem.title = `HTTP ${response.status} ${response.statusText}`;
    throw new ApiError(response.status, problem);
  }
  return { status: response.status, data };
}

// A problem from loading is cleared by the next good load; one from an action stays until
// dismissed, the next action or leaving the page (an auto-refresh must not hide it).
function showProblem(err, doing, source = "load") {
  const box = $("problem");
  if (!err) {
    if (source === "any" || box.dataset.source !== "action") {
      clear(box);
      box.hidden = true;
      delete box.dataset.source;
    }
    return;
  }
  clear(box);
  box.dataset.source = source;
  const problem = err.problem || { title: String(err.message || err) };
  const status = err.status ? ` (HTTP ${err.status})` : "";
  box.append(el("h2", { text: `${doing}: ${problem.title || "failed"}${status}` }));
  if (problem.detail) box.append(el("p", { text: problem.detail }));
  const lists = [];
  for (const key of ["errors", "violations"]) {
    if (Array.isArray(problem[key])) {
      for (const item of problem[key]) {
        if (item && typeof item === "object") {
          const where = item.field || item.loc || item.rule || "";
          const what = item.message || item.msg || item.detail || JSON.stringify(item);
          lists.push(where ? `${Array.isArray(where) ? where.join(".") : where}: ${what}` : what);
        } else {
          lists.push(String(item));
        }
      }
    }
  }
  if (Array.isArray(problem.requiredRoles)) {
    lists.push(`Required app role: ${problem.requiredRoles.join(" or ")}`);
  }
  if (lists.length) box.append(el("ul", {}, ...lists.map((t) => el("li", { text: t }))));
  if (err.status === 401) {
    const back = location.pathname + location.hash;
    const login = `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(back)}`;
    box.append(el("p", {}, el("a", { href: login, text: "Sign in" }), " to use the dashboard."));
  }
  box.append(
    el("button", { type: "button", text: "Dismiss", onclick: () => showProblem(null, "", "any") }),
  );
  box.hidden = false;
}

function notice(text) {
  const box = $("notice");
  box.textContent = text || "";
  box.hidden = !text;
}

// ---- refresh ----------------------------------------------------------------------------------

function scheduleRefresh() {
  clearTimeout(state.timer);
  if (!state.paused) state.timer = setTimeout(() => refresh(), REFRESH_MS);
}

async function refresh() {
  if (state.busy) return scheduleRefresh();
  state.busy = true;
  try {
    if (state.runId) await loadRun(state.runId);
    else await Promise.all([loadCounts(), loadList(false)]);
    showProblem(null);
    $("refresh-state").textContent = `Last refreshed ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    showProblem(err, state.runId ? "Loading the run failed" : "Loading runs failed");
    $("refresh-state").textContent = `Refresh failed at ${new Date().toLocaleTimeString()}`;
  } finally {
    state.busy = false;
    scheduleRefresh();
  }
}

function togglePause() {
  state.paused = !state.paused;
  const button = $("refresh-toggle");
  button.setAttribute("aria-pressed", String(state.paused));
  button.textContent = state.paused ? "Resume auto-refresh" : "Pause auto-refresh";
  if (state.paused) {
    clearTimeout(state.timer);
    $("refresh-state").textContent += " (paused)";
  } else {
    refresh();
  }
}

// ---- list -------------------------------------------------------------------------------------

function readFilters() {
  const form = $("filters");
  const filters = {};
  for (const [name, value] of new FormData(form).entries()) {
    const text = String(value).trim();
    if (!text) continue;
    if (name === "from" || name === "to") {
      const d = new Date(`${text}Z`); // datetime-local read as UTC, like every time shown here
      if (!Number.isNaN(d.getTime())) filters[name] = d.toISOString();
    } else {
      filters[name] = text;
    }
  }
  return filters;
}

function listQuery(token) {
  const params = new URLSearchParams(state.filters);
  params.set("top", "25");
  if (token) params.set("continuationToken", token);
  return `/onboardings?${params}`;
}

async function loadCounts() {
  const { data } = await api("GET", "/onboardings/counts");
  const list = clear($("counts"));
  for (const key of COUNT_KEYS) {
    const n = data && typeof data[key] === "number" ? data[key] : 0;
    const filterable = key !== "waitingOnOperator";
    const pressed = filterable && state.filters.status === key;
    const button = el(
      "button",
      {
        type: "button",
        class: `st-${key}`,
        "aria-pressed": filterable ? String(pressed) : undefined,
        disabled: !filterable,
        title: filterable ? `Show only ${key} runs` : "Runs waiting for an operator's decision",
        "data-count": key,
        onclick: filterable ? () => filterByStatus(pressed ? "" : key) : undefined,
      },
      COUNT_LABELS[key] || key,
      el("span", { class: "count-n", text: n }),
    );
    list.append(el("li", {}, button));
  }
}

function filterByStatus(status) {
  $("filters").elements.status.value = status;
  applyFilters();
}

async function loadList(more) {
  if (more) {
    const { data } = await api("GET", listQuery(state.token));
    state.items = state.items.concat(data.items || []);
    state.token = data.continuationToken || null;
    state.pages += 1;
  } else {
    // A refresh reloads as many pages as the operator had opened.
    let items = [];
    let token = null;
    for (let page = 0; page < state.pages; page += 1) {
      const { data } = await api("GET", listQuery(token));
      items = items.concat(data.items || []);
      token = data.continuationToken || null;
      if (!token) break;
    }
    state.items = items;
    state.token = token;
  }
  renderList();
}

function renderList() {
  const body = clear($("runs").tBodies[0]);
  for (const run of state.items) {
    const status = run.outcome || run.status;
    const link = el("a", { href: `#/runs/${encodeURIComponent(run.id)}`, text: run.ticketId || run.id });
    body.append(
      el(
        "tr",
        { "data-id": run.id },
        el("td", { title: run.id }, link),
        el("td", { text: run.team || "" }),
        el("td", { text: run.workspace || "" }),
        el("td", { text: run.mode || "" }),
        el("td", {}, badge(status || "", status), run.outcome && run.status !== "Completed" ? ` ${run.status}` : ""),
        el("td", { text: run.step || "" }),
        el("td", { text: run.waitingFor || "", title: run.waitingFor || undefined }),
        el("td", { text: run.requestedBy || "" }),
        el("td", { text: fmtTime(run.createdAt) }),
        el("td", { text: fmtTime(run.updatedAt) }),
      ),
    );
  }
  $("list-empty").hidden = state.items.length > 0;
  $("more").hidden = !state.token;
}

async function applyFilters(event) {
  if (event) event.preventDefault();
  state.filters = readFilters();
  state.pages = 1;
  state.token = null;
  await refresh();
}

async function more() {
  try {
    await loadList(true);
    showProblem(null);
  } catch (err) {
    showProblem(err, "Loading more runs failed");
  }
}

// ---- run page ---------------------------------------------------------------------------------

function operatorEvent(waitingFor) {
  const text = String(waitingFor || "").toLowerCase();
  if (text.includes("approval")) return "approval";
  if (text.includes("private ip")) return "private_ip";
  if (text.includes("stalled")) return "stalled_decision";
  if (text.includes("failed") && text.includes("retry")) return "failed_decision";
  return null;
}

async function loadRun(id) {
  const path = `/onboardings/${encodeURIComponent(id)}`;
  const [run, timeline] = await Promise.all([
    api("GET", path).then((r) => r.data),
    api("GET", `${path}/timeline`).then((r) => r.data, () => null),
  ]);
  state.run = run;
  state.timeline = timeline;
  renderRun();
  if ($("history").open) await loadHistory();
}

function renderRun() {
  const run = state.run;
  const output = run.output || {};
  $("run-title").textContent = `Run ${run.id}`;
  const summary = clear($("run-summary"));
  const rows = [
    ["Status", badge(run.runtimeStatus || "", run.runtimeStatus)],
    ["Outcome", output.outcome ? badge(output.outcome, output.outcome) : "—"],
    ["Current step", run.currentStep || "—"],
    ["Waiting for", run.waitingFor || "—"],
    ["Until", run.until ? fmtTime(run.until) : "—"],
    ["Created", fmtTime(run.createdTime)],
    ["Last updated", fmtTime(run.lastUpdatedTime)],
  ];
  for (const [name, value] of rows) summary.append(el("dt", { text: name }), el("dd", {}, value));
  renderActions(run);
  renderTimeline(run, state.timeline);
  renderSteps(run.steps || []);
  $("output").textContent = run.output ? JSON.stringify(run.output, null, 2) : "(none yet)";
}

function stepKind(step, run, waiting) {
  if (step.status === "failed" || step.status === "undo-failed") return "failed";
  if (step.status === "undone") return "undone";
  const current = RUNNING.has(run.runtimeStatus) && run.currentStep === step.name;
  if (step.status === "stalled" || (current && operatorEvent(waiting))) return "operator";
  if (step.name === "wait") return "build";
  if (step.status === "succeeded") return "succeeded";
  return "running";
}

function renderTimeline(run, timeline) {
  const box = clear($("timeline"));
  const source = timeline || run;
  const steps = source.steps || run.steps || [];
  const waiting = (timeline && timeline.waitingFor) || run.waitingFor;
  const start = Date.parse(source.createdTime || run.createdTime);
  const running = RUNNING.has(run.runtimeStatus);
  let end = Date.parse((timeline && timeline.now) || run.lastUpdatedTime);
  for (const step of steps) {
    for (const t of [step.started, step.ended]) {
      const v = Date.parse(t);
      if (!Number.isNaN(v) && (Number.isNaN(end) || v > end)) end = v;
    }
  }
  if (!running && run.lastUpdatedTime) end = Math.max(end, Date.parse(run.lastUpdatedTime));
  if (Number.isNaN(start) || Number.isNaN(end)) {
    box.append(el("p", { class: "muted", text: "No times reported yet." }));
    return;
  }
  const span = Math.max(end - start, 1000);
  const pct = (t) => `${(((t - start) / span) * 100).toFixed(3)}%`;
  const axis = el("div", { class: "tl-axis", "aria-hidden": "true" });
  for (let i = 0; i <= 4; i += 1) {
    const t = start + (span * i) / 4;
    const tick = el("span", {
      class: "tl-tick",
      text: i === 0 ? fmtTime(new Date(start).toISOString()) : `+${fmtDuration(t - start)}`,
      style: i === 4 ? { right: "0", transform: "none" } : { left: `${i * 25}%` },
    });
    axis.append(tick);
  }
  box.append(axis);
  for (const step of steps) {
    const track = el("div", { class: "tl-track" });
    const begun = Date.parse(step.started);
    if (Number.isNaN(begun)) {
      track.append(el("span", { class: "tl-none", text: step.status || "not started" }));
    } else {
      const ended = Date.parse(step.ended);
      const stop = Number.isNaN(ended) ? end : ended;
      const kind = stepKind(step, run, waiting);
      const what =
        kind === "operator"
          ? `waiting on operator: ${waiting || step.status}`
          : kind === "build"
            ? "gateway build wait"
            : step.status;
      const label = `${step.name}: ${what}, ${fmtDuration(stop - begun)}`;
      track.append(
        el("div", {
          class: `tl-bar bar-${kind}`,
          "data-step": step.name,
          "data-kind": kind,
          role: "img",
          "aria-label": label,
          title: `${label} (${fmtTime(step.started)} – ${step.ended ? fmtTime(step.ended) : "now"})`,
          style: { left: pct(begun), width: `max(3px, ${pct(stop + start - begun)})` },
          text: (stop - begun) / span > 0.08 ? fmtDuration(stop - begun) : "",
        }),
      );
    }
    box.append(el("div", { class: "tl-row" }, el("div", { class: "tl-label", text: step.name }), track));
  }
  if (!steps.length) box.append(el("p", { class: "muted", text: "No steps yet." }));
}

function idList(ids) {
  if (!Array.isArray(ids) || !ids.length) return "";
  return el("ul", { class: "plain" }, ...ids.map((id) => el("li", { text: id })));
}

function renderSteps(steps) {
  const body = clear($("steps").tBodies[0]);
  for (const step of steps) {
    body.append(
      el(
        "tr",
        { "data-step": step.name },
        el("th", { scope: "row", text: step.name }),
        el("td", {}, badge(step.status || "", step.status)),
        el("td", { text: step.attempts ?? "" }),
        el("td", { text: fmtTime(step.started) }),
        el("td", { text: fmtTime(step.ended) }),
        el("td", { class: "error", text: step.error || "" }),
        el("td", { class: "ids" }, idList(step.created)),
        el("td", { class: "ids" }, idList(step.undone)),
      ),
    );
  }
}

async function loadHistory() {
  const pre = $("history-body");
  try {
    const { data } = await api("GET", `/onboardings/${encodeURIComponent(state.runId)}/history`);
    pre.textContent = JSON.stringify(data, null, 2);
  } catch (err) {
    pre.textContent = `Could not load the history: ${err.problem ? err.problem.title : err}`;
  }
}

// ---- actions ----------------------------------------------------------------------------------

function actionsFor(run) {
  const running = RUNNING.has(run.runtimeStatus);
  const event = running ? operatorEvent(run.waitingFor) : null;
  const id = run.id;
  const base = `/onboardings/${encodeURIComponent(id)}`;
  const reason = { name: "reason", label: "Reason (recorded in the run)", type: "text" };
  return [
    {
      label: "Terminate and compensate",
      enabled: running,
      danger: true,
      what: `Stops run ${id} while it waits (for the gateway build or on an operator) and undoes every resource it created, in reverse order. The run ends with outcome Compensated; this cannot be resumed. A run busy with a short step answers 409: try again in a moment.`,
      path: `${base}/terminate`,
      fields: [reason],
      body: (v) => ({ reason: v.reason, compensate: true }),
    },
    {
      label: "Terminate without compensation",
      enabled: running,
      danger: true,
      what: `Stops run ${id} immediately and leaves every resource it created in place (an operator must clean up). This cannot be resumed.`,
      path: `${base}/terminate`,
      fields: [reason],
      body: (v) => ({ reason: v.reason, compensate: false }),
    },
    {
      label: "Retry",
      enabled: !running || event === "failed_decision",
      what:
        event === "failed_decision"
          ? `Runs the failed step of ${id} again (fix its cause first); the steps it completed are kept.`
          : `Starts a new run (${id}-rN) with the original request: the steps run again, reusing only what the new run made.`,
      path: `${base}/retry`,
      fields: [],
      body: () => ({}),
    },
    {
      label: "Retry compensation",
      enabled: !running && (run.output || {}).outcome === "CompensationFailed",
      what: `Runs the undo steps that failed in ${id} again (fix their cause first, e.g. a missing permission): a compensation run (${id}-cN) removes the leftovers listed in the output, ending Compensated, or CompensationFailed with what is still left.`,
      path: `${base}/compensate`,
      fields: [reason],
      body: (v) => ({ reason: v.reason }),
    },
    {
      label: "Approve",
      enabled: event === "approval",
      what: `Approves run ${id}: it goes on to create the gateway.`,
      path: `${base}/approve`,
      fields: [reason],
      body: (v) => ({ approved: true, reason: v.reason }),
    },
    {
      label: "Reject",
      enabled: event === "approval",
      danger: true,
      what: `Rejects run ${id}: it stops and undoes what it created so far (outcome Compensated).`,
      path: `${base}/approve`,
      fields: [reason],
      body: (v) => ({ approved: false, reason: v.reason }),
    },
    {
      label: "Supply private IP",
      enabled: event === "private_ip",
      what: `Gives run ${id} the gateway's private IP; it then creates the private DNS A record pointing to it. It must be a private IPv4 address in the VNet.`,
      path: `${base}/events/private_ip`,
      fields: [{ name: "ip", label: "Private IP address", type: "text", required: true, placeholder: "10.0.0.4" }],
      body: (v) => ({ ip: v.ip }),
    },
    {
      label: "Keep waiting for the build",
      enabled: event === "stalled_decision",
      what: `Run ${id} keeps waiting for the stalled gateway build, with a new deadline.`,
      path: `${base}/events/stalled_decision`,
      fields: [],
      body: () => ({ action: "keepWaiting" }),
    },
    {
      label: "Abort the stalled build",
      enabled: event === "stalled_decision",
      danger: true,
      what: `Run ${id} gives up on the stalled gateway build and undoes what it created.`,
      path: `${base}/events/stalled_decision`,
      fields: [],
      body: () => ({ action: "abort" }),
    },
    {
      label: "Purge",
      enabled: !running,
      danger: true,
      what: `Deletes the history and status of run ${id} permanently. Azure resources are not touched. The run disappears from this dashboard.`,
      path: `${base}/purge`,
      fields: [],
      body: () => ({}),
    },
  ];
}

function renderActions(run) {
  const box = clear($("actions"));
  for (const action of actionsFor(run)) {
    box.append(
      el("button", {
        type: "button",
        class: action.danger ? "danger" : "primary",
        disabled: !action.enabled,
        text: action.label,
        onclick: () => confirmAction(action),
      }),
    );
  }
}

function confirmAction(action) {
  const dialog = $("confirm");
  $("confirm-title").textContent = `${action.label}?`;
  $("confirm-what").textContent = action.what;
  $("confirm-request").textContent = `POST ${API}${action.path}`;
  const fields = clear($("confirm-fields"));
  const inputs = {};
  for (const field of action.fields) {
    const id = `field-${field.name}`;
    const input = el("input", {
      id,
      name: field.name,
      type: field.type,
      required: field.required,
      placeholder: field.placeholder,
      autocomplete: "off",
    });
    inputs[field.name] = input;
    fields.append(el("label", { for: id, text: field.label }), input);
  }
  const values = () => Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value.trim()]));
  const preview = () => {
    $("confirm-body").textContent = JSON.stringify(action.body(values()), null, 2);
  };
  for (const input of Object.values(inputs)) input.addEventListener("input", preview);
  preview();
  const ok = $("confirm-ok");
  ok.textContent = action.label;
  ok.className = action.danger ? "danger" : "primary";
  const form = $("confirm-form");
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    dialog.close();
    await perform(action, action.body(values()));
  };
  $("confirm-cancel").onclick = () => dialog.close();
  dialog.showModal();
  (action.fields.length ? inputs[action.fields[0].name] : $("confirm-cancel")).focus();
}

async function perform(action, body) {
  try {
    const { status } = await api("POST", action.path, body);
    showProblem(null, "", "any");
    notice(`${action.label}: accepted (HTTP ${status}).`);
    if (action.path.endsWith("/purge")) {
      location.hash = "#/";
      return;
    }
  } catch (err) {
    notice("");
    showProblem(err, action.label, "action");
  }
  await refresh();
}

// ---- routing ----------------------------------------------------------------------------------

function route() {
  const match = /^#\/runs\/(.+)$/.exec(location.hash);
  state.runId = match ? decodeURIComponent(match[1]) : null;
  $("list-view").hidden = Boolean(state.runId);
  $("run-view").hidden = !state.runId;
  if (state.runId) {
    $("history").open = false;
    $("history-body").textContent = "Open to load.";
    clear($("timeline"));
    clear($("steps").tBodies[0]);
    clear($("actions"));
  } else {
    notice("");
  }
  showProblem(null, "", "any");
  refresh();
}

function init() {
  $("filters").addEventListener("submit", applyFilters);
  $("filters").addEventListener("reset", () => setTimeout(applyFilters, 0));
  $("more").addEventListener("click", more);
  $("refresh-toggle").addEventListener("click", togglePause);
  $("refresh-now").addEventListener("click", () => refresh());
  $("history").addEventListener("toggle", () => {
    if ($("history").open) loadHistory();
  });
  window.addEventListener("hashchange", route);
  route();
}

init();
