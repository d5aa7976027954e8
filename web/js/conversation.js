// One conversation: header (customer, number, temperature, lead), search, messages, Add lead, reply, finish.
import { ApiFailure, call, customerPhotoUrl, newKey, pageConfig, temperatureOf } from "./api.js";
import { t } from "./i18n.js";
import { avatar, clear, customerHandle, fold, formatPhone, h, icon } from "./dom.js";
import { messageItem, messageLook } from "./messages.js";
import { openAddLead } from "./add_lead.js";
import { templatePicker, windowNote } from "./templates.js";

export function temperatureChip(value) {
  if (!value) return null;
  return h("span", { class: `temperature temperature-${value}`, dataset: { temperature: value } }, t(`temperature.${value}`));
}

// A name whose phone number shows on hover and on keyboard focus.
export function withNumber(label, digits, id) {
  return withTip(label, formatPhone(digits), id);
}

// A name with what identifies it on hover and focus: a number, or a WhatsApp @username when the number is hidden.
export function withTip(label, tip, id) {
  if (!tip) return h("span", { id }, label);
  return h("span", { class: "tip", tabindex: "0", id, title: tip, dataset: { tip }, "aria-label": `${label} (${tip})` }, label);
}

export class ConversationView {
  constructor(id, { notify }) {
    this.id = id;
    this.notify = notify;
    this.conversation = null;
    this.messages = [];
    this.header = h("header", { class: "conversation-header" });
    this.banner = h("p", { class: "banner", role: "status", hidden: true });
    this.search = h("input", { type: "search", id: "message-search", placeholder: t("conversation.search"),
      "aria-label": t("conversation.search"), oninput: () => this.renderMessages() });
    this.list = h("ol", { class: "messages", id: "messages", "aria-label": t("conversation.messages") });
    this.composer = this.buildComposer();
    this.windowBox = h("div", { class: "window-box", hidden: true });  // the 24-hour window; outside it, templates
    this.el = h("article", { class: "conversation" }, this.header, this.banner,
      h("div", { class: "conversation-search" }, this.search), this.list, this.windowBox, this.composer);
  }

