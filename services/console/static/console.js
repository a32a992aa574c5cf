// The duty officer's console: polls the services every 2 s and draws what it finds.
import { ApiError, get, post, setToken, token } from "./api.js";
import { drawOutlook } from "./chart.js";
import { $, changed, clockText, el } from "./dom.js";
import { buildMap, updateMap } from "./grid.js";
import { renderApprovals, renderDelivery, renderTasks, renderTimeline } from "./panels.js";

const POLL_MS = 2000;
const ACTIVE = ["open", "acknowledged", "in_progress"];
const state = { areas: null, names: {}, principal: null, selected: null, levels: {}, proposals: [] };

const areaName = (code) => state.names[code] || code;

function say(where, text) {
  $(where).textContent = text;
}

async function identify() {
  const who = $("whoami");
  if (!token()) {
    state.principal = null;
    who.textContent = "no token: read only";
    who.className = "who";
    return;
  }
  try {
    state.principal = await get("/console/whoami", { auth: true });
    const p = state.principal;
    who.textContent = `${p.name} · ${p.role}${p.area ? ` ${p.area}` : ""}${p.unit ? ` ${p.unit}` : ""}`;
    who.className = "who known";
  } catch (error) {
    state.principal = null;
    who.textContent = error instanceof ApiError ? `token refused: ${error.detail}` : String(error);
    who.className = "who refused";
  }
}

async function decide(proposal, verb, reason) {
  try {
    const done = await post(`/alerting/proposals/${proposal.proposal_id}/${verb}`, reason ? { reason } : {});
    say("action-message", `${done.status}: ${areaName(done.area)} ${done.action} ${done.level || ""} by ${done.decided_by}`);
    await refresh();
    return "";
  } catch (error) {
    const text = error instanceof ApiError ? `${verb} refused (${error.status}): ${error.detail}` : String(error);
    say("action-message", text);
    return text;
  }
}

function select(code) {
  state.selected = code;
  say("area-title", `${areaName(code)} ${code}`);
  $("outlook").replaceChildren(el("p", { class: "empty" }, "loading…"));
  updateMap($("district-map"), state.areas, state.levels, state.proposals, state.selected);
  refresh();
}

async function refreshSelected() {
  const code = state.selected;
  if (!code) return;
  const [history, outlook] = await Promise.all([
    get(`/alerting/history/${code}`),
    get(`/alerting/outlook/${code}`),
  ]);
  if (code !== state.selected) return;
  const w = state.levels[code];
  say("area-level", w ? `in force: ${w.level}, episode ${w.episode_start} – ${w.episode_end || "open"}, ${w.pollutant || ""}` : "no warning in force");
  renderTimeline($("timeline"), history, areaName);
  if (changed($("outlook"), outlook)) drawOutlook($("outlook"), outlook);
}

async function refresh() {
  const taskQuery = ACTIVE.map((s) => `status=${s}`).join("&");
  const results = await Promise.allSettled([
    get("/alerting/warnings"),
    get("/alerting/proposals?status=pending"),
    get(`/response/tasks?${taskQuery}`),
    get("/notify/deliveries/health"),
    refreshSelected(),
  ]);
  const failed = results.filter((r) => r.status === "rejected").map((r) => r.reason);
  const [warnings, proposals, tasks, health] = results.map((r) => (r.status === "fulfilled" ? r.value : null));
  if (warnings) state.levels = Object.fromEntries(warnings.filter((w) => w.level).map((w) => [w.area, w]));
  if (proposals) state.proposals = proposals;
  updateMap($("district-map"), state.areas, state.levels, state.proposals, state.selected);
  renderApprovals($("approvals"), state.proposals, state.principal, areaName, decide);
  if (tasks) {
    const only = $("tasks-only-selected").checked && state.selected;
    renderTasks($("task-board"), only ? tasks.filter((t) => t.area === state.selected) : tasks, areaName);
  }
  if (health) renderDelivery($("delivery-health"), health);
  say("error", failed.map((e) => (e instanceof ApiError ? `${e.path}: ${e.message}` : String(e))).join(" · "));
  say("last-update", `updated ${clockText(new Date()).slice(11)} · every ${POLL_MS / 1000} s`);
}

async function poll() {
  try {
    await refresh();
  } catch (error) {
    say("error", String(error));
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

async function main() {
  const tick = () => say("clock", clockText(new Date()));
  tick();
  setInterval(tick, 1000);
  state.areas = await get("/console/areas");
  for (const region of state.areas.regions) {
    state.names[region.code] = region.name_zh;
    for (const d of region.districts) state.names[d.code] = d.name_zh;
  }
  buildMap($("district-map"), state.areas, select);
  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setToken($("token-input").value.trim());
    $("token-input").value = "";
    await identify();
    await refresh();
  });
  $("token-clear").addEventListener("click", async () => {
    setToken("");
    await identify();
    await refresh();
  });
  $("tasks-only-selected").addEventListener("change", () => refresh());
  await identify();
  poll();
}

main().catch((error) => say("error", `the console could not start: ${error}`));
