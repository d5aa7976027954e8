// A message's file as the agent sees it: loading, shown or played, or not available (why, and a retry when it can work).
import { call, mediaUrl } from "./api.js";
import { language, t } from "./i18n.js";
import { formatPhone, h, icon } from "./dom.js";

export function mediaState(media = {}) {
  if (media.stored) return "stored";
  return media.unavailable ? "unavailable" : "loading";
}

export function sizeLabel(bytes) {
  if (!bytes && bytes !== 0) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${new Intl.NumberFormat(language(), { maximumFractionDigits: unit ? 1 : 0 }).format(value)} ${units[unit]}`;
}

export function durationLabel(seconds) {
  if (!Number.isFinite(seconds) || seconds <= 0) return "";
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// One dialog for every photo: click a photo to see it large, click or Escape to close.
function enlarge(src, alt) {
  let dialog = document.getElementById("lightbox");
  if (!dialog) {
    dialog = h("dialog", { id: "lightbox", class: "lightbox", "aria-label": t("media.enlarged"), onclick: () => dialog.close() },
      h("img", { alt: "" }), h("button", { type: "button", class: "close", "aria-label": t("media.close") }, "×"));
    document.body.append(dialog);
  }
  const img = dialog.querySelector("img");
  img.src = src;
  img.alt = alt;
  dialog.showModal();
}

function loading(kind) {
  return h("p", { class: "media-state loading", role: "status", dataset: { mediaState: "loading" } },
    h("span", { class: "spinner", "aria-hidden": "true" }), t("media.loading", { kind: t(`kind.${kind}`) }));
}

function unavailable(kind, media, where) {
  const why = media.unavailable || {};
  const retry = why.retryable && where.messageId ? h("button", { type: "button", class: "retry",
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      button.textContent = t("media.retrying");
      try {
        await call(`/api/router/conversations/${where.conversationId}/messages/${where.messageId}/media/retry`, { method: "POST" });
      } catch (error) {
        button.disabled = false;
        button.textContent = t("media.retry");
        where.notify?.(error.message, "error");
      }
    } }, t("media.retry")) : null;
  return h("div", { class: "media-state unavailable", dataset: { mediaState: "unavailable" } },
    h("p", {}, t(why.retryable ? "media.failed" : "media.gone", { kind: t(`kind.${kind}`) })),
    h("small", { class: "reason", title: why.reason || "" }, why.error_code ? t("media.code", { code: why.error_code }) : why.reason || ""),
    retry);
}

function withDuration(player) {
  const label = h("span", { class: "duration" });
  const show = () => { label.textContent = durationLabel(player.duration); };
  player.addEventListener("loadedmetadata", show);
  player.addEventListener("durationchange", show);
  return label;
}

function shown(kind, content, src) {
  const media = content.media;
  const caption = content.caption ? h("figcaption", { class: "caption" }, content.caption) : null;
  const name = t(`kind.${kind}`);
  switch (kind) {
    case "image":
      return h("figure", { class: "media image" },
        h("button", { type: "button", class: "zoom", title: t("media.enlarge"), "aria-label": t("media.enlarge"),
          onclick: () => enlarge(src, content.caption || name) }, h("img", { src, alt: content.caption || name })), caption);
    case "sticker":
      return h("figure", { class: "media sticker" }, h("img", { src, alt: name }));
    case "gif":
      return h("figure", { class: "media gif" }, h("span", { class: "badge" }, "GIF"),
        h("video", { src, autoplay: true, loop: true, muted: true, playsinline: true, preload: "auto", "aria-label": name }), caption);
    case "video": {
      return h("figure", { class: "media video" }, h("video", { src, controls: true, preload: "metadata", playsinline: true, "aria-label": name }), caption);
    }
    case "audio":
    case "voice": {
      const player = h("audio", { src, controls: true, preload: "metadata", "aria-label": name });
      return h("figure", { class: `media audio ${kind}` }, h("figcaption", {}, icon("mic"), ` ${name} `, withDuration(player)), player);
    }
    case "document":
      return h("figure", { class: "media document" },
        h("a", { href: src, download: content.filename || true, class: "file" }, icon("file"),
          h("span", { class: "name" }, content.filename || name),
          h("span", { class: "size" }, sizeLabel(media.stored?.size_bytes))), caption);
    default:
      return null;
  }
}

// The file of a media message; ``where`` tells whose it is: {conversationId, messageId, notify}.
export function mediaBody(kind, content, where = {}) {
  const state = mediaState(content.media);
  if (state === "loading") return h("div", { class: `media-box ${kind}` }, loading(kind), content.caption ? h("p", { class: "caption" }, content.caption) : null);
  if (state === "unavailable") return h("div", { class: `media-box ${kind}` }, unavailable(kind, content.media, where), content.caption ? h("p", { class: "caption" }, content.caption) : null);
  if (!where.messageId || !where.conversationId) return h("p", { class: "media-state" }, t(`kind.${kind}`));
  return shown(kind, content, mediaUrl(where.conversationId, where.messageId));
}

export function locationBody(content) {
  const place = [content.name, content.address].filter(Boolean).join(" — ") || `${content.latitude}, ${content.longitude}`;
  const map = `https://www.google.com/maps/search/?api=1&query=${content.latitude},${content.longitude}`;
  return h("div", { class: "location" }, h("p", {}, icon("pin"), ` ${place}`),
    h("a", { href: map, target: "_blank", rel: "noopener noreferrer", class: "map-link" }, t("media.open_map")));
}

export function contactsBody(content) {
  return h("ul", { class: "contacts", "aria-label": t("kind.contacts") }, (content.contacts || []).map((card) =>
    h("li", {}, h("strong", {}, card.formatted_name),
      (card.phones || []).map((p) => [" ", h("a", { href: `tel:${String(p.phone).replace(/[^\d+]/g, "")}` },
        formatPhone(p.wa_id || p.phone) || p.phone)]))));
}
