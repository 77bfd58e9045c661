/*! Madoguchi web chat widget.
 * Embed with one tag:  <script src="https://HOST/widget.js" data-municipality="SLUG" async></script>
 * Optional attributes: data-language="en" (first language shown).
 * Plain JavaScript, no dependencies, no external requests but to HOST. The widget lives in a shadow
 * root, so the page's styles and ours do not mix. Every text is set with textContent, never as HTML.
 */
(function () {
  "use strict";

  var CSS = "__MADOGUCHI_CSS__"; // replaced by the stylesheet when /widget.js is served

  var script = document.currentScript || findScript();
  if (!script || !script.src) return;
  var slug = script.getAttribute("data-municipality") || "";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(slug)) {
    warn("data-municipality is missing or invalid");
    return;
  }
  var registry = (window.__madoguchi = window.__madoguchi || {});
  if (registry[slug]) return; // the tag was included twice
  registry[slug] = true;

  // The API lives where this script came from (the script's own src, minus "widget.js").
  var scriptUrl = new URL(script.src, location.href);
  var BASE = scriptUrl.href.replace(/widget\.js(?:[?#].*)?$/, "");
  var API = BASE + "api/web/" + encodeURIComponent(slug) + "/";
  var STORE_PREFIX = "madoguchi:" + scriptUrl.origin + ":" + slug + ":";
  var SSE_SAFETY_POLL = 30000;
  var POLL = 3000;
  var POLL_FAST = 1000;
  var POLL_HIDDEN = 15000;
  var AWAIT_TIMEOUT = 60000;
  var SSE_REOPEN = 1500;

  function findScript() {
    var all = document.querySelectorAll("script[data-municipality][src]");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(?:[?#]|$)/.test(all[i].src)) return all[i];
    }
    return null;
  }

  function warn(text) {
    if (window.console) console.warn("Madoguchi chat: " + text);
  }

  // --- storage: localStorage when allowed, memory otherwise ---------------------------------------
  var memory = {};
  var store = {
    get: function (key) {
      try {
        return window.localStorage.getItem(STORE_PREFIX + key);
      } catch (e) {
        return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
      }
    },
    set: function (key, value) {
      try {
        window.localStorage.setItem(STORE_PREFIX + key, value);
      } catch (e) {
        memory[key] = value;
      }
    },
    del: function (key) {
      try {
        window.localStorage.removeItem(STORE_PREFIX + key);
      } catch (e) {
        delete memory[key];
      }
    },
  };

  function readMarks() {
    try {
      return JSON.parse(store.get("marks") || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  // --- state ------------------------------------------------------------------------------------
  var state = {
    token: store.get("token"),
    lang: store.get("lang") || script.getAttribute("data-language") || navigator.language || "ja",
    cfg: null,
    after: 0,
    convState: "bot",
    open: false,
    awaiting: 0,
    awaitingSince: 0,
    marks: readMarks(), // feedback given and choice groups used, by message id
    transport: "none",
  };
  var shown = {}; // message id -> element
  var pending = {}; // client id -> element of a message not yet confirmed by the server
  var es = null; // the open EventSource
  var esOpening = null; // the stream being opened (its ticket requested), if any
  var esReopen = null; // timer of a scheduled reopen
  var sseFailures = 0;
  var pollTimer = null;
  var fetching = null;
  var fetchAgain = false;

  // --- DOM helpers: elements and text nodes only ----------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var name in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, name)) continue;
        var value = attrs[name];
        if (value === null || value === undefined || value === false) continue;
        if (name === "class") el.className = value;
        else if (name === "text") el.textContent = value;
        else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
        else el.setAttribute(name, value === true ? "" : String(value));
      }
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  function icon(path) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }
  var ICON_CHAT =
    "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8.5L4 21.5V18a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z";
  // A globe, drawn with strokes (see .mg-lang-label svg): the language selector is found by its shape
  // even by a resident who cannot read the language the widget is in.
  var ICON_GLOBE =
    "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM3 12h18M4.6 7.5h14.8M4.6 16.5h14.8" +
    "M12 3c-2.4 2.6-3.6 5.6-3.6 9s1.2 6.4 3.6 9M12 3c2.4 2.6 3.6 5.6 3.6 9s-1.2 6.4-3.6 9";
  var ICON_CLOSE =
    "M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 1 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z";

  function safeUrl(url) {
    try {
      var parsed = new URL(String(url), BASE);
      if (parsed.protocol === "https:" || parsed.protocol === "http:") return parsed.href;
    } catch (e) {
      /* not a URL */
    }
    return null;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function t(key) {
    return (state.cfg && state.cfg.strings[key]) || key;
  }

  // --- the widget's DOM ---------------------------------------------------------------------------------
  var host = h("div", { "data-madoguchi-widget": slug, "data-transport": "none" });
  var shadow = host.attachShadow({ mode: "open" });
  var sheet = null;
  function adoptStyles(root) {
    if ("adoptedStyleSheets" in root && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(h("style", { text: CSS }));
    }
  }
  adoptStyles(shadow);

  var ui = {};
  ui.launcherLabel = h("span", { class: "mg-launcher-label" });
  ui.badge = h("span", { class: "mg-badge", hidden: true });
  ui.launcher = h(
    "button",
    { class: "mg-launcher", type: "button", "aria-expanded": "false", "aria-controls": "mg-panel", onclick: toggle },
    [icon(ICON_CHAT), ui.launcherLabel, ui.badge]
  );
  ui.title = h("h2", { class: "mg-title", id: "mg-title" });
  ui.close = h("button", { class: "mg-icon-button mg-close", type: "button", onclick: function () { close(true); } }, [
    icon(ICON_CLOSE),
  ]);
  ui.langText = h("span", { class: "mg-sr" });
  ui.langLabel = h("label", { for: "mg-lang", class: "mg-lang-label" }, [icon(ICON_GLOBE), ui.langText]);
  ui.lang = h("select", { id: "mg-lang", onchange: onLanguageChange, onkeydown: onLanguageKey, onblur: onLanguageBlur });
  ui.clear = h("button", { class: "mg-link-button mg-clear", type: "button", onclick: clearConversation });
  ui.state = h("div", { class: "mg-state", role: "status", hidden: true });
  ui.intro = h("div", { class: "mg-intro" });
  ui.messages = h("div", { class: "mg-messages" });
  // Shown from the moment a question is sent until its reply arrives (or sending fails). In the log,
  // a polite live region: screen readers hear that an answer is being looked for.
  ui.thinking = h("div", { class: "mg-msg mg-bot mg-thinking", hidden: true }, [
    h("span", { class: "mg-dots", "aria-hidden": "true" }, [h("span"), h("span"), h("span")]),
    h("span", { class: "mg-thinking-text" }),
  ]);
  ui.log = h("div", { class: "mg-log", role: "log", "aria-live": "polite", tabindex: "0", id: "mg-log" }, [
    ui.intro,
    ui.messages,
    ui.thinking,
  ]);
  ui.alert = h("div", { class: "mg-alert", role: "alert" });
  ui.inputLabel = h("label", { for: "mg-input", class: "mg-sr" });
  ui.input = h("textarea", {
    id: "mg-input",
    rows: "2",
    autocomplete: "off",
    "aria-describedby": "mg-counter",
    oninput: updateCounter,
    onkeydown: onInputKey,
  });
  ui.counter = h("div", { class: "mg-counter", id: "mg-counter" });
  ui.person = h("button", { class: "mg-button mg-person", type: "button", onclick: askForPerson });
  ui.send = h("button", { class: "mg-button mg-primary mg-send", type: "submit" });
  ui.form = h("form", { class: "mg-form", onsubmit: onSubmit }, [
    ui.inputLabel,
    ui.input,
    ui.counter,
    h("div", { class: "mg-actions" }, [ui.person, ui.send]),
  ]);
  ui.panel = h(
    "section",
    { class: "mg-panel", id: "mg-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "mg-title", hidden: true, onkeydown: onPanelKey },
    [
      h("div", { class: "mg-header" }, [ui.title, ui.close]),
      h("div", { class: "mg-toolbar" }, [ui.langLabel, ui.lang, ui.clear]),
      ui.state,
      ui.log,
      ui.alert,
      ui.form,
    ]
  );
  // The launcher comes last in the page's tab order (the widget is added at the end of the body), so a
  // "skip to the chat" link comes first: hidden until it has the keyboard focus.
  var skipHost = h("div", { "data-madoguchi-skip": slug });
  var skipShadow = skipHost.attachShadow({ mode: "open" });
  ui.skip = h("button", { class: "mg-skip", type: "button", onclick: function () { open(true); } });
  skipShadow.appendChild(ui.skip);
  adoptStyles(skipShadow);

  // Announces replies that arrive while the panel is closed (the log itself is hidden then).
  ui.announce = h("div", { class: "mg-sr", role: "status" });
  ui.root = h("div", { class: "mg-root", hidden: true }, [ui.launcher, ui.announce, ui.panel]);
  shadow.appendChild(ui.root);

  // --- network ------------------------------------------------------------------------------------
  // The session token goes in a header, never in a URL: URLs end up in access logs.
  function request(path, options) {
    options = options || {};
    var headers = {};
    var init = { method: options.method || "GET", credentials: "omit", cache: "no-store", headers: headers };
    if (options.token) headers.Authorization = "Bearer " + options.token;
    if (options.json) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
    }
    return fetch(API + path, init);
  }

  function readJson(response) {
    return response.json().catch(function () {
      return {};
    });
  }

  function loadConfig(lang) {
    return request("config?lang=" + encodeURIComponent(lang)).then(function (response) {
      if (!response.ok) throw new Error("config " + response.status);
      return response.json();
    });
  }

  var tokenRequest = null; // one session request at a time: quick first messages share one token

  function ensureToken() {
    if (state.token) return Promise.resolve(state.token);
    if (tokenRequest) return tokenRequest;
    tokenRequest = request("session", { method: "POST" })
      .then(function (response) {
        return readJson(response).then(function (data) {
          if (!response.ok || !data.token) throw new ApiError(data.error || t("error"));
          state.token = data.token;
          store.set("token", data.token);
          return data.token;
        });
      })
      .then(
        function (token) {
          tokenRequest = null;
          return token;
        },
        function (error) {
          tokenRequest = null;
          throw error;
        }
      );
    return tokenRequest;
  }

  // A token the server no longer knows (401: not issued here, or the server's key changed): start afresh.
  function forgetToken(token) {
    if (state.token !== token) return;
    state.token = null;
    tokenRequest = null;
    state.after = 0;
    store.del("token");
  }

  function ApiError(message) {
    this.message = message;
  }

  // --- configuration and UI text ------------------------------------------------------------------------
  function applyConfig(cfg) {
    state.cfg = cfg;
    state.lang = cfg.language;
    store.set("lang", cfg.language);
    ui.root.setAttribute("lang", cfg.html_lang);
    ui.launcherLabel.textContent = t("open");
    ui.badge.textContent = t("unread");
    ui.title.textContent = t("title");
    ui.close.setAttribute("aria-label", t("close"));
    ui.close.setAttribute("title", t("close"));
    ui.langText.textContent = t("language");
    ui.lang.setAttribute("title", t("language"));
    ui.clear.textContent = t("clear");
    ui.log.setAttribute("aria-label", t("log_label"));
    ui.inputLabel.textContent = t("input_label");
    ui.input.setAttribute("placeholder", t("placeholder"));
    ui.input.setAttribute("maxlength", String(cfg.max_chars));
    ui.person.textContent = t("person");
    ui.send.textContent = t("send");
    ui.thinking.lastChild.textContent = t("thinking");
    ui.skip.textContent = t("skip");
    ui.skip.setAttribute("lang", cfg.html_lang);
    while (ui.lang.firstChild) ui.lang.removeChild(ui.lang.firstChild);
    cfg.languages.forEach(function (language) {
      var option = h("option", { value: language.code, lang: language.html_lang, text: language.name });
      if (language.code === cfg.language) option.selected = true;
      ui.lang.appendChild(option);
    });
    renderIntro();
    renderState();
    updateCounter();
  }

  function renderIntro() {
    var cfg = state.cfg;
    while (ui.intro.firstChild) ui.intro.removeChild(ui.intro.firstChild);
    ui.intro.appendChild(h("div", { class: "mg-msg mg-bot mg-kind-greeting" }, [h("p", { text: cfg.greeting })]));
    var official = safeUrl(cfg.municipality.website);
    ui.intro.appendChild(
      h("div", { class: "mg-disclaimer" }, [
        h("span", { text: cfg.disclaimer }),
        official ? " " : null,
        official ? externalLink(official, t("official_site")) : null,
      ])
    );
    if (cfg.suggestions.length) {
      ui.intro.appendChild(h("h3", { class: "mg-suggest-title", id: "mg-suggest-title", text: t("suggestions") }));
      var list = h("ul", { class: "mg-suggestions", "aria-labelledby": "mg-suggest-title" });
      cfg.suggestions.forEach(function (s) {
        list.appendChild(
          h("li", null, [
            h("button", {
              class: "mg-chip",
              type: "button",
              lang: s.lang,
              text: s.question,
              onclick: function () {
                post({ postback: { action: "pick", kind: "faq", id: s.id, label: s.question } }, s.question);
              },
            }),
          ])
        );
      });
      ui.intro.appendChild(list);
    }
  }

  function externalLink(href, text) {
    return h("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, [
      text,
      h("span", { class: "mg-sr", text: " " + t("new_tab") }),
    ]);
  }

  function renderState() {
    var s = state.convState;
    refreshChoices();
    ui.state.classList.toggle("mg-state-staff", s === "staff");
    // A person is already asked for (or talking): the button would only send the request again.
    ui.person.hidden = s === "waiting" || s === "staff";
    if (s === "waiting") {
      ui.state.textContent = t("waiting");
      ui.state.hidden = false;
    } else if (s === "staff") {
      ui.state.textContent = t("with_staff");
      ui.state.hidden = false;
    } else {
      ui.state.textContent = "";
      ui.state.hidden = true;
    }
  }

  // --- messages ----------------------------------------------------------------------------------------
  function senderName(sender) {
    return t(sender === "resident" ? "you" : sender);
  }

  function saveMark(id, value) {
    state.marks[id] = value;
    store.set("marks", JSON.stringify(state.marks));
  }

  function renderMessage(m) {
    var reply = m.reply || null;
    var text = reply ? reply.text : m.text;
    if (!text && !(reply && (reply.choices || []).length)) return null;
    var kind = (reply && reply.kind) || m.kind || "text";
    // A reply in another language than the widget's is read out in it; the widget's own labels in it
    // keep the widget's language.
    var own = messageLang(m.language);
    var uiLang = own ? state.cfg.html_lang : null;
    var box = h("div", {
      class: "mg-msg mg-" + m.sender + " mg-kind-" + kind.replace(/[^a-z_-]/gi, ""),
      "data-id": m.id,
      lang: own,
    });
    var visibleWho = m.sender === "staff" || m.sender === "system";
    box.appendChild(h("span", { class: visibleWho ? "mg-who" : "mg-sr", text: senderName(m.sender) + ": " }));
    var textLang = own || state.cfg.html_lang;
    if (reply && reply.title) box.appendChild(h("span", { class: "mg-msg-title" }, japaneseMarked(reply.title, textLang)));
    if (text) box.appendChild(h("p", null, japaneseMarked(text, textLang)));
    if (reply) {
      if (reply.contact) {
        box.appendChild(
          h(
            "span",
            { class: "mg-meta mg-contact" },
            [h("span", { class: "mg-meta-label", lang: uiLang, text: t("contact") + ": " })].concat(
              japaneseMarked(reply.contact, textLang)
            )
          )
        );
      }
      (reply.links || []).forEach(function (link) {
        var href = safeUrl(link.url);
        var label = link.title || link.url;
        box.appendChild(
          h("span", { class: "mg-meta mg-source" }, [
            h("span", { class: "mg-meta-label", lang: uiLang, text: t("source") + ": " }),
            href ? externalLink(href, label) : h("span", { text: label }),
          ])
        );
      });
      if (reply.notice) box.appendChild(h("span", { class: "mg-meta mg-notice", text: reply.notice }));
      if (reply.choices && reply.choices.length) box.appendChild(renderChoices(m, reply.choices));
      if (reply.feedback_ref) box.appendChild(renderFeedback(reply.feedback_ref, uiLang));
    }
    if (m.at) {
      var when = new Date(m.at);
      if (!isNaN(when.getTime())) {
        var label = when.toLocaleTimeString(state.cfg ? state.cfg.html_lang : undefined, { hour: "2-digit", minute: "2-digit" });
        box.appendChild(h("time", { class: "mg-time", datetime: m.at, text: label }));
      }
    }
    return box;
  }

  // Japanese names kept in brackets in another language's text ("Citizens Division (市民課)") are
  // marked lang="ja": screen readers read them in Japanese, browsers draw them with Japanese glyphs.
  var BRACKETED = /([(（])([^()（）]{1,30})([)）])/g;
  var JAPANESE_LETTER = /[\u3040-\u30ff\u3400-\u9fff]/;
  var LATIN_LETTER = /[A-Za-z]/;

  function japaneseMarked(text, lang) {
    if (!text || !lang || lang.slice(0, 2) === "ja") return [text];
    var parts = [];
    var last = 0;
    text.replace(BRACKETED, function (match, open, inner, close, at) {
      if (!JAPANESE_LETTER.test(inner) || LATIN_LETTER.test(inner)) return match;
      parts.push(text.slice(last, at) + open, h("span", { lang: "ja", text: inner }));
      last = at + open.length + inner.length;
      return match;
    });
    parts.push(text.slice(last));
    return parts;
  }

  function messageLang(code) {
    if (!code || !state.cfg || code === state.cfg.language) return null;
    var found = null;
    state.cfg.languages.forEach(function (l) {
      if (l.code === code) found = l.html_lang;
    });
    return found;
  }

  // Buttons that ask the bot something (an answer to pick, "none of these", a person): they belong to
  // the bot's turn, and are of no use once staff hold the conversation.
  var BOT_ACTIONS = { pick: true, none: true, person: true };

  function renderChoices(m, choices) {
    var used = state.marks["c" + m.id];
    var group = h("div", { class: "mg-choices", role: "group", "aria-label": m.reply.text || "" });
    if (used) group.setAttribute("data-used", "true");
    var forBot = choices.some(function (choice) {
      return choice.payload && BOT_ACTIONS[choice.payload.action];
    });
    if (forBot) group.setAttribute("data-bot", "true");
    choices.forEach(function (choice) {
      var button = h("button", {
        class: "mg-chip",
        type: "button",
        text: choice.label,
        disabled: !!used,
        "aria-pressed": used === choice.label ? "true" : null,
      });
      button.addEventListener("click", function () {
        var payload = {};
        for (var k in choice.payload) payload[k] = choice.payload[k];
        payload.label = choice.label;
        disableGroup(group, button);
        group.setAttribute("data-used", "true");
        saveMark("c" + m.id, choice.label);
        if (payload.action === "lang" && payload.value) changeLanguage(String(payload.value), false);
        post({ postback: payload }, choice.label);
      });
      group.appendChild(button);
    });
    return group;
  }

  function renderFeedback(ref, lang) {
    var given = state.marks["f" + ref];
    var question = h("span", { class: "mg-feedback-q", id: "mg-fb-" + ref, text: t("helpful_question") });
    var group = h("div", { class: "mg-feedback", role: "group", "aria-labelledby": "mg-fb-" + ref, lang: lang }, [
      question,
    ]);
    [
      ["yes", t("helpful_yes")],
      ["no", t("helpful_no")],
    ].forEach(function (option) {
      var button = h("button", {
        class: "mg-chip mg-feedback-" + option[0],
        type: "button",
        text: option[1],
        disabled: !!given,
        "aria-pressed": given === option[0] ? "true" : null,
      });
      button.addEventListener("click", function () {
        disableGroup(group, button);
        saveMark("f" + ref, option[0]);
        post({ postback: { action: "feedback", value: option[0], log: ref, label: option[1] } }, option[1]);
      });
      group.appendChild(button);
    });
    return group;
  }

  // Choices are live only in the city's latest turn: once the resident has written again (or pressed
  // another button), older ones are disabled; while staff hold the conversation, so are the bot's.
  // The server answers a stale one that still arrives (LINE, another tab) sensibly.
  function refreshChoices() {
    var held = state.convState === "waiting" || state.convState === "staff";
    var newer = false; // a resident message comes after this one
    var boxes = ui.messages.children;
    for (var i = boxes.length - 1; i >= 0; i--) {
      var box = boxes[i];
      Array.prototype.forEach.call(box.querySelectorAll(".mg-choices"), function (group) {
        var stale = newer || (held && group.getAttribute("data-bot") === "true");
        var off = stale || group.getAttribute("data-used") === "true";
        group.classList.toggle("mg-stale", stale);
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
          b.disabled = off;
        });
      });
      if (box.classList.contains("mg-resident")) newer = true;
    }
  }

  function disableGroup(group, chosen) {
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
      b.disabled = true;
    });
    chosen.setAttribute("aria-pressed", "true");
    ui.input.focus();
  }

  function nearBottom() {
    return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
  }

  function scrollToEnd() {
    // With no messages yet, the greeting and disclaimer stay in view.
    ui.log.scrollTop = ui.messages.firstChild ? ui.log.scrollHeight : 0;
  }

  function addMessages(list, quiet, stick) {
    if (stick === undefined) stick = nearBottom();
    var fromCity = false;
    var firstReply = null; // the first new message from the city, to show from its start
    list.forEach(function (m) {
      state.after = Math.max(state.after, m.id);
      if (shown[m.id]) return;
      var el = renderMessage(m);
      if (!el) return;
      var placeholder = m.client_id && pending[m.client_id];
      if (placeholder) {
        ui.messages.replaceChild(el, placeholder);
        delete pending[m.client_id];
      } else {
        ui.messages.appendChild(el);
      }
      shown[m.id] = el;
      if (m.sender !== "resident") {
        fromCity = true;
        if (!firstReply) firstReply = el;
      }
    });
    refreshChoices();
    if (fromCity && !quiet) {
      state.awaiting = 0;
      showThinking(false);
      if (!state.open) {
        ui.badge.hidden = false;
        ui.announce.textContent = "";
        ui.announce.textContent = t("unread");
      }
    }
    if (quiet) scrollToEnd();
    else if (stick) scrollToReply(firstReply);
  }

  // A long answer is read from its title down, not from its feedback buttons up: when the new replies
  // do not fit, the first one is shown from its top.
  function scrollToReply(el) {
    if (!el || !el.parentNode) return scrollToEnd();
    // One assignment: the log scrolls smoothly, so its scrollTop is not where it is going yet.
    var offset = el.getBoundingClientRect().top - ui.log.getBoundingClientRect().top + ui.log.scrollTop;
    var end = ui.log.scrollHeight - ui.log.clientHeight;
    ui.log.scrollTop = Math.max(0, Math.min(end, offset - 8));
  }

  function showPending(clientId, text) {
    var el = h("div", { class: "mg-msg mg-resident mg-pending" }, [
      h("span", { class: "mg-sr", text: senderName("resident") + ": " }),
      h("p", { text: text }),
    ]);
    pending[clientId] = el;
    ui.messages.appendChild(el);
    refreshChoices();
    scrollToEnd();
  }

  function showThinking(on) {
    ui.thinking.hidden = !on;
    if (on) scrollToEnd();
  }

  function setAlert(text) {
    ui.alert.textContent = text || "";
  }

  // --- fetching new messages, live events and polling ---------------------------------------------
  function fetchNew(quiet) {
    if (!state.token) return Promise.resolve();
    if (fetching) {
      fetchAgain = true;
      return fetching;
    }
    fetching = (function loop() {
      fetchAgain = false;
      var token = state.token;
      var path = "messages?after=" + state.after + "&lang=" + encodeURIComponent(state.lang);
      return request(path, { token: token })
        .then(function (response) {
          if (response.status === 401) forgetToken(token);
          if (!response.ok) return null;
          return response.json();
        })
        .then(function (data) {
          if (!data || token !== state.token) return;
          var list = data.messages || [];
          var stick = nearBottom(); // before the status line above the log takes or gives back room
          if (data.state && data.state !== state.convState) {
            state.convState = data.state;
            renderState();
            if (stick && !list.length) scrollToEnd();
            updateLive();
          }
          addMessages(list, quiet, stick);
          if (state.convState === "waiting" || state.convState === "staff") showThinking(false);
        })
        .catch(function () {
          /* offline for a moment: the next poll or event tries again */
        })
        .then(function () {
          if (fetchAgain) return loop();
        });
    })().then(function () {
      fetching = null;
    });
    return fetching;
  }

  function wantLive() {
    if (!state.token) return false;
    if (state.awaiting && Date.now() - state.awaitingSince > AWAIT_TIMEOUT) {
      state.awaiting = 0;
      showThinking(false);
    }
    return state.open || state.awaiting > 0 || state.convState === "waiting" || state.convState === "staff";
  }

  function setTransport(name) {
    state.transport = name;
    host.setAttribute("data-transport", name);
  }

  function updateLive() {
    if (!wantLive()) {
      stopEvents();
      stopPolling();
      setTransport("none");
      return;
    }
    if (state.cfg && state.cfg.live && window.EventSource && sseFailures < 3) openEvents();
    schedulePoll();
  }

  // EventSource cannot send headers, so the stream is opened with a short-lived signed ticket that
  // is asked for with the token in a header. A ticket opens one stream only for about a minute, so
  // the browser's own reconnect (same URL, old ticket) is never used: every reconnect gets a new one.
  function openEvents() {
    if (es || esOpening || esReopen) return;
    var token = state.token;
    var attempt = {};
    esOpening = attempt;
    request("stream-ticket", { method: "POST", token: token })
      .then(function (response) {
        return readJson(response).then(function (data) {
          if (!response.ok || !data.ticket) throw new Error("stream ticket " + response.status);
          return data.ticket;
        });
      })
      .then(
        function (ticket) {
          if (esOpening !== attempt) return; // stopped meanwhile
          esOpening = null;
          if (token !== state.token || !wantLive()) return;
          connectEvents(ticket);
        },
        function () {
          if (esOpening !== attempt) return;
          esOpening = null;
          sseFailed();
        }
      );
  }

  function connectEvents(ticket) {
    var source = new EventSource(API + "events?ticket=" + encodeURIComponent(ticket));
    var ready = false;
    es = source;
    source.addEventListener("ready", function () {
      ready = true;
      sseFailures = 0;
      setTransport("sse");
      schedulePoll();
      fetchNew();
    });
    source.addEventListener("messages", function () {
      fetchNew();
    });
    source.addEventListener("bye", function () {
      // The stream's lifetime is over: open the next one at once, with a new ticket.
      if (es !== source) return;
      source.close();
      es = null;
      if (wantLive()) openEvents();
    });
    source.onerror = function () {
      if (es !== source) return;
      source.close();
      es = null;
      if (!ready) {
        // Never opened (204: no live events here; or refused): poll instead.
        sseFailed();
        return;
      }
      // The connection broke: poll meanwhile, and reopen shortly with a new ticket.
      setTransport("poll");
      schedulePoll();
      esReopen = setTimeout(function () {
        esReopen = null;
        if (wantLive()) updateLive();
      }, SSE_REOPEN);
    };
  }

  function sseFailed() {
    sseFailures += 1;
    setTransport("poll");
    schedulePoll();
  }

  function stopEvents() {
    esOpening = null;
    if (esReopen) clearTimeout(esReopen);
    esReopen = null;
    if (es) {
      es.close();
      es = null;
    }
  }

  function stopPolling() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  function schedulePoll() {
    stopPolling();
    if (!wantLive()) return;
    if (state.transport !== "sse") setTransport("poll");
    var delay = state.transport === "sse" ? SSE_SAFETY_POLL : state.awaiting ? POLL_FAST : POLL;
    if (document.hidden && !state.awaiting) delay = Math.max(delay, POLL_HIDDEN);
    pollTimer = setTimeout(function () {
      pollTimer = null;
      fetchNew().then(function () {
        if (!wantLive()) updateLive();
        else schedulePoll();
      });
    }, delay);
  }

  // --- sending -------------------------------------------------------------------------------------------
  function post(body, echo) {
    setAlert("");
    var clientId = uuid();
    if (echo) showPending(clientId, echo);
    // While a person holds the conversation the bot stays silent: no reply to wait for.
    var expectReply = state.convState !== "waiting" && state.convState !== "staff";
    if (expectReply) {
      state.awaiting += 1;
      state.awaitingSince = Date.now();
      showThinking(true);
    }
    function send(retried) {
      return ensureToken().then(function (token) {
        body.language = state.lang;
        body.client_id = clientId;
        return request("messages", { method: "POST", json: body, token: token }).then(function (response) {
          if (response.status !== 401 || retried) return response;
          forgetToken(token); // once: a new session, and the message sent again with it
          return send(true);
        });
      });
    }
    return send(false)
      .then(function (response) {
        return readJson(response).then(function (data) {
          if (!response.ok) throw new ApiError(data.error || t("error"));
        });
      })
      .then(function () {
        updateLive();
        return fetchNew().then(function () {
          return true;
        });
      })
      .catch(function (error) {
        var el = pending[clientId];
        if (el && el.parentNode) el.parentNode.removeChild(el);
        delete pending[clientId];
        refreshChoices();
        if (expectReply) state.awaiting = Math.max(0, state.awaiting - 1);
        if (!state.awaiting) showThinking(false);
        setAlert(error instanceof ApiError ? error.message : t("network_error"));
        return false;
      });
  }

  function onSubmit(event) {
    event.preventDefault();
    var text = ui.input.value.trim();
    if (!text) {
      ui.input.focus();
      return;
    }
    var max = state.cfg ? state.cfg.max_chars : 1000;
    if (text.length > max) {
      setAlert(t("too_long"));
      ui.input.focus();
      return;
    }
    ui.input.value = "";
    updateCounter();
    post({ text: text }, text).then(function (ok) {
      if (!ok && !ui.input.value) {
        ui.input.value = text; // keep what the resident typed when it could not be sent
        updateCounter();
      }
    });
    ui.input.focus();
  }

  function onInputKey(event) {
    // Enter sends, Shift+Enter starts a new line; never while an IME is composing (Japanese input).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      if (typeof ui.form.requestSubmit === "function") ui.form.requestSubmit(ui.send);
      else onSubmit(event);
    }
  }

  function updateCounter() {
    var max = state.cfg ? state.cfg.max_chars : 1000;
    var left = max - ui.input.value.length;
    if (left <= Math.max(50, Math.floor(max * 0.1))) {
      ui.counter.textContent = t("chars_left").replace("{count}", String(Math.max(0, left)));
      ui.counter.classList.toggle("mg-over", left <= 0);
    } else {
      ui.counter.textContent = "";
      ui.counter.classList.remove("mg-over");
    }
  }

  function askForPerson() {
    post({ postback: { action: "person", label: t("person") } }, t("person"));
  }

  // --- language ------------------------------------------------------------------------------------------
  // Arrow keys (and typed letters) on a closed select fire "change" at every option passed. Those only
  // move through the list; the language is set on an explicit choice: a click or tap in the list,
  // Enter, or leaving the list on another option. Escape goes back to the current language.
  var LIST_KEYS = /^(Arrow(Up|Down|Left|Right)|Home|End|PageUp|PageDown|.)$/;
  var languageKeyAt = 0;
  var languageWanted = null; // a language being loaded: chosen once, not again on the blur that follows

  function onLanguageKey(event) {
    if (event.key === "Enter") {
      if (ui.lang.value !== state.lang) {
        event.preventDefault();
        commitLanguage();
      }
    } else if (event.key === "Escape" || event.key === "Esc") {
      if (ui.lang.value !== state.lang) {
        event.stopPropagation(); // the first Escape undoes the browsing, the next one closes the chat
        ui.lang.value = state.lang;
      }
    } else if (LIST_KEYS.test(event.key) && !event.altKey && !event.ctrlKey && !event.metaKey) {
      languageKeyAt = Date.now();
    }
  }

  function onLanguageChange() {
    if (Date.now() - languageKeyAt < 250) return; // moved by a key: not chosen yet
    commitLanguage();
  }

  function onLanguageBlur() {
    commitLanguage();
  }

  function commitLanguage() {
    var code = ui.lang.value;
    if (!code || code === state.lang || code === languageWanted) return;
    languageWanted = code;
    changeLanguage(code, true).then(function () {
      languageWanted = null;
    });
  }

  function changeLanguage(code, tellServer) {
    var focusSelect = shadow.activeElement === ui.lang;
    return loadConfig(code)
      .then(function (cfg) {
        applyConfig(cfg);
        if (focusSelect) ui.lang.focus();
        if (tellServer && state.token) {
          var name = code;
          cfg.languages.forEach(function (l) {
            if (l.code === cfg.language) name = l.name;
          });
          post({ postback: { action: "lang", value: cfg.language, label: name } }, name);
        }
      })
      .catch(function () {
        setAlert(t("network_error"));
      });
  }

  // --- opening, closing, clearing ------------------------------------------------------------------
  function toggle() {
    if (state.open) close(true);
    else open(true);
  }

  function open(focus) {
    state.open = true;
    store.set("open", "1");
    ui.panel.hidden = false;
    ui.root.classList.add("mg-open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.badge.hidden = true;
    ui.announce.textContent = "";
    scrollToEnd();
    // On a touch screen, focusing the text box would pop the keyboard over the greeting and the
    // suggested questions: the conversation takes the focus there; a tap on the box types.
    if (focus) (touchScreen() ? ui.log : ui.input).focus();
    updateLive();
    fetchNew();
  }

  function touchScreen() {
    return !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  }

  function close(focus) {
    state.open = false;
    store.del("open");
    ui.panel.hidden = true;
    ui.root.classList.remove("mg-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    if (focus) ui.launcher.focus();
    updateLive();
  }

  function onPanelKey(event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.stopPropagation();
      close(true);
    } else if (event.key === "Tab") {
      cycleFocus(event);
    }
  }

  // Tab stays in the open chat: from the last control (Send) it goes round to the first (Close), then
  // the language and "new conversation"; Shift+Tab the other way. Escape leaves it.
  function cycleFocus(event) {
    var all = focusable();
    if (!all.length) return;
    var first = all[0];
    var last = all[all.length - 1];
    var active = shadow.activeElement;
    if (event.shiftKey && (active === first || all.indexOf(active) < 0)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || all.indexOf(active) < 0)) {
      event.preventDefault();
      first.focus();
    }
  }

  function focusable() {
    var found = ui.panel.querySelectorAll("button, select, textarea, a[href], [tabindex]");
    return Array.prototype.filter.call(found, function (el) {
      if (el.disabled || el.getAttribute("tabindex") === "-1") return false;
      return el.getClientRects().length > 0; // not hidden
    });
  }

  function clearConversation() {
    if (!window.confirm(t("confirm_clear"))) return;
    stopEvents();
    stopPolling();
    state.token = null;
    tokenRequest = null;
    state.after = 0;
    state.convState = "bot";
    state.awaiting = 0;
    state.marks = {};
    store.del("token");
    store.del("marks");
    shown = {};
    pending = {};
    while (ui.messages.firstChild) ui.messages.removeChild(ui.messages.firstChild);
    showThinking(false);
    setAlert("");
    renderState();
    setTransport("none");
    ui.input.focus();
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.token) fetchNew();
    if (pollTimer) schedulePoll();
  });

  // --- start ---------------------------------------------------------------------------------------------
  function start() {
    document.body.appendChild(host);
    loadConfig(state.lang)
      .then(function (cfg) {
        applyConfig(cfg);
        ui.root.hidden = false;
        document.body.insertBefore(skipHost, document.body.firstChild);
        host.setAttribute("data-ready", "true");
        var history = state.token ? fetchNew(true) : Promise.resolve();
        return history.then(function () {
          if (store.get("open") === "1") open(false);
          else updateLive();
        });
      })
      .catch(function () {
        // Refused (this site is not an allowed origin) or unreachable: show nothing rather than a broken chat.
        warn("the chat service refused this page or cannot be reached; the widget is not shown");
        if (host.parentNode) host.parentNode.removeChild(host);
        if (skipHost.parentNode) skipHost.parentNode.removeChild(skipHost);
        delete registry[slug];
      });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
