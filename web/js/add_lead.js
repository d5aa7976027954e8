// "Add lead": the form prefilled with the customer's name and mobile; saving makes the conversation this agent's.
import { call, me, newKey } from "./api.js";
import { listed, t } from "./i18n.js";
import { h } from "./dom.js";

function field(name, label, attrs = {}) {
  return h("label", { class: "field" }, h("span", {}, label), h("input", { name, id: `lead-${name}`, ...attrs }));
}

export async function openAddLead(conversation, { notify, saved }) {
  let form;
  try {
    form = await call(`/api/leads/conversations/${conversation.conversation_id}/lead-form`);
  } catch (error) {
    notify(error.message, "error");
    return;
  }
  if (form.saving === "conflict") return showConflict(form.conflict);
  const key = newKey();  // one key per opened form: a retried save creates nothing twice
  const problem = h("p", { class: "error", role: "alert", id: "lead-error" });
  const dialog = h("dialog", { class: "dialog", id: "add-lead-dialog", "aria-labelledby": "add-lead-title" });
  const close = () => { dialog.close(); dialog.remove(); };
  const save = h("button", { type: "submit", class: "primary", id: "save-lead" }, t("lead.save"));
  const body = h("form", {
    method: "dialog",
    onsubmit: async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(event.target));
      problem.textContent = "";
      save.disabled = true;
      try {
        await call("/api/leads/leads", { method: "POST", body: {
          conversation_id: conversation.conversation_id, idempotency_key: key, name: values.name, mobile: values.mobile || null,
          email: values.email || null, vehicle_of_interest: values.vehicle_of_interest || null, notes: values.notes || null,
        } });
        close();
        notify(t("lead.saved"));
        saved();
      } catch (error) {
        problem.textContent = error.message;
        save.disabled = false;
      }
    },
  },
    h("h2", { id: "add-lead-title" }, t("lead.add")),
    existingLead(form.existing_lead),
    field("name", t("lead.name"), { required: true, value: form.name, autocomplete: "off" }),
    field("mobile", t("lead.mobile"), { required: !form.request_contact_info, value: form.mobile_display || form.mobile || "",
      inputmode: "tel", "aria-describedby": form.request_contact_info ? "lead-no-number" : false }),
    form.request_contact_info ? h("p", { class: "hint", id: "lead-no-number" },
      t("lead.no_number", { username: form.whatsapp_username ? `@${form.whatsapp_username}` : t("lead.the_customer") })) : null,
    field("email", t("lead.email"), { type: "email" }),
    field("vehicle_of_interest", t("lead.vehicle")),
    h("label", { class: "field" }, h("span", {}, t("lead.notes")), h("textarea", { name: "notes", rows: 2 })),
    problem,
    h("div", { class: "row" }, h("button", { type: "button", onclick: close }, t("cancel")), save));
  show(dialog, body);
  dialog.querySelector("input")?.focus();
}

function show(dialog, content) {
  dialog.append(content);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// Unification: the customer already has a lead; saving joins it and makes the saver responsible (said first).
function existingLead(lead) {
  if (!lead) return null;
  const text = lead.becomes_yours
    ? t("lead.existing_other", { name: lead.responsible?.name ?? "", team: lead.team_name ?? "" })
    : t("lead.existing_yours");
  return h("p", { class: "form-notice", id: "lead-existing", role: "status" }, text);
}

// Leads in two teams: saving is not offered; an administrator resolves it in the conflicts screen.
function showConflict(conflict) {
  const dialog = h("dialog", { class: "dialog", id: "add-lead-dialog", "aria-labelledby": "add-lead-title" });
  const close = () => { dialog.close(); dialog.remove(); };
  const admin = me()?.role === "admin";
  show(dialog, h("div", {},
    h("h2", { id: "add-lead-title" }, t("lead.add")),
    h("p", { class: "form-notice warning", id: "lead-conflict", role: "alert" },
      t("error.lead_conflict", { team_names: listed(conflict.team_names) })),
    admin ? h("p", {}, h("a", { href: "#/conflicts", id: "open-conflicts", onclick: close }, t("conflicts.open"))) : null,
    h("div", { class: "row" }, h("button", { type: "button", onclick: close, id: "close-conflict" }, t("close")))));
  dialog.querySelector("button")?.focus();
}
