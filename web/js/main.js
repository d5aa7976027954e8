// The page: log-in, the chat button and its count, the live stream, and which screen shows (#/route).
import { call, loadRights, me, openLiveStream, setToken, whenUnauthenticated } from "./api.js";
import { applyTranslations, dateTime, language, setLanguage, t } from "./i18n.js";
import { showLogin } from "./login.js";
import { Inbox } from "./inbox.js";
import { ConversationView } from "./conversation.js";
import { showLead } from "./lead.js";
import { showConflicts } from "./conflicts.js";
import { clear, formatPhone, h } from "./dom.js";

const view = document.getElementById("view");
const state = { live: null, inbox: null, conversation: null, refreshTimer: null };

export function notify(message, kind = "info") {
  const box = document.getElementById("notice");
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = !message;
  clearTimeout(notify.timer);
  if (message) notify.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

async function refreshCount() {
  if (!me()) return;
  refreshConnections();
  try {
    const { counts, waiting_too_long: late } = await call("/api/router/conversations", { query: { limit: 1 } });
    const waiting = counts.new + counts.unanswered;
    const button = document.getElementById("chat-button");
    document.getElementById("chat-count").textContent = waiting;
    document.getElementById("chat-count-label").textContent = t("chat.waiting", { n: waiting })
      + (late ? `. ${t("chat.late", { n: late })}` : "");
    // Answer quickly: wherever the agent is in the page (or in another tab), the title and the button say it
    button.classList.toggle("late", late > 0);
    button.title = late ? t("chat.late", { n: late }) : "";
    document.title = late ? `(${late}) ${t("chat.late_title")} · leadline` : "leadline";
  } catch { /* the inbox says what went wrong */ }
}

// Administrators: the WhatsApp Web (Evolution) numbers that are not connected, until someone reads the QR code.
async function refreshConnections() {
  const box = document.getElementById("number-connections");
  if (me()?.role !== "admin") { box.hidden = true; return; }
  try {
    const { items } = await call("/api/router/admin/number-connections");
    clear(box, items.map((n) => h("p", { dataset: { phoneNumberId: n.phone_number_id } },
      t(n.needs_qr_code ? "connection.qr_code" : "connection.reconnecting",
        { number: `${n.name} (${formatPhone(n.display_number)})`, since: dateTime(n.since) }))));
    box.hidden = !items.length;
  } catch { /* the notice stays as it was; the next refresh tries again */ }
}

// Bursts of events become one refresh of what is on screen.
function onLiveChange(name, data) {
  if (name === "closed") {  // refused: the directory says whether access ended (then the log-in screen says so)
    state.live = null;
    loadRights({ again: true }).then(() => { if (me()) setTimeout(() => { if (me()) startLive(); }, 5000); });
    return;
  }
  if (name === "removed" && state.conversation && state.conversation.id === data.conversation_id) {
    state.conversation.lost();
  }
  // the stream (re)opened, or ended because their access changed: the directory says what they may do now (a change
  // that landed before the stream was open is heard of here)
  if (name === "open" || name === "dropped") loadRights({ again: true }).then(header);
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => {
    refreshCount();
    if (state.inbox) state.inbox.refresh();
    if (state.conversation && name !== "removed" && (!data.conversation_id || data.conversation_id === state.conversation.id)) {
      state.conversation.refresh();
    }
  }, 120);
}

function startLive() {
  if (state.live) return;
  state.live = openLiveStream(onLiveChange);
}

function stopLive() {
  if (state.live) state.live.close();
  state.live = null;
}

function logout() {
  setToken(null);
  document.getElementById("number-connections").hidden = true;
  stopLive();
  location.hash = "#/login";
}

function header() {
  const agent = me();
  document.getElementById("who").textContent = agent ? `${agent.name} · ${t(`role.${agent.role}`)}` : "";
  document.getElementById("chat-button").hidden = !agent;
  document.getElementById("logout").hidden = !agent;
  document.getElementById("conflicts-link").hidden = agent?.role !== "admin";
}

async function route() {
  const agent = me();
  const [, screen, id] = (location.hash || "#/inbox").split("/");
  header();
  if (!agent && screen !== "login") {
    location.hash = "#/login";
    return;
  }
  if (screen === "login") {
    stopLive();
    state.inbox = state.conversation = null;
    document.body.dataset.screen = "login";
    clearTimeout(notify.timer);  // why the log-in screen shows stays until the agent logs in
    await showLogin(view, () => { notify(""); location.hash = "#/inbox"; });
    return;
  }
  await loadRights();
  if (!me()) return;  // the directory refused the agent: the log-in screen is on its way
  header();
  startLive();
  refreshCount();
  document.body.dataset.screen = screen;
  if (screen === "conflicts") {
    state.inbox = state.conversation = null;
    await showConflicts(view, { notify });
    return;
  }
  if (screen === "leads" && id) {
    state.inbox = state.conversation = null;
    await showLead(view, id, { notify });
    return;
  }
  if (screen === "followchat" && id) {  // FollowChat opened from a lead: its conversation pinned first, and opened
    state.inbox = new Inbox({ notify, pinnedLead: id });
    const detail = h("section", { class: "detail", id: "detail", "aria-label": t("conversation") });
    clear(view, h("div", { class: "split" }, state.inbox.el, detail));
    const pinned = await state.inbox.pinnedConversation().catch(() => null);
    state.inbox.refresh();
    location.hash = pinned ? `#/conversations/${pinned.conversation_id}` : "#/inbox";
    return;
  }
  // inbox and conversation share the screen: the list on the left, the conversation on the right
  if (!state.inbox || !view.contains(state.inbox.el)) {
    state.inbox = new Inbox({ notify });
    const detail = h("section", { class: "detail", id: "detail", "aria-label": t("conversation") });
    clear(view, h("div", { class: "split" }, state.inbox.el, detail));
    state.inbox.refresh();
  }
  state.inbox.select(screen === "conversations" ? id : null);
  const detail = document.getElementById("detail");
  if (screen === "conversations" && id) {
    if (!state.conversation || state.conversation.id !== id) {
      state.conversation = new ConversationView(id, { notify });
      clear(detail, state.conversation.el);
      await state.conversation.refresh();
    }
  } else {
    state.conversation = null;
    clear(detail, h("p", { class: "empty" }, t("inbox.pick")));
  }
}

document.getElementById("chat-button").addEventListener("click", () => {
  const [, screen, id] = (location.hash || "").split("/");
  location.hash = screen === "leads" && id ? `#/followchat/${id}` : "#/inbox";  // from a lead: its conversation first
  document.getElementById("search")?.focus();
});
document.getElementById("logout").addEventListener("click", logout);
const languagePicker = document.getElementById("language");
languagePicker.value = language();
languagePicker.addEventListener("change", () => {
  setLanguage(languagePicker.value);
  state.inbox = state.conversation = null;  // rebuilt in the new language
  route();
});
whenUnauthenticated((code) => {  // the directory's refusals (agent_inactive, …) say why; anything else: log in again
  setToken(null);
  notify(code && code !== "unauthenticated" ? t(`error.${code}`) : t("session.expired"), "error");
  location.hash = "#/login";
});
window.addEventListener("hashchange", route);
applyTranslations();
route();
