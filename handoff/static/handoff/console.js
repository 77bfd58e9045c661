/* Madoguchi staff console: live refresh (server-sent events, or polling without Redis), a sound and
   a browser notification for new tickets, and the translation preview before a reply is sent.
   Plain JavaScript, no libraries; every page works without it (forms post and redirect). */
(function () {
  "use strict";

  var body = document.body;
  var pollMs = Math.max(1, parseInt(body.dataset.pollSeconds || "5", 10)) * 1000;
  var statusEl = document.getElementById("live-status");
  var queueRegion = document.querySelector('[data-region="queue"]');
  var threadRegion = document.querySelector('[data-region="thread"]');
  var ticketPage = document.querySelector(".ticket-page");
  var queueRowsUrl = body.dataset.queueRowsUrl;
  var texts = body.dataset;

  // Counters the tests (and curious staff) can read: how many alerts this page gave.
  var state = { sounds: 0, urgentSounds: 0, notifications: 0, refreshes: 0, mode: "" };
  window.madoguchiConsole = state;

  function setStatus(mode) {
    state.mode = mode;
    if (!statusEl) return;
    statusEl.dataset.mode = mode;
    statusEl.textContent = mode === "live" ? texts.textLive : mode === "poll" ? texts.textPoll : texts.textReconnecting;
  }

  // --- alerts ---------------------------------------------------------------------------------------
  var audio = null;
  function unlockAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }
  function beep(urgent) {
    state.sounds += 1;
    if (urgent) state.urgentSounds += 1; // a longer, higher four-tone alert
    if (!audio) return;
    try {
      var now = audio.currentTime;
      [0, 0.25].concat(urgent ? [0.5, 0.75] : []).forEach(function (offset) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = urgent ? 988 : 660;
        gain.gain.setValueAtTime(0.0001, now + offset);
        gain.gain.exponentialRampToValueAtTime(0.2, now + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.2);
        osc.connect(gain).connect(audio.destination);
        osc.start(now + offset);
        osc.stop(now + offset + 0.22);
      });
    } catch (e) { /* sound is a courtesy */ }
  }
  function notify(row) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    var urgent = row.priority === "0";
    // No question text here: notifications can show on a locked screen, so no personal data.
    var title = (urgent ? texts.textUrgent + " " : "") + texts.textNewTicket + " #" + row.id;
    var detail = [row.language, row.department].filter(Boolean).join(" · ");
    try {
      var n = new Notification(title, { body: detail, tag: "madoguchi-ticket-" + row.id });
      n.onclick = function () { window.focus(); window.location.href = row.url; };
      state.notifications += 1;
    } catch (e) { /* some browsers only allow notifications from a service worker */ }
  }
  var alertButton = document.getElementById("enable-alerts");
  function showAlertState() {
    if (!alertButton) return;
    var granted = "Notification" in window && Notification.permission === "granted";
    alertButton.dataset.on = granted && audio ? "1" : "0";
    alertButton.textContent = granted && audio ? texts.textAlertsOn : texts.textAlertsOff;
  }
  if (alertButton) {
    alertButton.addEventListener("click", function () {
      unlockAudio();
      if ("Notification" in window && Notification.permission === "default") {
        Notification.requestPermission().then(showAlertState);
      }
      showAlertState();
    });
    showAlertState();
  }
  document.addEventListener("click", unlockAudio, { once: true });

  // --- new tickets ----------------------------------------------------------------------------------
  var seen = null; // waiting ticket ids already announced
  function waitingRows(root) {
    var rows = {};
    root.querySelectorAll('tr[data-state="waiting"][data-ticket-id]').forEach(function (tr) {
      var link = tr.querySelector("a[href]");
      rows[tr.dataset.ticketId] = {
        id: tr.dataset.ticketId,
        priority: tr.dataset.priority,
        language: (tr.querySelector(".language .label") || tr.querySelector(".language") || {}).textContent,
        department: ((tr.querySelector(".department") || {}).textContent || "").replace("—", "").trim(),
        url: link ? link.href : "#",
      };
    });
    return rows;
  }
  function announce(root) {
    var rows = waitingRows(root);
    if (seen !== null) {
      var fresh = Object.keys(rows).filter(function (id) { return !(id in seen); });
      if (fresh.length) {
        beep(fresh.some(function (id) { return rows[id].priority === "0"; }));
        fresh.forEach(function (id) { notify(rows[id]); });
      }
    }
    seen = rows;
  }

  // --- refreshing regions ---------------------------------------------------------------------------
  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } }).then(function (r) {
      if (!r.ok || r.redirected) throw new Error("refresh failed: " + r.status);
      return r.text();
    });
  }
  function refreshQueue() {
    if (queueRegion) {
      return fetchHtml(queueRegion.dataset.refreshUrl).then(function (html) {
        queueRegion.innerHTML = html;
        state.refreshes += 1;
        announce(queueRegion);
      }).catch(function () {});
    }
    if (!queueRowsUrl) return Promise.resolve();
    return fetchHtml(queueRowsUrl).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      announce(holder);
    }).catch(function () {});
  }
  function refreshThread() {
    if (!threadRegion) return Promise.resolve();
    return fetchHtml(threadRegion.dataset.refreshUrl).then(function (html) {
      threadRegion.innerHTML = html;
      state.refreshes += 1;
    }).catch(function () {});
  }
  function ticketChanged() {
    var reply = document.getElementById("reply-text");
    var note = document.getElementById("note-text");
    var typing = (reply && reply.value.trim()) || (note && note.value.trim());
    if (!typing) { window.location.reload(); return; }
    var banner = document.getElementById("changed-banner");
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "changed-banner";
      banner.className = "flash info";
      banner.textContent = texts.textChanged;
      document.getElementById("flashes").appendChild(banner);
    }
  }

  var pending = null;
  function onEvent(event) {
    var mine = ticketPage && String(event.ticket) === ticketPage.dataset.ticketId;
    if (mine && /^ticket\.(updated|resolved)$/.test(event.type)) { ticketChanged(); return; }
    if (mine) refreshThread();
    if (queueRegion || event.type === "ticket.new") {
      clearTimeout(pending);
      pending = setTimeout(refreshQueue, 150);
    }
  }

  var pollTimer = null;
  function startPolling() {
    setStatus("poll");
    if (pollTimer) return;
    pollTimer = setInterval(function () { refreshQueue(); refreshThread(); }, pollMs);
  }
  function startLive() {
    var source = new EventSource(body.dataset.eventsUrl);
    source.addEventListener("open", function () { setStatus("live"); });
    source.addEventListener("update", function (e) {
      try { onEvent(JSON.parse(e.data)); } catch (err) { /* ignore a malformed event */ }
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) startPolling(); // 204 or refused: poll instead
      else setStatus("reconnecting");
    });
  }

  // --- keep the place ---------------------------------------------------------------------------------
  // An action on a ticket comes back to the form it was made in (the redirect's #fragment): its
  // message is shown there, not at the top of the page, and the form has the focus again.
  function keepPlace() {
    var id = window.location.hash.slice(1);
    var target = id && ticketPage && document.getElementById(id);
    if (!target || !ticketPage.contains(target)) return;
    var shown = document.querySelectorAll("#flashes .flash");
    if (shown.length) {
      var local = document.createElement("div");
      local.className = "flashes local";
      shown.forEach(function (flash) { local.appendChild(flash); });
      target.parentNode.insertBefore(local, target);
    }
    var visible = function (el) { return el && el.getClientRects().length > 0; };
    var field = target.querySelector("textarea");
    if (!visible(field)) field = target.querySelector("summary, select, input:not([type=hidden]), button");
    if (!visible(field)) field = target;
    // The reply and note boxes sit under the thread: keep the latest messages in view above them.
    var writing = target.tagName === "FORM" && target.querySelector("textarea");
    if (writing) target.scrollIntoView({ block: "end" });
    else (target.previousElementSibling && target.previousElementSibling.matches(".flashes.local")
      ? target.previousElementSibling : target).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }
  // After the load: the browser's own scroll to the #fragment comes first and would undo ours.
  window.addEventListener("load", keepPlace);

  if (!queueRegion && !threadRegion && !queueRowsUrl) return; // the login page: nothing to keep fresh

  if (queueRegion) announce(queueRegion);
  else if (queueRowsUrl) refreshQueue();
  if (body.dataset.live === "sse" && "EventSource" in window) startLive();
  else startPolling();
  // Wait times move on even when nothing happens.
  if (body.dataset.live === "sse") setInterval(refreshQueue, 60000);

  // --- reply with translation preview -------------------------------------------------------------
  var form = document.getElementById("reply-form");
  if (form) {
    var text = document.getElementById("reply-text");
    var token = document.getElementById("preview-token");
    var send = document.getElementById("send-button");
    var previewButton = document.getElementById("preview-button");
    var box = document.getElementById("preview");
    var canned = document.getElementById("canned");
    var needs = form.dataset.needsTranslation === "1";
    var previewed = null;

    var syncSend = function () {
      send.disabled = needs && (previewed === null || previewed !== text.value.trim());
    };
    text.addEventListener("input", function () {
      if (previewed !== text.value.trim()) {
        token.value = "";
        box.hidden = true;
      }
      syncSend();
    });
    if (canned) {
      canned.addEventListener("change", function () {
        var option = canned.selectedOptions[0];
        if (option && option.dataset.text) text.value = option.dataset.text;
        text.dispatchEvent(new Event("input"));
      });
    }
    previewButton.addEventListener("click", function () {
      var data = new FormData(form);
      var source = String(data.get("text") || "").trim();
      if (!source) { text.focus(); return; }
      fetch(form.dataset.previewUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken"), "X-Requested-With": "fetch" },
      }).then(function (r) {
        if (!r.ok) throw new Error("preview failed: " + r.status);
        return r.json();
      }).then(function (result) {
        document.getElementById("preview-text").textContent = result.text;
        document.getElementById("preview-text").lang = result.language;
        document.getElementById("preview-language").textContent = result.language_label || result.language_name;
        var kind = document.getElementById("preview-kind");
        kind.textContent = result.curated ? form.dataset.labelCurated
          : result.machine_translated ? form.dataset.labelMachine : form.dataset.labelNone;
        kind.dataset.kind = result.curated ? "curated" : result.machine_translated ? "machine" : "none";
        document.getElementById("preview-back").textContent = result.back_translation || "";
        document.getElementById("preview-back-wrap").hidden = !result.back_translation;
        document.getElementById("preview-notice").textContent = result.notice || "";
        document.getElementById("preview-warning").textContent = result.warning || "";
        token.value = result.token;
        previewed = source;
        box.hidden = false;
        syncSend();
      }).catch(function () {
        document.getElementById("preview-warning").textContent = form.dataset.labelError;
        box.hidden = false;
      });
    });
    syncSend();
  }

  // Resolve step: "answered with an FAQ entry" searches the city's FAQ as staff type.
  var faqSearch = document.getElementById("resolve-faq-search");
  var faqSelect = document.getElementById("resolve-faq");
  if (faqSearch && faqSelect) {
    var faqTimer = null;
    var none = faqSelect.options[0].cloneNode(true);
    faqSearch.addEventListener("input", function () {
      clearTimeout(faqTimer);
      faqTimer = setTimeout(function () {
        var q = faqSearch.value.trim();
        fetch(faqSearch.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { entries: [] }; })
          .then(function (data) {
            faqSelect.textContent = "";
            faqSelect.appendChild(none.cloneNode(true));
            data.entries.forEach(function (entry) {
              var option = document.createElement("option");
              option.value = entry.id;
              option.textContent = entry.external_id + " — " + entry.question;
              faqSelect.appendChild(option);
            });
            if (data.entries.length) faqSelect.selectedIndex = 1;
          });
      }, 250);
    });
  }
})();
