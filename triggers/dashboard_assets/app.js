// Onboarding dashboard: vanilla JS module, same-origin fetch to the operator API.
// Every value from the API reaches the DOM through textContent or attributes (no HTML parsing).
// The words are the status model's (shared/status_model.py): a run's outcome, each step's status.

const API = location.pathname.replace(/\/dashboard\/?$/, "");
const REFRESH_MS = 5000;
const RUNNING = new Set(["Pending", "Running", "ContinuedAsNew", "Suspended"]);
const ACTIVE = new Set(["Running", "WaitingOnOperator", "Compensating"]);
const COUNT_KEYS = [
  "Running", "WaitingOnOperator", "Compensating", "Succeeded", "Compensated",
  "CompensationFailed", "Failed", "Terminated",
];
const COUNT_LABELS = {
  WaitingOnOperator: "Waiting on operator",
  CompensationFailed: "Compensation failed",
};

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
  // Operator waits answered from this page (their event names): the run takes the answer at
  // its next episode, so until a refresh shows the wait gone, the page says it was answered
  // and offers no second answer.
  answered: new Map(),
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
    else await Promise.all([loadCounts(), loadList(false), loadDrift()]);
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
    const pressed = state.filters.outcome === key;
    const button = el(
      "button",
      {
        type: "button",
        class: `st-${key}`,
        "aria-pressed": String(pressed),
        title: `Show only the runs whose outcome is ${COUNT_LABELS[key] || key}`,
        "data-count": key,
        onclick: () => filterByOutcome(pressed ? "" : key),
      },
      COUNT_LABELS[key] || key,
      el("span", { class: "count-n", text: n }),
    );
    list.append(el("li", {}, button));
  }
}

function filterByOutcome(outcome) {
  $("filters").elements.outcome.value = outcome;
  applyFilters();
}

function waitText(wait) {
  // A row's or a view's operator wait: what is asked, the event, the deadline.
  if (!wait) return "";
  if (typeof wait === "string") return wait;
  const by = wait.deadline ? ` by ${fmtTime(wait.deadline)}` : "";
  return `${wait.what || wait.kind} (event ${wait.event}${by})`;
}

function nowText(run) {
  // What an active run waits for or works on now; "" for a finished one.
  if (run.waitingFor) return `waits for ${waitText(run.waitingFor)}`;
  if (run.doing) return `${run.doing}${run.until ? ` until ${fmtTime(run.until)}` : ""}`;
  return "";
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
    const now = nowText(run);
    body.append(
      el(
        "tr",
        { "data-id": run.id },
        el("td", { title: run.id }, link),
        el("td", { text: run.team || "" }),
        el("td", { text: run.workspace || "" }),
        el("td", { text: run.mode || "" }),
        el("td", { "data-col": "outcome" }, badge(COUNT_LABELS[status] || status || "", status)),
        el("td", { "data-col": "step", text: run.step || "" }),
        el("td", { "data-col": "now", class: run.waitingFor ? "waits" : undefined, text: now, title: now || undefined }),
        el("td", { text: run.requestedBy || "" }),
        el("td", { text: fmtTime(run.createdAt) }),
        el("td", { text: fmtTime(run.updatedAt) }),
      ),
    );
  }
  $("list-empty").hidden = state.items.length > 0;
  $("more").hidden = !state.token;
}

