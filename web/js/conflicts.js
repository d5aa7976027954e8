// Lead conflicts (administrators): a customer with leads in several teams; choose the lead to keep and its one
// responsible agent, and the customer's conversations can be added again.
import { call, me } from "./api.js";
import { dateTime, t } from "./i18n.js";
import { clear, formatPhone, h } from "./dom.js";

export async function showConflicts(view, { notify }) {
  if (me()?.role !== "admin") {  // the screen is the administrators'; nobody else is even asked for its data
    clear(view, h("section", { class: "lead-page" }, h("p", { class: "error", role: "alert" }, t("error.admin_only"))));
    return;
  }
  clear(view, h("p", { class: "muted" }, t("loading")));
  let conflicts, directory;
  try {
    [conflicts, directory] = await Promise.all([call("/api/leads/admin/conflicts"), call("/api/router/directory")]);
  } catch (error) {
    clear(view, h("section", { class: "lead-page" }, h("p", { class: "error", role: "alert" }, error.message)));
    return;
  }
  const teams = new Map(directory.teams.map((team) => [team.id, team.name]));
  const cards = await Promise.all(conflicts.map((conflict) => conflictCard(conflict, directory.agents, teams, {
    notify, resolved: () => showConflicts(view, { notify }) })));
  clear(view, h("section", { class: "lead-page conflicts", id: "conflicts" },
    h("h1", {}, t("conflicts.title")),
    h("p", { class: "muted" }, t("conflicts.explain")),
    cards.length ? cards : h("p", { class: "empty", id: "no-conflicts" }, t("conflicts.none"))));
}

async function conflictCard(conflict, agents, teams, { notify, resolved }) {
  const leads = await Promise.all(conflict.lead_ids.map((id) => call(`/api/leads/leads/${id}`).catch(() => null)));
  const known = leads.filter(Boolean);
  const customer = known[0]?.name || "";
  const number = conflict.customer_phone ? formatPhone(conflict.customer_phone) : "";
  const problem = h("p", { class: "error", role: "alert" });
  const agentPicker = h("select", { name: "agent_id", id: `agent-${conflict.conflict_id}`, required: true },
    h("option", { value: "" }, t("conflicts.choose_agent")),
    agents.map((agent) => h("option", { value: agent.id, dataset: { teams: agent.team_ids.join(" ") } },
      `${agent.name} (${agent.team_ids.map((id) => teams.get(id) || id).join(", ")})`)));
  return h("form", {
    class: "card conflict", dataset: { conflict: conflict.conflict_id },
    onsubmit: async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(event.target));
      const lead = known.find((l) => l.lead_id === values.lead_id);
      const agent = agents.find((a) => a.id === values.agent_id);
      // the kept lead's team when the agent works in it, else the agent's first team
      const teamId = agent.team_ids.includes(lead.team_id) ? lead.team_id : agent.team_ids[0];
      problem.textContent = "";
      try {
        await call(`/api/leads/admin/conflicts/${conflict.conflict_id}/resolve`, { method: "POST",
          body: { lead_id: values.lead_id, agent_id: values.agent_id, team_id: teamId } });
        notify(t("conflicts.resolved", { name: agent.name }));
        resolved();
      } catch (error) {
        problem.textContent = error.message;
      }
    },
  },
    h("h2", {}, customer, " ", h("small", { class: "muted" }, number)),
    h("fieldset", {}, h("legend", {}, t("conflicts.keep")),
      known.map((lead, index) => h("label", { class: "check lead-choice" },
        h("input", { type: "radio", name: "lead_id", value: lead.lead_id, required: true, checked: index === 0 }),
        " ", h("strong", {}, teams.get(lead.team_id) || lead.team_id), " · ",
        t("conflicts.with", { name: lead.responsible_agent.name }), " · ",
        h("time", { datetime: lead.created_at }, dateTime(lead.created_at)), " · ",
        h("a", { href: `#/leads/${lead.lead_id}` }, t("lead.open"))))),
    h("label", { class: "field" }, h("span", {}, t("conflicts.agent")), agentPicker),
    problem,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("conflicts.resolve"))));
}
