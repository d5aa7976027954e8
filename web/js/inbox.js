// The inbox: status tabs with counts, search, the Filter panel, and the conversations this agent may see.
import { call, customerPhotoUrl, me, temperatureOf } from "./api.js";
import { dateTime, t } from "./i18n.js";
import { avatar, clear, customerHandle, formatPhone, h, icon, redraw } from "./dom.js";
import { temperatureChip } from "./conversation.js";

export const STATUSES = ["new", "unanswered", "no_reply", "finished"];

export class Inbox {
  // ``pinnedLead``: FollowChat opened from a lead (its page's chat button): that lead's conversation comes first.
  constructor({ notify, pinnedLead = null }) {
    this.notify = notify;
    this.pinnedLead = pinnedLead;
    this.status = "new";
    this.filters = { q: "", since: "", until: "", teams: new Set(), agents: new Set() };
    this.selected = null;
    this.sequence = 0;
    this.knownAgents = new Map();  // id → name, from the account's directory (and the owners of rows seen)
    this.knownTeams = new Map();  // id → name, every team of the account
    this.filterTeams = [];  // [id, name] of the teams to filter by: the agent's own, or all for an administrator
    this.build();
    this.loadDirectory();
  }

  build() {
    this.search = h("input", {
      type: "search", id: "search", placeholder: t("inbox.search"), "aria-label": t("inbox.search"), autocomplete: "off",
      oninput: () => { clearTimeout(this.typing); this.typing = setTimeout(() => { this.filters.q = this.search.value.trim(); this.refresh(); }, 250); },
    });
    this.filterButton = h("button", { type: "button", id: "filter-button", "aria-expanded": "false", "aria-controls": "filters",
      onclick: () => this.togglePanel() }, t("filter.title"));
    this.clearButton = h("button", { type: "button", id: "clear-filters", class: "link", hidden: true,
      onclick: () => this.clearFilters() }, t("filter.clear"));
    this.panel = h("form", { id: "filters", class: "filters", hidden: true, onsubmit: (e) => e.preventDefault(),
      onchange: () => this.readPanel() });
    this.tabs = h("div", { role: "tablist", class: "tabs", "aria-label": t("inbox.statuses") });
    this.list = h("ul", { class: "conversations", id: "conversation-list", "aria-live": "polite" });
    this.el = h("section", { class: "inbox", "aria-label": t("inbox.title") },
      h("h1", { class: "sr" }, t("inbox.title")),
      h("div", { class: "toolbar" }, this.search, this.filterButton, this.clearButton),
      this.panel, this.tabs, this.list);
    this.renderPanel();
    this.renderTabs({ new: 0, unanswered: 0, no_reply: 0, finished: 0 });
  }

  // The teams and agents this agent works with, by name (the router's account directory).
  async loadDirectory() {
    try {
      const { teams, agents } = await call("/api/router/directory");
      for (const team of teams) this.knownTeams.set(team.id, team.name);
      this.filterTeams = teams.filter((team) => team.member || me()?.role === "admin").map((team) => [team.id, team.name]);
      for (const agent of agents) this.knownAgents.set(agent.id, agent.name);
      this.renderPanel();
      if (this.lastAnswer) this.renderList(this.lastAnswer);
    } catch { /* names then come from the conversations seen */ }
  }

  // The pinned lead's latest conversation (any status): its tab is the one shown, and it is the one opened.
  async pinnedConversation() {
    if (!this.pinnedLead) return null;
    const { items } = await call("/api/router/conversations", { query: { lead_id: this.pinnedLead, limit: 1 } });
    const found = items[0]?.lead_id === this.pinnedLead ? items[0] : null;
    if (found) this.status = found.status;
    return found;
  }

  teamName(id) {
    return this.knownTeams.get(id) || id;
  }

  togglePanel(open = this.panel.hidden) {
    this.panel.hidden = !open;
    this.filterButton.setAttribute("aria-expanded", String(open));
    if (open) this.panel.querySelector("input")?.focus();
  }

