// WhatsApp templates: what reaches a customer outside the 24-hour window. A picker with the approved templates of the
// business number, fields for their {{n}} parameters ({{1}} prefilled with the customer's first name) and a preview of
// what the customer will read.
import { call } from "./api.js";
import { dateTime, t } from "./i18n.js";
import { clear, h } from "./dom.js";

const PARAMETER = /\{\{(\d+)\}\}/g;

export function rendered(template, values) {
  const body = template.body.replace(PARAMETER, (whole, n) => values[Number(n) - 1] || whole);
  return [template.header, body, template.footer].filter(Boolean).join("\n\n");
}

// The window's state in words: open until when, or closed since when.
export function windowNote(window) {
  if (window?.applies === false) return null;  // an Evolution number (WhatsApp Web): no window, no templates
  if (window?.open) return h("p", { class: "window open", id: "service-window" }, t("window.open", { until: dateTime(window.closes_at) }));
  return h("p", { class: "window closed", id: "service-window", role: "status" },
    window?.closes_at ? t("window.closed_since", { since: dateTime(window.closes_at) }) : t("window.never"));
}

// ``source``: the URL that lists the templates (a conversation's or a business number's); ``refresh``: the sync URL.
// ``send(content)`` sends the chosen template; resolves true when it went.
export function templatePicker({ listed, firstName, send, refresh, id = "template" }) {
  const box = h("div", { class: "template-picker", id: `${id}-picker` });
  let current = listed;
  const draw = () => {
    const items = current.items || [];
    if (!current.available) return clear(box, h("p", { class: "muted", id: `${id}-none` }, t("template.unavailable")));
    if (!items.length) return clear(box, h("p", { class: "muted", id: `${id}-none` }, t("template.none")));
    const picker = h("select", { id: `${id}-name`, "aria-label": t("template.choose") },
      items.map((item, index) => h("option", { value: String(index) },
        `${item.name} · ${t(`template.category.${item.category}`, {}, item.category)} · ${item.language}`)));
    const fields = h("div", { class: "template-fields" });
    const preview = h("p", { class: "template-preview", id: `${id}-preview`, "aria-live": "polite" });
    const problem = h("p", { class: "error", role: "alert" });
    const values = () => [...fields.querySelectorAll("input")].map((input) => input.value.trim());
    const chosen = () => items[Number(picker.value)];
    const update = () => { preview.textContent = rendered(chosen(), values()); };
    const build = () => {
      const template = chosen();
      clear(fields, Array.from({ length: template.parameter_count }, (_, i) => h("label", { class: "field" },
        h("span", {}, `{{${i + 1}}}`),
        h("input", { name: `p${i + 1}`, id: `${id}-p${i + 1}`, required: true, oninput: update,
          placeholder: template.example?.[i] || "", value: i === 0 ? firstName || "" : "" }))));
      update();
    };
    picker.addEventListener("change", build);
    const submit = h("button", { type: "submit", class: "primary", id: `${id}-send` }, t("template.send"));
    clear(box, h("form", {
      class: "template-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const template = chosen();
        problem.textContent = "";
        submit.disabled = true;
        try {
          await send({ kind: "template", name: template.name, language: template.language, parameters: values() });
        } catch (error) {
          problem.textContent = error.message;
        } finally {
          submit.disabled = false;
        }
      },
    }, h("label", { class: "field" }, h("span", {}, t("template.choose")), picker), fields,
      h("p", { class: "muted" }, t("template.preview")), preview, problem,
      h("div", { class: "row" },
        h("button", { type: "button", class: "link", id: `${id}-refresh`, onclick: async () => {
          try { current = await call(refresh, { method: "POST" }); draw(); } catch (error) { problem.textContent = error.message; }
        } }, t("template.refresh")), submit)));
    build();
    return box;
  };
  draw();
  return box;
}
