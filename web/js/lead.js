// A lead: who it is, its temperature, its conversion point, its timeline (from history), and "Start conversation".
import { ApiFailure, call, customerPhotoUrl, newKey } from "./api.js";
import { dateTime, t } from "./i18n.js";
import { avatar, clear, formatPhone, h } from "./dom.js";
import { messageBody } from "./messages.js";
import { templatePicker, windowNote } from "./templates.js";
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

// The leads service learns that a conversation finished from the router's events, a moment after the router: a lead
// page opened right after "Finalizar" asks the router, whose word on a conversation's status is final.
async function finishedInTheRouter(conversationId) {
  try {
    return (await call(`/api/router/conversations/${conversationId}`)).status === "finished";
  } catch {
    return false;
  }
}

// "Como iniciar a conversa de leads já existentes": the business number (when the team has several) and "Próximo";
// then the message: free text inside the 24-hour window with that number, else an approved template; "Iniciar conversa".
async function startConversationForm(lead, { notify, done }) {
  const phone = lead.mobile || lead.phone;
  if (!phone && !lead.whatsapp_user_id) return h("p", { class: "muted" }, t("start.no_phone"));
  const open = lead.conversations.find((c) => c.open);
  if (open && !(await finishedInTheRouter(open.conversation_id))) {
    return h("p", {}, h("a", { href: `#/conversations/${open.conversation_id}`, id: "open-conversation" }, t("start.open_one")));
  }
  let numbers = [];
  try {
    numbers = (await call(`/api/leads/leads/${lead.lead_id}/business-numbers`)).items;
  } catch (error) {
    return h("p", { class: "error" }, error.message);
  }
  const card = h("section", { class: "card start", id: "start-form" });
  const problem = h("p", { class: "error", role: "alert" });
  const start = async (phoneNumberId, content) => {
    problem.textContent = "";
    try {
      const started = await call("/api/router/conversations", { method: "POST", body: {
        lead_id: lead.lead_id, customer_name: lead.name, phone: phone || null, user_id: phone ? null : lead.whatsapp_user_id,
        phone_number_id: phoneNumberId, idempotency_key: newKey(), content,
      } });
      done(started.conversation_id);
    } catch (error) {
      const pooled = error instanceof ApiFailure && error.code === "open_conversation_in_pool";
      clear(problem, pooled ? [t("start.in_pool"), " ", h("a", { href: `#/conversations/${error.details.conversation_id}`,
        id: "open-pooled" }, t("start.open_pooled"))] : error.message);
    }
  };
  const message = async (number) => {
    let listed;
    try {
      listed = await call(`/api/router/business-numbers/${number.phone_number_id}/templates`, { query: { lead_id: lead.lead_id } });
    } catch (error) {
      clear(card, h("h2", {}, t("start.title")), h("p", { class: "error", role: "alert" }, error.message));
      return;
    }
    const firstName = (lead.name || "").trim().split(/\s+/)[0] || "";
    const chosen = numbers.length > 1 ? h("p", { class: "muted", id: "start-chosen" },
      t("start.from", { name: number.name, number: formatPhone(number.display_phone_number) })) : null;
    if (listed.service_window.open) {
      clear(card, h("form", {
        onsubmit: async (event) => {
          event.preventDefault();
          await start(number.phone_number_id, { kind: "text", body: new FormData(event.target).get("text") });
        },
      }, h("h2", {}, t("start.title")), chosen, windowNote(listed.service_window),
        h("label", { class: "field" }, h("span", {}, t("start.message")),
          h("textarea", { name: "text", id: "start-text", rows: 2, required: true })),
        problem, h("button", { type: "submit", class: "primary", id: "start-conversation" }, t("start.button"))));
      card.querySelector("textarea")?.focus();
      return;
    }
    const picker = templatePicker({
      listed, firstName, id: "start-template", refresh: `/api/router/business-numbers/${number.phone_number_id}/templates/sync`,
      send: (content) => start(number.phone_number_id, content),
    });
    const send = picker.querySelector("button[type=submit]");
    if (send) { send.id = "start-conversation"; send.textContent = t("start.button"); }
    clear(card, h("h2", {}, t("start.title")), chosen, windowNote(listed.service_window), picker, problem);
  };
  if (numbers.length <= 1) {
    if (numbers.length) await message(numbers[0]);
    else clear(card, h("h2", {}, t("start.title")), h("p", { class: "error" }, t("error.number_not_linked_to_team")));
    return card;
  }
  const select = h("select", { name: "phone_number_id", id: "start-number" },
    numbers.map((n) => h("option", { value: n.phone_number_id }, `${n.name} (${formatPhone(n.display_phone_number)})`)));
  clear(card, h("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      await message(numbers.find((n) => n.phone_number_id === select.value));
    },
  }, h("h2", {}, t("start.title")), h("label", { class: "field" }, h("span", {}, t("start.number")), select),
    h("button", { type: "submit", class: "primary", id: "start-next" }, t("start.next"))));
  return card;
}

// The customer's WhatsApp photo, as the router knows it from the lead's latest conversation (null: initials; also
// when this agent may not see that conversation).
async function leadPhotoUrl(lead) {
  const latest = lead.conversations[0]?.conversation_id;
  if (!latest) return null;
  try {
    return customerPhotoUrl(latest, (await call(`/api/router/conversations/${latest}`)).customer_photo);
  } catch {
    return null;
  }
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
      h("h1", {}, avatar(lead.name, { size: "large", photoUrl: await leadPhotoUrl(lead) }), lead.name, " ", temperatureChip(lead.temperature.value)),
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