// Drift (docs/teams.md): each team's latest check; a failed read says so here, not as the
// page's problem (the runs still load).
async function loadDrift() {
  let items;
  try {
    const { data } = await api("GET", "/drift");
    items = (data && data.items) || [];
  } catch (err) {
    $("drift-empty").textContent = "Drift findings are unavailable.";
    $("drift-empty").hidden = false;
    $("drift").hidden = true;
    return;
  }
  const body = clear($("drift").tBodies[0]);
  for (const item of items) {
    const findings = item.findings || [];
    const list = el("ul", { class: "findings" });
    for (const f of findings) {
      const fix = f.repairable ? "repairable" : "report only";
      list.append(el("li", { "data-kind": f.kind, title: f.resourceId,
        text: `${f.kind}: expected ${f.expected ?? "-"}, found ${f.actual ?? "-"} (${fix})` }));
    }
    body.append(
      el(
        "tr",
        { "data-team": item.team, "data-findings": String(findings.length) },
        el("td", { text: item.team }),
        el("td", { text: item.workspace }),
        el("td", { text: fmtTime(item.checkedAt), title: item.run }),
        el("td", {}, findings.length ? list : badge("none", "Succeeded")),
      ),
    );
  }
  $("drift-empty").textContent = "No drift check has run yet.";
  $("drift-empty").hidden = items.length > 0;
  $("drift").hidden = items.length === 0;
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

function operatorEvent(run) {
  // The kind of operator wait open now, unless this page already answered it.
  const wait = run.waitingFor;
  if (!wait || typeof wait !== "object" || state.answered.has(wait.event)) return null;
  return wait.kind || null;
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
  // A wait that is no longer open needs no "answered" note any more.
  const open = run.waitingFor && run.waitingFor.event;
  for (const event of [...state.answered.keys()]) {
    if (event !== open && event !== "terminated") state.answered.delete(event);
  }
  $("run-title").textContent = `Run ${run.id}`;
  const summary = clear($("run-summary"));
  const outcome = run.outcome || run.runtimeStatus || "";
  const rows = [
    ["Outcome", badge(COUNT_LABELS[outcome] || outcome, outcome)],
    ["Ticket", run.ticketId || "—"],
    ["Team", run.team || "—"],
    ["Workspace", run.workspace || "—"],
    ["Gateway hostname", run.hostname || "—"],
    ["Current step", run.currentStep || "—"],
    ["Waiting for", run.waitingFor ? waitText(run.waitingFor) : "—"],
    ["Working on", run.doing ? nowText({ doing: run.doing, until: run.until }) : "—"],
    ["Runtime status", el("span", { class: "muted", text: `${run.runtimeStatus || ""} (Durable)` })],
    ["Created", fmtTime(run.createdTime)],
    ["Last updated", fmtTime(run.lastUpdatedTime)],
  ];
  for (const [name, value] of rows) summary.append(el("dt", { text: name }), el("dd", {}, value));
  renderState(run);
  renderAsks(run);
  renderActions(run);
  renderTimeline(run, state.timeline);
  renderSteps(run.steps || []);
  $("output").textContent = run.output ? JSON.stringify(run.output, null, 2) : "(none yet)";
}

// One panel per state that needs attention, each drawn differently (class state-<kind>).
function statePanels(run) {
  const panels = [];
  const steps = run.steps || [];
  const wait = run.waitingFor && typeof run.waitingFor === "object" ? run.waitingFor : null;
  if (wait && state.answered.has(wait.event)) {
    panels.push(["answered", "Answer sent", [
      `Your answer to ${wait.event} (${state.answered.get(wait.event)}) was accepted; the run takes it at its next step. This page refreshes on its own.`,
    ]]);
  }
  for (const step of steps) {
    if (step.status === "retrying") {
      panels.push(["retrying", `Retrying ${step.name}`, [
        `Attempt ${step.attempts} failed: ${step.lastError || "(no error text)"}`,
        step.nextRetry ? `Next attempt at ${fmtTime(step.nextRetry)}` : "Next attempt soon",
      ]]);
    }
    if (step.status === "held") {
      panels.push(["held", `Held: ${step.name} cannot go on`, [
        `${step.lastError || "The step failed."}`,
        wait && !state.answered.has(wait.event) ? `To do: ${wait.action}` : "",
        wait && wait.deadline ? `Undone on its own after ${fmtTime(wait.deadline)}` : "",
      ]]);
    }
  }
  if (wait && !state.answered.has(wait.event) && !steps.some((s) => s.status === "held")) {
    panels.push(["waiting", "Waiting on an operator", [
      `${wait.what} — send event ${wait.event}${wait.deadline ? ` by ${fmtTime(wait.deadline)}` : ""}`,
      `To do: ${wait.action}`,
    ]]);
  }
  if (run.outcome === "Compensating") {
    const undoing = steps.find((s) => s.status === "undoing");
    panels.push(["compensating", "Compensating: undoing what the run made", [
      undoing ? `Undoing ${undoing.name}: ${run.doing || ""}` : run.doing || "",
      run.error ? `Because: ${run.error}` : "",
    ]]);
  }
  if (run.outcome === "CompensationFailed") {
    panels.push(["compensation-failed", "Compensation failed: resources left behind", [
      ...(run.leftovers || []).map((id) => `Left: ${id}`),
      "To do: fix the cause named in the steps' errors, then Retry compensation (onboard compensate).",
    ]]);
  }
  if (run.outcome === "Compensated" || run.outcome === "Failed") {
    if (run.error) panels.push(["failed", `${run.outcome}: nothing is left behind`, [run.error]]);
  }
  return panels;
}

function renderState(run) {
  const box = clear($("run-state"));
  for (const [kind, title, lines] of statePanels(run)) {
    box.append(
      el(
        "div",
        { class: `state state-${kind}`, "data-state": kind },
        el("h3", { text: title }),
        ...lines.filter(Boolean).map((t) => el("p", { text: t })),
      ),
    );
  }
  box.hidden = !box.firstChild;
}

function renderAsks(run) {
  // What the approver decides on: the request summary the run asks about (asks.approval).
  const section = $("asks");
  const body = clear($("asks-body"));
  const asks = run.asks && run.asks.approval;
  section.hidden = !asks;
  if (!asks) return;
  const gateway = asks.gateway || {};
  const cost = asks.monthlyCost;
  const rows = [
    ["Ticket", asks.ticketId],
    ["Team", asks.team],
    ["Requested by", asks.requestedBy],
    ["Workspace", asks.workspace],
    ["Gateway", gateway.shared ? `shared: ${gateway.id}` : `new: ${gateway.name}, ${gateway.units} unit(s)`],
    ["Network mode", asks.networkMode],
    ["Subnet", asks.subnetId || "—"],
    ["Private DNS", asks.privateDns || "—"],
    ["Monthly cost", !cost ? "—" : cost.known ? `${cost.amount} ${cost.currency} (${cost.units} x ${cost.unitPrice})` : `unknown: ${cost.why}`],
  ];
  for (const [name, value] of rows) body.append(el("dt", { text: name }), el("dd", { text: value ?? "—" }));
  const grants = Array.isArray(asks.grants) ? asks.grants : [];
  const more = (asks.grantCount || grants.length) - grants.length;
  body.append(
    el("dt", { text: `Grants (${asks.grantCount ?? grants.length})` }),
    el("dd", {}, el("ul", { class: "plain" }, ...grants.map((g) => el("li", { text: g })),
      more > 0 ? el("li", { class: "muted", text: `and ${more} more` }) : null)),
  );
}

function stepKind(step, run) {
  if (step.status === "failed" || step.status === "undo-failed") return "failed";
  if (step.status === "undone") return "undone";
  if (step.status === "undoing") return "undoing";
  if (step.status === "retrying") return "retrying";
  if (step.status === "held" || step.status === "stalled") return "held";
  const current = ACTIVE.has(run.outcome) && run.currentStep === step.name;
  if (current && run.waitingFor) return "operator";
  if (step.name === "wait") return "build";
  if (step.status === "succeeded") return "succeeded";
  return "running";
}

function renderTimeline(run, timeline) {
  const box = clear($("timeline"));
  const source = timeline || run;
  const steps = source.steps || run.steps || [];
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
      const kind = stepKind(step, run);
      const what =
        kind === "operator"
          ? `waiting on operator: ${waitText(run.waitingFor) || step.status}`
          : kind === "build"
            ? "gateway build wait"
            : kind === "retrying"
              ? `retrying (attempt ${step.attempts} failed)`
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
        el("td", { text: step.retries ?? "" }),
        el("td", { text: fmtTime(step.started) }),
        el("td", { text: fmtTime(step.ended) }),
        el("td", { class: "error", text: step.lastError || step.error || "" }),
        el("td", { text: fmtTime(step.nextRetry) }),
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
  const running = RUNNING.has(run.runtimeStatus) && !state.answered.has("terminated");
  const event = running ? operatorEvent(run) : null;
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
      enabled: !running && run.outcome === "CompensationFailed",
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
  const wait = state.run && state.run.waitingFor;
  try {
    const { status, data } = await api("POST", action.path, body);
    showProblem(null, "", "any");
    notice(`${action.label}: accepted (HTTP ${status}).`);
    if (action.path.endsWith("/purge")) {
      location.hash = "#/";
      return;
    }
    // Show the action at once: the answered wait offers no second answer, a terminated run
    // no more actions, a new run (retry, compensate) opens.
    if (wait && typeof wait === "object" && !action.path.endsWith("/terminate")) {
      state.answered.set(wait.event, action.label);
    }
    if (action.path.endsWith("/terminate") && !body.compensate) state.answered.set("terminated", action.label);
    if (data && data.id && data.id !== state.runId) {
      location.hash = `#/runs/${encodeURIComponent(data.id)}`;
      return;
    }
    if (state.run) renderRun();
  } catch (err) {
    notice("");
    showProblem(err, action.label, "action");
  }
  await refresh();
  setTimeout(() => refresh(), 1000); // the run has usually moved on by then
}

// ---- routing ----------------------------------------------------------------------------------

function route() {
  const match = /^#\/runs\/(.+)$/.exec(location.hash);
  state.runId = match ? decodeURIComponent(match[1]) : null;
  $("list-view").hidden = Boolean(state.runId);
  $("run-view").hidden = !state.runId;
  if (state.runId) {
    state.answered.clear();
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
