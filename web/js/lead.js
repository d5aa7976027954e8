// A lead: who it is, its temperature, its conversion point, its timeline (from history), and "Start conversation".
import { ApiFailure, call, newKey } from "./api.js";
import { dateTime, t } from "./i18n.js";
import { clear, formatPhone, h } from "./dom.js";
import { messageBody } from "./messages.js";
import { temperatureChip, withTip } from "./conversation.js";

function entryItem(entry, notify) {
  const agent = entry.agent?.name || entry.agent?.id || "";
  let what;
  switch (entry.kind) {
    case "message":
      what = h("div", {}, h("span", { class: "sender" }, entry.direction === "inbound" ? t("timeline.customer")
        : agent || t(entry.origin === "phone_echo" ? "message.phone" : "message.agent")),
        messageBody(entry.content?.kind, entry.content || {}, entry.text,
          { conversationId: entry.conversation_id, messageId: entry.message_id, notify }));
      break;
    case "conversion_point":
      what = h("div", {}, h("strong", {}, t("timeline.conversion_point")),
        entry.content ? messageBody(entry.content.kind, entry.content, entry.text) : null);
      break;
    case "temperature_change":
      what = h("div", {}, t("timeline.temperature"), " ", temperatureChip(entry.temperature));
      break;
    default:
      what = h("div", {}, t(`timeline.${entry.kind}`), agent ? ` — ${agent}` : "");
  }
  return h("li", { class: `entry entry-${entry.kind}`, dataset: { kind: entry.kind, content: entry.content?.kind } },
    h("time", { datetime: entry.at }, dateTime(entry.at)), what);
}

// Stickers live in the conversation only (history never keeps them; an older timeline might).
function shownInTimeline(entries) {
  return entries.filter((entry) => entry.content?.kind !== "sticker");
}

async function startConversationForm(lead, { notify, done }) {
  const phone = lead.mobile || lead.phone;
  if (!phone && !lead.whatsapp_user_id) return h("p", { class: "muted" }, t("start.no_phone"));
  if (lead.conversations.some((c) => c.open)) {
    const open = lead.conversations.find((c) => c.open);
    return h("p", {}, h("a", { href: `#/conversations/${open.conversation_id}`, id: "open-conversation" }, t("start.open_one")));
  }
  let numbers = [];
  try {
    numbers = (await call(`/api/leads/leads/${lead.lead_id}/business-numbers`)).items;
  } catch (error) {
    return h("p", { class: "error" }, error.message);
  }
  const problem = h("p", { class: "error", role: "alert" });
  const choice = numbers.length > 1 ? h("label", { class: "field" }, h("span", {}, t("start.number")),
    h("select", { name: "phone_number_id", id: "start-number" },
      numbers.map((n) => h("option", { value: n.phone_number_id }, `${n.name} (${formatPhone(n.display_phone_number)})`)))) : null;
  return h("form", {
    class: "card start", id: "start-form",
    onsubmit: async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(event.target));
      problem.textContent = "";
      try {
        const started = await call("/api/router/conversations", { method: "POST", body: {
          lead_id: lead.lead_id, customer_name: lead.name, phone: phone || null, user_id: phone ? null : lead.whatsapp_user_id,
          phone_number_id: values.phone_number_id || numbers[0]?.phone_number_id || null,
          idempotency_key: newKey(), content: { kind: "text", body: values.text },
        } });
        done(started.conversation_id);
      } catch (error) {
        const pooled = error instanceof ApiFailure && error.code === "open_conversation_in_pool";
        clear(problem, error instanceof ApiFailure && error.code === "choose_business_number" ? t("start.number")
          : pooled ? [t("start.in_pool"), " ", h("a", { href: `#/conversations/${error.details.conversation_id}`, id: "open-pooled" },
            t("start.open_pooled"))] : error.message);
      }
    },
  }, h("h2", {}, t("start.title")), choice,
     h("label", { class: "field" }, h("span", {}, t("start.message")), h("textarea", { name: "text", id: "start-text", rows: 2, required: true })),
     problem, h("button", { type: "submit", class: "primary", id: "start-conversation" }, t("start.button")));
}

export async function showLead(view, leadId, { notify }) {
  clear(view, h("p", { class: "muted" }, t("loading")));
  let lead;
  let timeline;
  try {
    [lead, timeline] = await Promise.all([
      call(`/api/leads/leads/${leadId}`),
      call(`/api/history/leads/${leadId}/timeline`, { query: { order: "oldest", limit: 200 } })
        .catch((error) => (error.status === 404 ? { entries: [] } : Promise.reject(error))),
    ]);
  } catch (error) {
    clear(view, h("p", { class: "error", role: "alert" }, error.status === 404 ? t("lead.not_found") : error.message));
    return;
  }
  const point = lead.conversion_points[0];
  const start = await startConversationForm(lead, { notify, done: (id) => { location.hash = `#/conversations/${id}`; } });
  clear(view, h("article", { class: "lead-page" },
    lead.conversations[0] ? h("p", {}, h("a", { href: `#/conversations/${lead.conversations[0].conversation_id}` }, `← ${t("lead.back")}`)) : null,
    h("header", { class: "card" },
      h("h1", {}, lead.name, " ", temperatureChip(lead.temperature.value)),
      h("dl", { class: "facts" },
        h("dt", {}, t("lead.mobile")), h("dd", {}, lead.mobile ? withTip(formatPhone(lead.mobile), "", "lead-mobile")
          : h("span", { id: "lead-mobile", class: "muted" }, t("lead.no_mobile"))),
        lead.whatsapp_username ? [h("dt", {}, "WhatsApp"), h("dd", { id: "lead-username" }, `@${lead.whatsapp_username}`)] : null,
        lead.vehicle_of_interest ? [h("dt", {}, t("lead.vehicle")), h("dd", {}, lead.vehicle_of_interest)] : null,
        h("dt", {}, t("lead.responsible")), h("dd", {}, lead.responsible_agent.name),
        h("dt", {}, t("timeline.conversion_point")), h("dd", { id: "conversion-point" },
          point ? `${t(`source.${point.source}`, {}, point.source)} · ${formatPhone(point.display_phone_number)} · ${dateTime(point.at)}` : "—"),
        lead.temperature.reasons.length ? [h("dt", {}, t("lead.temperature")), h("dd", {}, lead.temperature.reasons.join("; "))] : null)),
    start,
    h("section", { class: "card" }, h("h2", {}, t("timeline.title")),
      h("ol", { class: "timeline", id: "timeline" }, shownInTimeline(timeline.entries).length
        ? shownInTimeline(timeline.entries).map((entry) => entryItem(entry, notify)) : h("li", { class: "empty" }, t("timeline.empty"))))));
  window.scrollTo(0, 0);
  view.focus({ preventScroll: true });
}
