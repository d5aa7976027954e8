// Talking to leadline through the gateway: the agent's token, JSON calls, the live stream.
import { listed, t } from "./i18n.js";

const TOKEN_KEY = "leadline.token";

// A refusal, said in the page's language from its stable code and details (``error.<code>`` in i18n.js); the
// server's English sentence stays in ``serverMessage`` for the console.
export class ApiFailure extends Error {
  constructor(status, code, serverMessage, details) {
    super(said(code, details || {}));
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
    this.details = details || {};
  }
}

function said(code, details) {
  const vars = Object.fromEntries(Object.entries(details).map(([name, value]) =>
    [name, Array.isArray(value) ? listed(value) : (value && typeof value === "object" ? value.name ?? "" : value)]));
  return t(`error.${code}`, vars, t("error.unknown", { code }));
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// The agent: who the token says (read, not verified: the services verify it on every call), with the role and teams
// the account directory gives them (``loadRights``); until those are loaded, the token's own claims stand in.
export function me() {
  const value = token();
  if (!value) return null;
  try {
    const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(decodeURIComponent(escape(atob(part))));
    if (claims.exp && claims.exp * 1000 < Date.now()) return null;
    const known = rights && rights.token === value ? rights : null;
    return { id: claims.sub, name: claims.name || claims.sub, role: known ? known.role : claims.role,
             account: claims.account_id, teams: known ? known.teams : claims.teams || [] };
  } catch {
    return null;
  }
}

// What the account directory says of the agent now (the router's ``/directory`` lists them): asked once per token,
// and again (``again``) when the live stream says their access changed.
let rights = null;
export async function loadRights({ again = false } = {}) {
  const value = token();
  const agent = me();
  if (!agent || (!again && rights && rights.token === value)) return;
  try {
    const self = (await call("/api/router/directory")).agents.find((entry) => entry.id === agent.id);
    if (self) rights = { token: value, role: self.role, teams: self.team_ids };
  } catch { /* refused (a 401 logs out through call) or unreachable: the screens say what went wrong */ }
}

let onUnauthenticated = () => {};
export function whenUnauthenticated(callback) {
  onUnauthenticated = callback;
}

// ``path`` is "/api/<service>/..."; ``query`` values may be arrays (repeated parameters); ``file`` is sent as the body.
export async function call(path, { method = "GET", body, query, form, file } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    for (const item of [].concat(value)) if (item !== undefined && item !== null && item !== "") url.searchParams.append(key, item);
  }
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (file) headers["Content-Type"] = file.type || "application/octet-stream";
  let response;
  try {
    response = await fetch(url, { method, headers, body: file ?? form ?? (body === undefined ? undefined : JSON.stringify(body)) });
  } catch (failure) {
    throw new ApiFailure(0, "network", String(failure));
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: { code: "bad_answer", message: text.slice(0, 200) } }; }
  if (!response.ok) {
    const error = (data && data.error) || {};
    if (response.status === 401) onUnauthenticated(error.code);
    throw new ApiFailure(response.status, error.code || "http_error", error.message || response.statusText, error.details);
  }
  return data;
}

let config = null;
// What the gateway tells the page (dev log-in, the request-contact-info template), asked once.
export async function pageConfig() {
  config = config || call("/api/config");
  return config;
}

// A message's file, read through the router (authorized like its conversation); elements cannot send headers.
export function mediaUrl(conversationId, messageId) {
  return `/api/router/conversations/${conversationId}/messages/${messageId}/media?access_token=${encodeURIComponent(token() || "")}`;
}

// The customer's WhatsApp profile photo, read through the router like a message's file (``version``: the photo's
// sha256, so a changed photo is a new address); null when none is known and their initials stand for it.
export function customerPhotoUrl(conversationId, version) {
  if (!conversationId || !version) return null;
  return `/api/router/conversations/${conversationId}/customer-photo?access_token=${encodeURIComponent(token() || "")}`
    + `&v=${encodeURIComponent(String(version).slice(0, 16))}`;
}

// The router's live feed. EventSource reconnects by itself; "dropped" means reload the inbox.
// Each lead's temperature as the live stream last said it (newer than any list a request brought before it).
export const leadTemperatures = new Map();

// The temperature to show for a conversation's lead: the live stream's, else the row's.
export function temperatureOf(conversation) {
  return leadTemperatures.get(conversation.lead_id) ?? conversation.lead_temperature ?? null;
}

export function openLiveStream(onChange) {
  const source = new EventSource(`/api/router/stream?access_token=${encodeURIComponent(token() || "")}`);
  for (const name of ["conversation", "removed", "dropped"]) {
    source.addEventListener(name, (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch { /* a comment or an empty event */ }
      if (data.type === "leads.lead.temperature_changed" && data.lead_id) leadTemperatures.set(data.lead_id, data.lead_temperature);
      onChange(name, data);
    });
  }
  source.addEventListener("open", () => onChange("open", {}));
  // EventSource gives up for good when the server refuses to (re)open the stream (a 401 once access ended, a 502)
  source.addEventListener("error", () => { if (source.readyState === EventSource.CLOSED) onChange("closed", {}); });
  return source;
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
