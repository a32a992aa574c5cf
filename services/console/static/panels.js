// The approvals, task board, delivery health and timeline panels.
import { $, changed, el, shortTime } from "./dom.js";

const ROLE_NAMES = {
  "hq-commander": "市指挥部指挥长 HQ commander",
  "office-director": "市指挥部办公室主任 office director",
  "office-duty": "市指挥部办公室 office on duty",
  "district-hq": "区县指挥部 district HQ",
  agency: "成员单位 member unit",
};

// The API decides (rules §4 Authority); the console only enables the button it would accept.
export function mayDecide(proposal, principal) {
  if (!principal || principal.role !== proposal.required_role) return false;
  return proposal.required_role !== "district-hq" || principal.area === proposal.area;
}

function holder(proposal, areaName) {
  const who = ROLE_NAMES[proposal.required_role] || proposal.required_role;
  return proposal.required_role === "district-hq" ? `${areaName(proposal.area)} ${who}` : who;
}

function change(p) {
  const level = p.level || "none";
  return p.action === "lift" ? `lift (from ${p.previous})` : `${p.action} ${level}`;
}

export function renderApprovals(root, proposals, principal, areaName, decide) {
  $("approvals-count").textContent = String(proposals.length);
  if (!changed(root, [proposals, principal])) return;
  if (proposals.length === 0) {
    root.replaceChildren(el("p", { class: "empty" }, "nothing waits for approval"));
    return;
  }
  root.replaceChildren(
    ...proposals.map((p) => {
      const allowed = mayDecide(p, principal);
      const reason = el("input", { type: "text", "data-testid": "reason", placeholder: "reason (needed to reject)", maxlength: 2000 });
      const problem = el("span", { class: "error", "data-testid": "proposal-error" });
      const act = (verb) => async (event) => {
        event.target.disabled = true;
        problem.textContent = await decide(p, verb, reason.value.trim());
        event.target.disabled = !allowed;
      };
      return el(
        "div",
        { class: `proposal level-${p.level || "none"}`, "data-testid": "proposal", "data-area": p.area, "data-proposal-id": p.proposal_id, "data-level": p.level || "none" },
        el("div", { class: "what" },
          el("strong", {}, `${areaName(p.area)} `),
          el("span", { class: `badge level-${p.level || "none"}` }, change(p)),
          p.late ? el("span", { class: "badge late" }, "late") : null),
        el("div", { class: "why" },
          `episode ${p.episode_start}${p.episode_end ? ` – ${p.episode_end}` : ""} · ${p.pollutant || "?"} · cause ${p.cause} at ${shortTime(p.cause_at)}`),
        el("div", { class: "holder", "data-testid": "required-role" }, `to be decided by ${holder(p, areaName)}`),
        el("div", { class: "actions" },
          reason,
          el("button", { type: "button", class: "approve", "data-testid": "approve", disabled: !allowed, onclick: act("approve") }, "Approve 批准"),
          el("button", { type: "button", class: "reject", "data-testid": "reject", disabled: !allowed, onclick: act("reject") }, "Reject 驳回")),
        allowed ? null : el("div", { class: "hint" }, principal ? `your token is ${principal.role}${principal.area ? ` of ${principal.area}` : ""}: view only` : "paste a token to decide"),
        problem,
      );
    }),
  );
}

function unitLabel(unit, areaName) {
  const [kind, area] = unit.split(":");
  return kind === "district-government" && area ? `${areaName(area)} 政府 district government` : unit;
}

const collapsed = new Set();

export function renderTasks(root, tasks, areaName) {
  const overdue = tasks.filter((t) => t.overdue).length;
  $("tasks-count").textContent = String(tasks.length);
  $("overdue-count").textContent = overdue ? `${overdue} overdue` : "";
  if (!changed(root, tasks)) return;
  if (tasks.length === 0) {
    root.replaceChildren(el("p", { class: "empty" }, "no active tasks"));
    return;
  }
  const byUnit = new Map();
  for (const t of tasks) {
    if (!byUnit.has(t.unit)) byUnit.set(t.unit, []);
    byUnit.get(t.unit).push(t);
  }
  const units = [...byUnit.keys()].sort((a, b) => {
    const late = (u) => byUnit.get(u).some((t) => t.overdue);
    return Number(late(b)) - Number(late(a)) || a.localeCompare(b);
  });
  root.replaceChildren(
    ...units.map((unit) => {
      const list = byUnit.get(unit).sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.due.localeCompare(b.due));
      const late = list.filter((t) => t.overdue).length;
      const group = el(
        "details",
        { class: late ? "unit late" : "unit", "data-testid": "unit-group", "data-unit": unit, open: !collapsed.has(unit) },
        el("summary", {}, el("strong", {}, unitLabel(unit, areaName)), ` · ${list.length} task${list.length === 1 ? "" : "s"}`,
          late ? el("span", { class: "badge overdue" }, `${late} overdue`) : null),
        el("ul", {}, list.map((t) =>
          el("li", { class: t.overdue ? "task overdue" : "task", "data-testid": "task", "data-area": t.area, "data-overdue": String(t.overdue), "data-status": t.status },
            t.overdue ? el("span", { class: "badge overdue" }, "OVERDUE 逾期") : null,
            el("span", { class: "area" }, areaName(t.area)),
            el("span", { class: "measure" }, t.measure_id),
            el("span", { class: "level" }, `Level ${t.level}`),
            el("span", { class: "status" }, t.status.replace("_", " ")),
            el("span", { class: "due" }, `due ${shortTime(t.due)}`)))),
      );
      group.addEventListener("toggle", () => (group.open ? collapsed.delete(unit) : collapsed.add(unit)));
      return group;
    }),
  );
}

export function renderDelivery(root, channels) {
  if (!changed(root, channels)) return;
  root.querySelector("tbody").replaceChildren(
    ...channels.map((c) =>
      el("tr", { "data-testid": `channel-${c.channel}`, class: c.dead || c.failing ? "trouble" : "" },
        el("th", {}, c.channel),
        ...["delivered", "pending", "failing", "dead"].map((state) =>
          el("td", { "data-testid": state, class: c[state] && state !== "delivered" ? state : "" }, String(c[state]))))),
  );
}

export function renderTimeline(root, history, areaName) {
  if (!changed(root, history)) return;
  if (history.length === 0) {
    root.replaceChildren(el("li", { class: "empty" }, "no warning actions yet"));
    return;
  }
  root.replaceChildren(
    ...history.map((p) =>
      el("li", { "data-testid": "timeline-entry", "data-status": p.status, "data-level": p.level || "none", "data-action": p.action, class: `status-${p.status}` },
        el("time", {}, shortTime(p.decided_at || p.cause_at)),
        el("span", { class: `badge level-${p.level || "none"}` }, change(p)),
        el("span", { class: "state" }, p.status),
        p.decided_by ? el("span", { class: "by" }, `by ${p.decided_by}`) : el("span", { class: "by" }, `awaits ${holder(p, areaName)}`),
        p.reason ? el("q", {}, p.reason) : null,
        el("span", { class: "cause" }, `cause: ${p.cause} ${shortTime(p.cause_at)}${p.late ? " · late" : ""}`))),
  );
}
