// The 38 districts in their three regions (plan §3.2.2), each tile coloured by the level in
// force and outlined, dashed, by a level waiting for approval.
import { $, el } from "./dom.js";

const RANK = { lift: 0, yellow: 1, orange: 2, red: 3 };

export function buildMap(root, areas, onSelect) {
  const legend = $("legend", root);
  legend.replaceChildren(
    el("span", { class: "swatch level-none" }, "无预警 none"),
    ...areas.levels.map((l) =>
      el("span", { class: `swatch level-${l.level}` }, `${l.name_zh} ${l.name_en} (${l.response_level})`),
    ),
    el("span", { class: "swatch level-none proposed proposed-orange" }, "待审批 proposed"),
  );
  const regions = $("regions", root);
  regions.replaceChildren(
    ...areas.regions.map((region) =>
      el(
        "div",
        { class: `region region-${region.code}`, "data-testid": `region-${region.code}`, "data-level": "none" },
        el(
          "button",
          { type: "button", class: "region-head", "data-testid": `region-head-${region.code}`, onclick: () => onSelect(region.code) },
          el("span", { class: "name" }, region.name_zh),
          el("span", { class: "en" }, region.name_en),
          el("span", { class: "state", "data-testid": `region-state-${region.code}` }, "无预警 none"),
        ),
        el(
          "div",
          { class: "tiles" },
          region.districts.map((d) =>
            el(
              "button",
              {
                type: "button",
                class: "tile level-none",
                "data-testid": `tile-${d.code}`,
                "data-area": d.code,
                "data-level": "none",
                "data-proposed": "none",
                title: `${d.code} ${d.name_zh} ${d.name_en}`,
                onclick: () => onSelect(d.code),
              },
              el("span", { class: "name" }, d.name_zh),
              el("span", { class: "en" }, d.name_en),
              el("span", { class: "state", "data-testid": `tile-state-${d.code}` }, ""),
            ),
          ),
        ),
      ),
    ),
  );
}

function proposedLevel(pending) {
  // A batch may hold several proposals for one area; show the highest change asked for.
  let best = null;
  for (const p of pending) {
    const level = p.level || "lift";
    if (best === null || RANK[level] > RANK[best]) best = level;
  }
  return best || "none";
}

function describe(level, proposed, names) {
  const current = level === "none" ? "无预警 none" : `${names[level].name_zh} ${level}`;
  if (proposed === "none") return current;
  const asked = proposed === "lift" ? "lift" : names[proposed].name_en.toLowerCase();
  return `${current} · ${asked} proposed`;
}

export function updateMap(root, areas, levels, proposals, selected) {
  const names = Object.fromEntries(areas.levels.map((l) => [l.level, l]));
  const pendingBy = {};
  for (const p of proposals) (pendingBy[p.area] ||= []).push(p);
  const paint = (node, stateNode, code) => {
    const level = levels[code]?.level || "none";
    const proposed = proposedLevel(pendingBy[code] || []);
    node.dataset.level = level;
    node.dataset.proposed = proposed;
    node.classList.remove("level-none", "level-yellow", "level-orange", "level-red", "proposed",
      "proposed-yellow", "proposed-orange", "proposed-red", "proposed-lift", "selected");
    node.classList.add(`level-${level}`);
    if (proposed !== "none") node.classList.add("proposed", `proposed-${proposed}`);
    if (code === selected) node.classList.add("selected");
    stateNode.textContent = describe(level, proposed, names);
  };
  for (const region of areas.regions) {
    paint($(`region-${region.code}`, root), $(`region-state-${region.code}`, root), region.code);
    for (const d of region.districts) {
      paint($(`tile-${d.code}`, root), $(`tile-state-${d.code}`, root), d.code);
    }
  }
}
