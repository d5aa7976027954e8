// One message as the agent sees it: its kind (text, photo, GIF, voice note, document, place, contact…), sender and ticks.
import { dateTime, t } from "./i18n.js";
import { formatPhone, h, icon } from "./dom.js";
import { contactsBody, locationBody, mediaBody } from "./media.js";

const TICKS = { sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };  // pending: a clock
const MEDIA = new Set(["image", "sticker", "gif", "video", "audio", "voice", "document"]);

// ``where``: {conversationId, messageId, notify} — whose file it is, so it can be read (and fetched again).
export function messageBody(kind, content = {}, text = null, where = {}) {
  if (MEDIA.has(kind) && content.media) return mediaBody(kind, content, where);
  switch (kind) {
    case "text":
      return h("p", { class: "text" }, content.body ?? text ?? "");
    case "location":
      return locationBody(content);
    case "contacts": {
      const own = (content.contacts || []).find((c) => c.origin === "contact_request" && c.phones?.length);
      if (own) return h("p", { class: "shared-number" }, t("contact.shared", { number: formatPhone(own.phones[0].wa_id || own.phones[0].phone) }));
      return contactsBody(content);
    }
    case "template":  // as the customer reads it (rendered at sending); an unchecked one by its name
      return h("div", { class: "template-sent" }, h("span", { class: "badge" }, t("kind.template")),
        h("p", { class: "text" }, content.text || content.name || ""));
    default:
      return h("p", { class: "text" }, text || content.body || content.text || t(`kind.${kind}`, {}, kind));
  }
}

export function messageItem(m, { notify } = {}) {
  const outbound = m.direction === "outbound";
  const ticks = outbound ? h("span", {
    class: `ticks ticks-${m.delivery || "pending"}`, title: m.delivery_error || t(`delivery.${m.delivery || "pending"}`),
    "aria-label": t(`delivery.${m.delivery || "pending"}`), dataset: { delivery: m.delivery || "pending" },
  }, TICKS[m.delivery] || icon("clock")) : null;
  const where = { conversationId: m.conversation_id, messageId: m.message_id, notify };
  return h("li", { class: `message ${outbound ? "out" : "in"} kind-${m.kind}`, dataset: { kind: m.kind, message: m.message_id } },
    outbound ? h("span", { class: "sender" }, m.sender_name || t(m.origin === "phone_echo" ? "message.phone" : "message.agent")) : null,
    messageBody(m.kind, m.content, m.text, where),
    h("span", { class: "stamp" }, h("time", { datetime: m.sent_at }, dateTime(m.sent_at)), ticks ? " " : "", ticks));
}

// What decides how a message looks: a message whose look did not change keeps its element (a playing voice note goes on).
export function messageLook(m) {
  return JSON.stringify([m.kind, m.delivery, m.delivery_error, m.sender_name, m.content?.media ?? null, m.text]);
}
