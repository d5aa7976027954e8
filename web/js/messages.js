// One message as the agent sees it: its kind (text, image, GIF, audio player, document…), sender and delivery ticks.
import { mediaUrl } from "./api.js";
import { dateTime, t } from "./i18n.js";
import { formatPhone, h, icon } from "./dom.js";

const TICKS = { sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };  // pending: a clock

function stored(content) {
  const key = content?.media?.stored?.key;
  return key ? mediaUrl(key) : null;
}

function placeholder(kind, symbol, extra) {
  return h("span", { class: "media-missing" }, icon(symbol), ` ${t(`kind.${kind}`)}`, extra ? ` · ${extra}` : "");
}

export function messageBody(kind, content = {}, text = null) {
  const caption = content.caption ? h("p", { class: "caption" }, content.caption) : null;
  const src = stored(content);
  switch (kind) {
    case "text":
      return h("p", { class: "text" }, content.body ?? text ?? "");
    case "image":
    case "sticker":
      return h("figure", { class: `media ${kind}` }, src ? h("img", { src, alt: content.caption || t(`kind.${kind}`) }) : placeholder(kind, "image"), caption);
    case "gif":
    case "video":
      return h("figure", { class: `media ${kind}` },
        src ? h("video", { src, controls: kind === "video", autoplay: kind === "gif", loop: kind === "gif", muted: true, playsinline: true })
          : placeholder(kind, "image"), caption);
    case "audio":
    case "voice":
      return h("figure", { class: "media audio" }, h("figcaption", {}, icon("mic"), ` ${t(`kind.${kind}`)}`),
        h("audio", { controls: true, preload: "none", src: src || false, "aria-label": t(`kind.${kind}`) }));
    case "document":
      return h("figure", { class: "media document" }, src
        ? h("a", { href: src, download: content.filename || true }, icon("file"), ` ${content.filename || t("kind.document")}`)
        : placeholder("document", "file", content.filename), caption);
    case "location":
      return h("p", {}, icon("pin"), ` ${[content.name, content.address].filter(Boolean).join(" — ") || `${content.latitude}, ${content.longitude}`}`);
    case "contacts": {
      const own = (content.contacts || []).find((c) => c.origin === "contact_request" && c.phones?.length);
      if (own) return h("p", { class: "shared-number" }, t("contact.shared", { number: formatPhone(own.phones[0].wa_id || own.phones[0].phone) }));
      return h("p", {}, `${t("kind.contacts")}: ${(content.contacts || []).map((c) => c.formatted_name).join(", ")}`);
    }
    case "template":
      return h("p", { class: "text" }, `${t("kind.template")}: ${content.name || ""}`);
    default:
      return h("p", { class: "text" }, text || content.body || content.text || t(`kind.${kind}`, {}, kind));
  }
}

export function messageItem(m) {
  const outbound = m.direction === "outbound";
  const ticks = outbound ? h("span", {
    class: `ticks ticks-${m.delivery || "pending"}`, title: m.delivery_error || t(`delivery.${m.delivery || "pending"}`),
    "aria-label": t(`delivery.${m.delivery || "pending"}`), dataset: { delivery: m.delivery || "pending" },
  }, TICKS[m.delivery] || icon("clock")) : null;
  return h("li", { class: `message ${outbound ? "out" : "in"}`, dataset: { kind: m.kind, message: m.message_id } },
    outbound ? h("span", { class: "sender" }, m.sender_name || t(m.origin === "phone_echo" ? "message.phone" : "message.agent")) : null,
    messageBody(m.kind, m.content, m.text),
    h("span", { class: "stamp" }, h("time", { datetime: m.sent_at }, dateTime(m.sent_at)), ticks ? " " : "", ticks));
}
