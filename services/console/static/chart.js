// An area's daily series as inline SVG bars against the limits the rules judge it by.
// Levels are defined by runs of days (rules §2): AQI > 200 heavy, > 300 severe; PM2.5 > 115
// with a day > 150 and O3-8h > 215 with a day > 265 are the pollutant clauses. The limits
// come from the alerting API, not from here.
import { el, localToday, svg } from "./dom.js";

const W = 520, H = 170, LEFT = 40, RIGHT = 118, TOP = 12, BOTTOM = 26;

function quantities(t) {
  return [
    { key: "aqi", title: "日 AQI · daily AQI (HJ 633)", lines: [
      { value: t.heavy_aqi, label: `heavy: AQI > ${t.heavy_aqi}`, cls: "heavy" },
      { value: t.severe_aqi, label: `severe: AQI > ${t.severe_aqi}`, cls: "severe" }] },
    { key: "pm25", title: "PM2.5 24-h mean, µg/m³", lines: [
      { value: t.heavy_pm25, label: `heavy: > ${t.heavy_pm25}`, cls: "heavy" },
      { value: t.peak_pm25, label: `peak: > ${t.peak_pm25}`, cls: "severe" }] },
    { key: "o3_8h", title: "O3-8h, µg/m³", lines: [
      { value: t.heavy_o3_8h, label: `heavy: > ${t.heavy_o3_8h}`, cls: "heavy" },
      { value: t.peak_o3_8h, label: `peak: > ${t.peak_o3_8h}`, cls: "severe" }] },
  ];
}

function niceMax(value) {
  const step = value > 300 ? 100 : 50;
  return Math.ceil((value * 1.1) / step) * step;
}

function chart(q, days) {
  const points = days.map((d) => ({ date: d.date, kind: d.kind, value: d.values[q.key] }));
  const top = niceMax(Math.max(...q.lines.map((l) => l.value), ...points.map((p) => p.value ?? 0)));
  const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
  const band = plotW / Math.max(points.length, 1);
  const y = (v) => TOP + plotH - (v / top) * plotH;
  const today = localToday();
  const parts = [
    svg("rect", { x: LEFT, y: TOP, width: plotW, height: plotH, class: "plot" }),
    svg("text", { x: LEFT - 4, y: y(0) + 4, class: "axis", "text-anchor": "end" }, "0"),
    svg("text", { x: LEFT - 4, y: y(top) + 8, class: "axis", "text-anchor": "end" }, String(top)),
  ];
  points.forEach((p, i) => {
    const x = LEFT + i * band;
    if (p.date === today) {
      parts.push(svg("rect", { x, y: TOP, width: band, height: plotH, class: "today" }));
    }
    if (p.value !== null && p.value !== undefined) {
      const over = q.lines.filter((l) => p.value > l.value).length;
      parts.push(
        svg("rect", {
          x: x + band * 0.15, y: y(p.value), width: band * 0.7, height: y(0) - y(p.value),
          class: `bar ${p.kind} over-${over}`, "data-testid": "chart-day", "data-date": p.date, "data-value": p.value,
        }, svg("title", {}, `${p.date} ${p.kind}: ${q.key} ${p.value}`)),
      );
    }
    if (points.length <= 16 || i % 2 === 0) {
      parts.push(svg("text", { x: x + band / 2, y: H - 8, class: "axis", "text-anchor": "middle" }, p.date.slice(5)));
    }
  });
  for (const line of q.lines) {
    parts.push(
      svg("line", { x1: LEFT, x2: LEFT + plotW, y1: y(line.value), y2: y(line.value), class: `threshold ${line.cls}`, "data-testid": "threshold", "data-value": line.value }),
      svg("text", { x: LEFT + plotW + 4, y: y(line.value) + 4, class: `threshold-label ${line.cls}` }, line.label),
    );
  }
  return el("figure", { class: "chart", "data-testid": `chart-${q.key}` },
    el("figcaption", {}, q.title),
    svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": q.title }, ...parts));
}

export function drawOutlook(root, outlook) {
  const days = outlook.days;
  if (days.length === 0) {
    root.replaceChildren(el("p", { class: "empty" }, "no forecast or observation for this area yet"));
    return;
  }
  const drawn = quantities(outlook.thresholds)
    .filter((q) => days.some((d) => d.values[q.key] !== null && d.values[q.key] !== undefined))
    .map((q) => chart(q, days));
  const t = outlook.thresholds;
  root.replaceChildren(
    ...drawn,
    el("p", { class: "hint" },
      "Bars: solid = observed, pale = forecast; the shaded column is today. A level is decided on runs of days " +
      `above these lines (rules §2): one day AQI > ${t.heavy_aqi} is yellow, three in a run orange, ` +
      `with a day > ${t.severe_aqi} red; or the PM2.5 / O3-8h runs with their peaks.`),
  );
}