  buildComposer() {
    this.text = h("textarea", { id: "reply-text", rows: 2, placeholder: t("reply.placeholder"), "aria-label": t("reply.placeholder"),
      onkeydown: (event) => { if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); this.sendText(); } } });
    this.image = h("input", { type: "file", id: "reply-image", accept: "image/jpeg,image/png", class: "sr",
      onchange: () => this.sendImage() });
    return h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); this.sendText(); } },
      h("label", { for: "reply-image", class: "button", tabindex: "0", title: t("reply.image"),
        onkeydown: (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); this.image.click(); } } },
        icon("image"), h("span", { class: "sr" }, t("reply.image"))),
      this.image, this.text, h("button", { type: "submit", class: "primary", id: "send" }, t("reply.send")));
  }

  async refresh() {
    try {
      const [conversation, messages] = await Promise.all([
        call(`/api/router/conversations/${this.id}`),
        call(`/api/router/conversations/${this.id}/messages`),
      ]);
      this.conversation = conversation;
      this.messages = messages.items;
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 404) this.lost();
      else this.notify(error.message, "error");
      return;
    }
    this.renderHeader();
    this.renderMessages();
  }

  lost() {
    this.banner.textContent = t("conversation.lost");
    this.banner.hidden = false;
    this.composer.hidden = true;
    for (const button of this.header.querySelectorAll("button")) button.disabled = true;
  }

  renderHeader() {
    const c = this.conversation;
    const open = c.status !== "finished";
    const answers = Boolean(c.you_may_answer && c.owner_id);  // the owner, a Processo 2 collaborator, an admin
    const leadButton = c.lead_id ? h("a", { class: "lead-icon", id: "open-lead", href: `#/leads/${c.lead_id}`, title: t("lead.open"),
      "aria-label": t("lead.open") }, h("span", { "aria-hidden": "true" }, "●")) : null;
    clear(this.header,
      h("div", { class: "who" }, avatar(c.customer_name || customerHandle(c), { size: "large", photoUrl: customerPhotoUrl(c.conversation_id, c.customer_photo) }), h("div", {},
        h("h2", {}, withTip(c.customer_name || customerHandle(c), customerHandle(c), "customer-name"), " ", leadButton),
        h("p", { class: "meta" }, t("conversation.via"), " ",
          withNumber(c.business_name || formatPhone(c.business_display_number), c.business_display_number, "business-number"),
          " · ", h("span", { class: `status status-${c.status}`, id: "conversation-status" }, t(`status.${c.status}`)),
          c.owner_name ? ` · ${t("inbox.with", { name: c.owner_name })}` : "",
          " ", temperatureChip(temperatureOf(c))))),
      h("div", { class: "actions" },
        !c.owner_id && open ? h("button", { type: "button", class: "primary", id: "add-lead", onclick: () => this.addLead() }, t("lead.add")) : null,
        answers && !c.customer_phone && c.customer_user_id && c.service_window?.applies !== false ? h("button", { type: "button", id: "request-contact",
          title: t("contact.request_hint"), onclick: () => this.requestContact() }, t("contact.request")) : null,
        answers ? h("button", { type: "button", id: "finish", onclick: () => this.finish() }, t("conversation.finish")) : null));
    this.renderComposer(answers);
    const note = c.transfer_note || (!c.owner_id && open ? t("conversation.add_to_answer") : "");
    this.banner.textContent = note;
    this.banner.hidden = !note;
  }

  // Inside WhatsApp's 24-hour window free text; outside it only an approved template (the picker, loaded once).
  // A number on WhatsApp Web (Evolution) has neither: always free text, no window notice (``applies`` false).
  async renderComposer(answers) {
    const window = this.conversation.service_window;
    const closed = answers && window && !window.open;
    this.composer.hidden = !answers || closed;
    this.windowBox.hidden = !answers || window?.applies === false;
    if (!answers) return;
    if (!closed) {
      clear(this.windowBox, windowNote(window));
      return;
    }
    if (this.windowBox.dataset.picker === "shown") return;  // keep what the agent is typing across live refreshes
    this.windowBox.dataset.picker = "shown";
    let listed;
    try {
      listed = await call(`/api/router/conversations/${this.id}/templates`);
    } catch (error) {
      clear(this.windowBox, windowNote(window), h("p", { class: "error", role: "alert" }, error.message));
      return;
    }
    const firstName = (this.conversation.customer_name || "").trim().split(/\s+/)[0] || "";
    clear(this.windowBox, windowNote(window), templatePicker({
      listed, firstName, refresh: `/api/router/business-numbers/${this.conversation.phone_number_id}/templates/sync`,
      send: async (content) => {
        if (await this.reply(content)) {
          this.windowBox.dataset.picker = "";
          this.renderComposer(true);
        }
      },
    }));
  }

  // A message whose look did not change keeps its element: a live update (a file just stored) changes only its message.
  renderMessages() {
    const needle = fold(this.search.value.trim());
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const shown = this.messages.filter((m) => !needle || fold(m.text || m.content?.body || m.content?.caption).includes(needle));
    const before = this.rendered || new Map();
    this.rendered = new Map();
    const items = shown.map((m) => {
      const look = messageLook(m);
      const kept = before.get(m.message_id);
      const el = kept && kept.look === look ? kept.el : messageItem(m, { notify: this.notify });
      this.rendered.set(m.message_id, { look, el });
      return el;
    });
    const grew = items.length !== before.size;
    clear(this.list, items.length ? items : h("li", { class: "empty" }, t(needle ? "conversation.no_match" : "conversation.empty")));
    if ((atBottom || !needle) && grew) this.list.scrollTop = this.list.scrollHeight;
  }

  addLead() {
    openAddLead(this.conversation, {
      notify: this.notify,
      saved: () => this.refresh(),
    });
  }

  async reply(content) {
    try {
      await call(`/api/router/conversations/${this.id}/messages`, { method: "POST", body: { idempotency_key: newKey(), content } });
      await this.refresh();
      return true;
    } catch (error) {
      this.notify(error.message, "error");
      return false;
    }
  }

  // The approved template with WhatsApp's "request contact info" button; the number shared fills the lead.
  async requestContact() {
    const template = (await pageConfig()).request_contact_template;
    if (await this.reply({ kind: "template", name: template.name, language: template.language, parameters: [] })) {
      this.notify(t("contact.requested"));
    }
  }

  async sendText() {
    const body = this.text.value.trim();
    if (!body) return;
    this.text.disabled = true;
    if (await this.reply({ kind: "text", body })) this.text.value = "";
    this.text.disabled = false;
    this.text.focus();
  }

  async sendImage() {
    const file = this.image.files[0];
    if (!file) return;
    try {
      const media = await call(`/api/router/conversations/${this.id}/media`, { method: "POST", query: { kind: "image" }, file });
      await this.reply({ kind: "image", media, caption: this.text.value.trim() || null });
      this.text.value = "";
    } catch (error) {
      this.notify(error.message, "error");
    }
    this.image.value = "";
  }

  async finish() {
    try {
      await call(`/api/router/conversations/${this.id}/finish`, { method: "POST" });
      this.notify(t("conversation.finished"));
      await this.refresh();
    } catch (error) {
      this.notify(error.message, "error");
    }
  }
}
