// Log-in: in development pick a seeded agent; in production paste the bearer JWT from the identity provider.
import { call, me, setToken } from "./api.js";
import { t } from "./i18n.js";
import { clear, h } from "./dom.js";

export async function showLogin(view, done) {
  const message = h("p", { class: "error", role: "alert" });
  const pasted = h("textarea", { id: "token", rows: 3, autocomplete: "off", spellcheck: "false" });
  const tokenForm = h("form", {
    class: "card", onsubmit: (event) => {
      event.preventDefault();
      setToken(pasted.value.trim());
      if (me()) done();
      else { setToken(null); message.textContent = t("login.bad_token"); }
    },
  }, h("h2", {}, t("login.with_token")), h("label", { for: "token" }, t("login.token")), pasted,
     h("button", { type: "submit", class: "primary" }, t("login.enter")));
  const devList = h("div", { class: "agents" });
  clear(view, h("div", { class: "login" }, h("h1", {}, t("login.title")), message, devList, tokenForm));
  try {
    if (!(await call("/api/config")).dev_login) return;  // production: the token form is the way in
    const { items } = await call("/api/dev/agents");
    if (!items.length) return;
    clear(devList, h("section", { class: "card" }, h("h2", {}, t("login.dev")),
      h("ul", { class: "plain" }, items.map((agent) => h("li", {}, h("button", {
        type: "button", class: "agent", dataset: { agent: agent.agent_id },
        onclick: async () => {
          const answer = await call("/api/dev/login", { method: "POST", body: { account_id: agent.account_id, agent_id: agent.agent_id } });
          setToken(answer.token);
          done();
        },
      }, h("strong", {}, agent.name), h("span", {}, ` ${t(`role.${agent.role}`)} · ${Object.values(agent.team_names).join(", ")}`)))))));
    devList.querySelector("button")?.focus();
  } catch (error) {
    message.textContent = error.message;
  }
}
