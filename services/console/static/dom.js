// Tiny DOM builders: text always goes in as text nodes, never as markup.
const SVG_NS = "http://www.w3.org/2000/svg";

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const el = (tag, attrs, ...children) => fill(document.createElement(tag), attrs, children);
export const svg = (tag, attrs, ...children) =>
  fill(document.createElementNS(SVG_NS, tag), attrs, children);

export const $ = (testid, root = document) => root.querySelector(`[data-testid="${testid}"]`);

// Re-render a panel only when what it shows changed, so open <details>, typed reasons
// and focus survive the 2-second polling.
const shown = new WeakMap();
export function changed(node, data) {
  const signature = JSON.stringify(data);
  if (shown.get(node) === signature) return false;
  shown.set(node, signature);
  return true;
}

const LOCAL = "Asia/Shanghai";
const dateTime = new Intl.DateTimeFormat("zh-CN", {
  timeZone: LOCAL,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const short = new Intl.DateTimeFormat("zh-CN", {
  timeZone: LOCAL,
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

export const clockText = (when) => `${dateTime.format(when)} CST`;
export const shortTime = (iso) => (iso ? short.format(new Date(iso)) : "");
export function localToday() {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: LOCAL, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}