  renderPanel() {
    const f = this.filters;
    const checkboxes = (name, values, chosen, label) => values.map(([value, text]) => h("label", { class: "check" },
      h("input", { type: "checkbox", name, value, checked: chosen.has(value) }), ` ${label(text)}`));
    const agents = [...this.knownAgents.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    const teams = this.filterTeams;
    clear(this.panel,
      h("fieldset", {}, h("legend", {}, t("filter.dates")),
        h("label", {}, t("filter.since"), " ", h("input", { type: "date", name: "since", value: f.since })),
        h("label", {}, t("filter.until"), " ", h("input", { type: "date", name: "until", value: f.until }))),
      h("fieldset", {}, h("legend", {}, t("filter.teams")), checkboxes("team", teams, f.teams, (x) => x)),
      h("fieldset", {}, h("legend", {}, t("filter.agents")), agents.length ? checkboxes("agent", agents, f.agents, (x) => x) : h("p", { class: "muted" }, "—")),
      h("div", { class: "row" },
        h("button", { type: "button", class: "link", onclick: () => this.clearFilters() }, t("filter.clear")),
        h("button", { type: "button", onclick: () => this.togglePanel(false) }, t("filter.close"))));
  }

  readPanel() {
    const form = new FormData(this.panel);
    this.filters.since = form.get("since") || "";
    this.filters.until = form.get("until") || "";
    this.filters.teams = new Set(form.getAll("team"));
    this.filters.agents = new Set(form.getAll("agent"));
    this.refresh();
  }

  clearFilters() {
    this.filters = { q: "", since: "", until: "", teams: new Set(), agents: new Set() };
    this.search.value = "";
    this.renderPanel();
    this.refresh();
    this.search.focus();
  }

  activeFilters() {
    const f = this.filters;
    return (f.q ? 1 : 0) + (f.since ? 1 : 0) + (f.until ? 1 : 0) + f.teams.size + f.agents.size;
  }

  renderTabs(counts) {
    redraw(this.tabs, "status", STATUSES.map((status) => h("button", {
      type: "button", role: "tab", id: `tab-${status}`, "aria-selected": String(status === this.status),
      tabindex: status === this.status ? "0" : "-1", dataset: { status },
      onclick: () => { this.status = status; this.refresh(); },
      onkeydown: (event) => this.arrowKeys(event, status),
    }, t(`status.${status}`), " ", h("span", { class: "count", dataset: { count: status } }, counts[status] ?? 0))));
  }

  arrowKeys(event, status) {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = STATUSES[(STATUSES.indexOf(status) + step + STATUSES.length) % STATUSES.length];
    this.status = next;
    this.refresh().then(() => this.tabs.querySelector(`[data-status="${next}"]`)?.focus());
  }

  query() {
    const f = this.filters;
    const day = (value, plus = 0) => { const d = new Date(`${value}T00:00:00`); d.setDate(d.getDate() + plus); return d.toISOString(); };
    return { status: this.status, q: f.q, since: f.since ? day(f.since) : "", until: f.until ? day(f.until, 1) : "",
             team: [...f.teams], agent: [...f.agents], lead_id: this.pinnedLead || "", limit: 100 };
  }

  async refresh() {
    const mine = ++this.sequence;
    let answer;
    try {
      answer = await call("/api/router/conversations", { query: this.query() });
    } catch (error) {
      this.notify(error.message, "error");
      return;
    }
    if (mine !== this.sequence) return;  // a newer refresh is on its way
    this.lastAnswer = answer;
    this.renderList(answer);
  }

  renderList(answer) {
    const active = this.activeFilters();
    this.clearButton.hidden = active === 0;
    this.filterButton.textContent = active ? `${t("filter.title")} (${active})` : t("filter.title");
    this.renderTabs(answer.counts);
    for (const item of answer.items) {
      if (item.owner_id) this.knownAgents.set(item.owner_id, item.owner_name || item.owner_id);
    }
    if (!this.panel.hidden && !this.panel.contains(document.activeElement)) this.renderPanel();
    redraw(this.list, "conversation", answer.items.length ? answer.items.map((c) => this.row(c))
      : h("li", { class: "empty" }, t(active ? "inbox.none_filtered" : "inbox.none")));
  }

  row(c) {
    const owner = c.owner_name ? t("inbox.with", { name: c.owner_name }) : t("inbox.pool", { teams: (c.pool_team_ids || []).map((id) => this.teamName(id)).join(", ") });
    const late = c.pool_wait_alerted && c.status === "new" && !c.owner_id;  // answer quickly: waited past the threshold
    const pinned = this.pinnedLead && c.lead_id === this.pinnedLead;  // FollowChat opened from this lead
    return h("li", { dataset: { conversation: c.conversation_id }, class: [late && "late", pinned && "pinned"].filter(Boolean).join(" ") || false },
      h("a", { href: `#/conversations/${c.conversation_id}`, class: "with-avatar",
        "aria-current": c.conversation_id === this.selected ? "true" : false },
        avatar(c.customer_name || customerHandle(c), { photoUrl: customerPhotoUrl(c.conversation_id, c.customer_photo) }),
        pinned ? h("span", { class: "pinned-note" }, icon("pin"), " ", t("inbox.pinned")) : null,
        h("span", { class: "line" }, h("strong", { class: "name", title: customerHandle(c) || false },
          c.customer_name || customerHandle(c)),
          h("time", { datetime: c.last_activity_at }, dateTime(c.last_activity_at))),
        late ? h("span", { class: "late-note", role: "note" }, t("inbox.late", { waited: waitedSince(c.opened_at) })) : null,
        h("span", { class: "line" }, h("span", { class: "preview" }, preview(c.last_message_preview)),
          h("span", { class: `status status-${c.status}` }, t(`status.${c.status}`))),
        h("span", { class: "meta" },
          h("span", { class: "business", title: formatPhone(c.business_display_number) }, c.business_name || formatPhone(c.business_display_number)),
          " · ", owner, " ", temperatureChip(temperatureOf(c)))));
  }

  select(id) {
    this.selected = id;
    for (const link of this.list.querySelectorAll("a")) {
      if (link.getAttribute("href") === `#/conversations/${id}`) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
  }
}

function waitedSince(iso) {
  const seconds = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
  return seconds < 60 ? `${seconds} s` : seconds < 3600 ? `${Math.floor(seconds / 60)} min` : `${Math.floor(seconds / 3600)} h`;
}

/** The router previews media as "[kind]": shown as the kind's name in the page's language. */
function preview(text) {
  const kind = /^\[([a-z_]+)\]$/.exec(text || "");
  return kind ? `[${t(`kind.${kind[1]}`, {}, kind[1])}]` : text || "";
}
