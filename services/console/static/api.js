// The services' own HTTP APIs, same origin; the bearer token lives in sessionStorage only.
const TOKEN_KEY = "airwarn.console.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(path, status, detail) {
    super(`${status}: ${detail}`);
    this.path = path;
    this.status = status;
    this.detail = detail;
  }
}

// FastAPI answers {"detail": "text"} for the house's errors and a list for bad input.
function describe(body, fallback) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) {
    return body.detail
      .map((e) => `${(e.loc || []).slice(1).join(".") || "body"}: ${e.msg}`)
      .join("; ");
  }
  return fallback;
}

async function call(method, path, body, withToken) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const bearer = token();
  if (withToken && bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    throw new ApiError(path, response.status, describe(parsed, text || response.statusText));
  }
  return parsed;
}

export const get = (path, { auth = false } = {}) => call("GET", path, undefined, auth);
export const post = (path, body) => call("POST", path, body, true);
