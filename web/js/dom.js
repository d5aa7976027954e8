// Building DOM without innerHTML: customer texts and names never become markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

// ``clear`` for a part drawn anew on every live update: if the focus was in it, it goes back to the new element
// with the same ``data-<key>`` (its link or button), so a keyboard user keeps their place.
export function redraw(el, key, ...children) {
  const had = el.contains(document.activeElement) ? document.activeElement.closest(`[data-${key}]`)?.dataset[key] : undefined;
  clear(el, ...children);
  const again = had === undefined ? null : el.querySelector(`[data-${key}="${had}"]`);
  (again?.matches("a, button") ? again : again?.querySelector("a, button"))?.focus();
  return el;
}

// Brazilian numbers as people write them: 5511987654321 -> +55 11 98765-4321.
export function formatPhone(digits) {
  const d = String(digits || "").replace(/\D/g, "");
  if (d.startsWith("55") && (d.length === 12 || d.length === 13)) {
    const local = d.slice(4);
    return `+55 ${d.slice(2, 4)} ${local.slice(0, local.length - 4)}-${local.slice(-4)}`;
  }
  return d ? `+${d}` : "";
}

// How a customer is named where a number would be: their number when known, else their WhatsApp @username.
export function customerHandle(c) {
  if (c?.customer_phone) return formatPhone(c.customer_phone);
  const username = c?.customer_username || c?.whatsapp_username;
  return username ? `@${username.replace(/^@/, "")}` : "";
}

// Accent- and case-insensitive, so "nao" finds "Não".
export function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

// A few line icons as SVG (headless and minimal systems often have no emoji font).
const ICONS = {
  chat: "M4 5h16v10H9l-5 4z",
  image: "M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15 9.5a1 1 0 1 0 .01 0",
  clock: "M12 4a8 8 0 1 0 .01 0M12 8v4l3 2",
  file: "M6 3h8l4 4v14H6zM14 3v4h4",
  mic: "M12 4a3 3 0 0 1 3 3v5a3 3 0 0 1-6 0V7a3 3 0 0 1 3-3M6 12a6 6 0 0 0 12 0M12 18v3",
  pin: "M12 21s-6-6-6-11a6 6 0 0 1 12 0c0 5-6 11-6 11M12 8a2 2 0 1 0 .01 0",
};
export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

// The customer's picture: their WhatsApp profile photo when the number's provider gives one (``photoUrl``), else
// their initials on a colour of their own (the same name, the same colour, in every list). A photo that cannot be
// read (none known after all, the media store away) gives way to the initials.
export function avatar(name, { photoUrl = null, size = "small" } = {}) {
  if (photoUrl) {
    return h("img", { class: `avatar avatar-${size} avatar-photo`, src: photoUrl, alt: "", loading: "lazy",
      onerror: (event) => event.target.replaceWith(initialsAvatar(name, size)) });
  }
  return initialsAvatar(name, size);
}

function initialsAvatar(name, size) {
  const words = fold(name).replace(/[^a-z0-9 ]/g, " ").trim().split(/\s+/).filter(Boolean);
  const initials = ((words[0]?.[0] || "?") + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
  let hash = 0;
  for (const ch of String(name || "")) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return h("span", { class: `avatar avatar-${size}`, "aria-hidden": "true", dataset: { hue: String(hash % 8) } }, initials);
}
