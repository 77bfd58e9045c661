// Minimal demo chat: every text is set with textContent, never as HTML.
(function () {
  "use strict";
  const cfg = window.MADOGUCHI;
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("q");
  const lang = document.getElementById("lang");
  const key = "madoguchi:" + cfg.slug;
  let token = localStorage.getItem(key);
  let after = 0;

  async function ensureToken() {
    if (token) return token;
    const r = await fetch(cfg.api + "session", {method: "POST"});
    token = (await r.json()).token;
    localStorage.setItem(key, token);
    return token;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function show(m) {
    const box = el("div", "msg " + m.sender);
    const r = m.reply;
    if (r && r.title) box.appendChild(el("span", "title", r.title));
    box.appendChild(el("span", "text", r ? r.text : m.text));
    if (r && r.contact) box.appendChild(el("span", "contact", r.contact));
    if (r && r.links) for (const l of r.links) {
      const a = el("a", "source", l.title); a.href = l.url; a.target = "_blank"; a.rel = "noopener";
      box.appendChild(el("br")); box.appendChild(a);
    }
    if (r && r.notice) box.appendChild(el("span", "notice", r.notice));
    const buttons = [];
    if (r && r.choices) for (const c of r.choices) buttons.push([c.label, c.payload]);
    if (r && r.feedback_ref) {
      buttons.push(["👍", {action: "feedback", value: "yes", log: r.feedback_ref}]);
      buttons.push(["👎", {action: "feedback", value: "no", log: r.feedback_ref}]);
    }
    if (buttons.length) {
      const row = el("div", "choices");
      for (const [label, payload] of buttons) {
        const b = el("button", "choice", label); b.type = "button";
        b.addEventListener("click", () => send({postback: Object.assign({label: label}, payload)}));
        row.appendChild(b);
      }
      box.appendChild(row);
    }
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  async function poll() {
    if (!token) return;
    const r = await fetch(cfg.api + "messages?token=" + encodeURIComponent(token) + "&after=" + after);
    const data = await r.json();
    for (const m of data.messages) { show(m); after = Math.max(after, m.id); }
  }

  async function send(body) {
    await ensureToken();
    body.token = token; body.language = lang.value; body.client_id = crypto.randomUUID();
    const r = await fetch(cfg.api + "messages", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)});
    if (!r.ok) { const e = await r.json().catch(() => ({})); show({sender: "system", text: e.error || "Error"}); }
    await poll();
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({text: text});
  });
  document.getElementById("person").addEventListener("click", () => send({postback: {action: "person", label: "👤"}}));
  poll();
  setInterval(poll, 3000);
})();
