// "Add lead": the form prefilled with the customer's name and mobile; saving makes the conversation this agent's.
import { call, newKey } from "./api.js";
import { t } from "./i18n.js";
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
        const owner = error.details?.owner?.name;
        problem.textContent = error.code === "already_claimed" && owner ? t("lead.already_claimed", { name: owner }) : error.message;
        save.disabled = false;
      }
    },
  },
    h("h2", { id: "add-lead-title" }, t("lead.add")),
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
  dialog.append(body);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  dialog.querySelector("input")?.focus();
}
