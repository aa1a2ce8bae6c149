/* 白话办事助手 web widget. Embed with one tag:
 *   <script src="https://GATEWAY/widget.js" data-api="https://GATEWAY" data-title="..." defer></script>
 * Vanilla JS, no dependencies. Every text from the server is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";
  if (window.__baihuaWidget) { return; }
  window.__baihuaWidget = true;

  var S = /*STRINGS*/{};
  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var API = (data.api || scriptOrigin).replace(/\/+$/, "");
  var TITLE = data.title || S.title;
  var KEY = "baihua:" + API + ":";
  var MAX_TRANSCRIPT = 200;
  var HANDOFF_POLL_MS = 4000;
  var HANDOFF_IDLE_MS = 60 * 60 * 1000;  // stop polling after an hour without an agent reply
  // a request with no answer after this long is given up, with a 再试一次 button (data-timeout: seconds)
  var TIMEOUT_MS = (parseFloat(data.timeout) > 0 ? parseFloat(data.timeout) : 10) * 1000;
  var FULL_SCREEN = "(max-width: 639px)";  // widget.css: below this the panel covers the page
  var LARGE_EVENT = "baihua:large";  // the pages' 大字模式 switch (site.js) and this widget's 大字 are one setting

  // ---- storage: the conversation survives a reload ----
  function load(name, fallback) {
    try { var v = localStorage.getItem(KEY + name); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* private mode: keep going */ }
  }
  function forget(name) {
    try { localStorage.removeItem(KEY + name); } catch (e) { /* private mode */ }
  }
  // No phone or ID number is kept in the browser: what the citizen typed is stored with every run of seven or
  // more digits (groups of 3+ joined by a space or dash, full-width too, maybe ending in the ID checksum X)
  // masked like the server masks them (civic/privacy.py): 139****5678, 1101**********1234. Stricter than the
  // server's rule on purpose: a stored number the rule missed would stay on a shared phone.
  function maskNumbers(text) {
    var s = String(text).replace(/[\uff10-\uff19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xfee0); });
    return s.replace(/\d{3,}(?:[ -]\d{3,})*[Xx]?/g, function (run) {
      var digits = run.replace(/[^0-9Xx]/g, "");
      if (digits.length < 7) { return run; }
      var keep = digits.length >= 15 ? 4 : 3;
      return digits.slice(0, keep) + new Array(digits.length - keep - 4 + 1).join("*") + digits.slice(-4);
    });
  }
  function stored(entry) {
    if (entry && (entry.from === "user" || entry.from === "agent") && typeof entry.text === "string") {
      return { from: entry.from, text: maskNumbers(entry.text) };
    }
    return entry;
  }
  // The sender id is the conversation at Rasa: 128 random bits, so nobody can guess another browser's.
  // (getRandomValues, not randomUUID: that one needs a secure context and embedding sites may be plain http.)
  function newSender() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "w-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var sender = load("sender", null);
  // 24 hex digits: ids of earlier versions (96 random bits), kept so their conversations go on
  if (typeof sender !== "string" || !/^w-[0-9a-f]{24,64}$/.test(sender)) { sender = newSender(); save("sender", sender); }
  var transcript = load("transcript", []);
  if (!Array.isArray(transcript)) { transcript = []; }
  transcript = transcript.map(stored);  // a transcript an earlier version kept unmasked
  save("transcript", transcript);
  var handoff = load("handoff", null);

  // ---- DOM helpers ----
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function safeUrl(u) {
    if (typeof u !== "string") { return null; }
    if (/^tel:[0-9+-]{3,20}$/.test(u)) { return u; }
    if (u.charAt(0) === "/" && u.charAt(1) !== "/") { return API + u; }
    try {
      var parsed = new URL(u);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  var css = el("link", { rel: "stylesheet", href: API + "/widget.css" });
  document.head.appendChild(css);

  // the chat is far down the page's Tab order: a skip link first in <body> goes straight to it
  var skip = el("a", { id: "baihua-skip", href: "#bw-panel" }, S.skip);
  var root = el("div", { id: "baihua-widget" });
  var bubble = el("button", { type: "button", "class": "bw-bubble", "aria-expanded": "false", "aria-controls": "bw-panel" }, S.open);
  var panel = el("section", { id: "bw-panel", "class": "bw-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "bw-title" });
  panel.hidden = true;
  var head = el("div", { "class": "bw-head" });
  var title = el("h2", { id: "bw-title", "class": "bw-title" }, TITLE);
  var largeBtn = el("button", { type: "button", "class": "bw-large-toggle", "aria-pressed": "false" }, S.large_text);
  var closeBtn = el("button", { type: "button", "class": "bw-close", "aria-label": S.close }, "×");
  head.appendChild(title); head.appendChild(largeBtn); head.appendChild(closeBtn);
  var log = el("div", { "class": "bw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": TITLE, tabindex: "0" });
  // handoff mode: while a person has the conversation the bot is quiet; this line says so
  var waitingNote = el("p", { "class": "bw-waiting", role: "status" }, S.waiting);
  waitingNote.hidden = true;
  var offlineNote = el("p", { "class": "bw-offline", role: "status" }, S.offline);
  offlineNote.hidden = true;
  var actions = el("div", { "class": "bw-actions", role: "group", "aria-label": TITLE });
  var humanBtn = el("button", { type: "button", "class": "bw-human" }, S.handoff);
  var complainBtn = el("button", { type: "button", "class": "bw-complaint" }, S.complaint);
  var clearBtn = el("button", { type: "button", "class": "bw-clear" }, S.clear);
  actions.appendChild(humanBtn); actions.appendChild(complainBtn); actions.appendChild(clearBtn);
  var form = el("form", { "class": "bw-form" });
  var label = el("label", { "for": "bw-input" }, S.input_label);
  var input = el("input", { id: "bw-input", "class": "bw-input", type: "text", maxlength: "500", autocomplete: "off", placeholder: S.placeholder });
  var sendBtn = el("button", { type: "submit", "class": "bw-send" }, S.send);
  form.appendChild(label); form.appendChild(input); form.appendChild(sendBtn);
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(waitingNote); panel.appendChild(offlineNote);
  panel.appendChild(actions); panel.appendChild(form);
  root.appendChild(bubble); root.appendChild(panel);

  // ---- rendering: one function per message type ----
  function appendUser(text) {
    var box = el("div", { "class": "bw-msg bw-user" });
    box.appendChild(el("span", { "class": "bw-who" }, S.you + "："));
    box.appendChild(document.createTextNode(text));
    log.appendChild(box);
  }
  function appendText(text, who) {
    var box = el("div", { "class": "bw-msg " + (who === "agent" ? "bw-agent" : "bw-bot") });
    box.appendChild(el("span", { "class": "bw-who" }, (who === "agent" ? S.agent : S.bot) + "："));
    box.appendChild(document.createTextNode(text));
    log.appendChild(box);
  }
  function appendButtons(buttons) {
    var group = el("div", { "class": "bw-choices", role: "group" });
    buttons.forEach(function (b) {
      if (!b || typeof b.payload !== "string") { return; }
      var btn = el("button", { type: "button" }, b.title || b.payload);
      btn.addEventListener("click", function () { send(b.payload, b.title || b.payload); });
      group.appendChild(btn);
    });
    log.appendChild(group);
  }
  function appendLink(text, url) {
    var href = safeUrl(url);
    if (!href) { return; }
    var a = el("a", { "class": "bw-link", href: href }, text || url);
    if (href.indexOf("tel:") !== 0) { a.setAttribute("target", "_blank"); a.setAttribute("rel", "noopener"); }
    log.appendChild(a);
  }
  function appendCard(c) {
    if (!c || typeof c !== "object") { return; }
    var card = el("article", { "class": "bw-card", "aria-label": c.name || "" });
    card.appendChild(el("h3", null, c.name));
    if (c.summary) { card.appendChild(el("p", null, c.summary)); }
    if (Array.isArray(c.members) && c.members.length) {
      card.appendChild(el("h4", null, S.members));
      var ul = el("ul");
      c.members.forEach(function (m) { ul.appendChild(el("li", null, m.name)); });
      card.appendChild(ul);
    }
    if (Array.isArray(c.materials) && c.materials.length) {
      card.appendChild(el("h4", null, S.materials));
      var ol = el("ol", { "class": "bw-checklist" });
      c.materials.forEach(function (m) {
        var li = el("li");
        li.appendChild(el("strong", null, m.name));
        li.appendChild(document.createTextNode("（" + (m.form || "") + " ×" + (m.count || 1) + "）"));
        (m.badges || []).forEach(function (b) { li.appendChild(el("span", { "class": "bw-badge" }, b.label)); });
        if (m.optional_when) { li.appendChild(el("span", { "class": "bw-mnote" }, S.optional + m.optional_when)); }
        if (m.note) { li.appendChild(el("span", { "class": "bw-mnote" }, S.check_point + m.note)); }
        ol.appendChild(li);
      });
      card.appendChild(ol);
    }
    if (Array.isArray(c.steps) && c.steps.length) {
      card.appendChild(el("h4", null, S.steps));
      var steps = el("ol");
      c.steps.forEach(function (s) { steps.appendChild(el("li", null, s)); });
      card.appendChild(steps);
    }
    if (c.window) {
      card.appendChild(el("h4", null, S.window));
      var w = c.window;
      card.appendChild(el("p", { "class": "bw-where" }, [w.name, w.floor, w.counters].filter(Boolean).join("　")));
      if (w.hours) { card.appendChild(el("p", null, w.hours)); }
    }
    if (c.time_limit) { card.appendChild(el("p", null, S.time_limit + "：" + c.time_limit)); }
    if (c.fee) { card.appendChild(el("p", null, S.fee + "：" + c.fee)); }
    var href = safeUrl(c.url);
    if (href) {
      var a = el("a", { href: href, target: "_blank", rel: "noopener", "class": "bw-full" }, S.full_guide + " →");
      card.appendChild(el("p")).appendChild(a);
    }
    log.appendChild(card);
  }
  // 有用 / 没用 / 没找到 under an answer (meta.feedback_turn): POST /api/feedback; a second tap replaces the first
  var FEEDBACK = ["useful", "not_useful", "not_found"];
  var feedbackSeq = 0;
  function appendFeedback(entry) {
    feedbackSeq += 1;
    var qid = "bw-fb-" + feedbackSeq;
    var box = el("div", { "class": "bw-feedback", role: "group", "aria-labelledby": qid });
    box.appendChild(el("p", { id: qid, "class": "bw-feedback-q" }, S.feedback_question));
    var thanks = el("p", { "class": "bw-feedback-thanks", role: "status" });
    var buttons = FEEDBACK.map(function (value) {
      var btn = el("button", { type: "button", "aria-pressed": entry.value === value ? "true" : "false" }, S["feedback_" + value]);
      btn.addEventListener("click", function () { giveFeedback(entry, value, buttons, thanks); });
      box.appendChild(btn);
      return btn;
    });
    if (entry.value) { thanks.textContent = entry.value === "useful" ? S.feedback_thanks : S.feedback_thanks_more; }
    box.appendChild(thanks);
    log.appendChild(box);
  }
  var feedbackBusy = false;  // not `disabled`: a disabled button would drop the keyboard focus
  function giveFeedback(entry, value, buttons, thanks) {
    if (feedbackBusy) { return; }
    feedbackBusy = true;
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) { ctrl.abort(); } feedbackBusy = false; }, TIMEOUT_MS);
    fetch(API + "/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, turn: entry.turn, value: value }),
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (resp) {
      if (!resp.ok) { throw new Error("feedback " + resp.status); }
      entry.value = value;
      save("transcript", transcript);
      buttons.forEach(function (b, i) { b.setAttribute("aria-pressed", FEEDBACK[i] === value ? "true" : "false"); });
      thanks.textContent = value === "useful" ? S.feedback_thanks : S.feedback_thanks_more;
    }).catch(function () {
      thanks.textContent = S.feedback_failed;
    }).then(function () {
      clearTimeout(timer);
      feedbackBusy = false;
      if (thanks.scrollIntoView) { thanks.scrollIntoView({ block: "nearest" }); }
    });
  }
  function renderEntry(entry) {
    if (!entry || typeof entry !== "object") { return; }
    if (entry.from === "user") { appendUser(entry.text); return; }
    if (entry.from === "feedback") { if (typeof entry.turn === "number") { appendFeedback(entry); } return; }
    if (entry.from === "agent") { appendText(entry.text, "agent"); return; }
    if (entry.from === "note") { log.appendChild(el("p", { "class": "bw-note" }, entry.text)); return; }
    var m = entry.m || {};
    if (m.type === "guide_card") { appendCard(m.card); return; }
    if (m.type === "link") { appendLink(m.text, m.url); return; }
    if (m.text) { appendText(m.text, "bot"); }
    if (Array.isArray(m.buttons) && m.buttons.length) { appendButtons(m.buttons); }
  }
  function record(entry) {
    transcript.push(stored(entry));
    if (transcript.length > MAX_TRANSCRIPT) { transcript = transcript.slice(-MAX_TRANSCRIPT); }
    save("transcript", transcript);
    renderEntry(entry);  // shown as typed in this page; stored masked
    log.scrollTop = log.scrollHeight;
  }
  // the welcome and a few questions to tap (api/wording/chat.yml `samples`), shown while nothing was said yet
  function appendWelcome() {
    appendText(S.welcome, "bot");
    if (!Array.isArray(S.samples) || !S.samples.length) { return; }
    var box = el("div", { "class": "bw-samples", role: "group", "aria-labelledby": "bw-samples-intro" });
    box.appendChild(el("p", { id: "bw-samples-intro", "class": "bw-samples-intro" }, S.samples_intro));
    S.samples.forEach(function (q) {
      var btn = el("button", { type: "button" }, q);
      btn.addEventListener("click", function () { send(q); });
      box.appendChild(btn);
    });
    log.appendChild(box);
  }

  // ---- talking to the gateway ----
  // A turn that got no answer (offline, timed out, server trouble) shows why with a 再试一次 button; the typed
  // text goes back into the input, so nothing has to be typed twice. The failure line is not stored.
  var busy = false;
  var pending = null;  // the turn that failed: sending the same words again is its retry, not a new turn
  function clearFailures() {
    pending = null;
    Array.prototype.forEach.call(log.querySelectorAll(".bw-failed"), function (n) { n.remove(); });
  }
  function failed(text, shownAs, why, typed) {
    if (typed && !input.value) { input.value = text; }
    pending = { text: text, shownAs: shownAs, typed: typed };
    var box = el("div", { "class": "bw-failed", role: "alert" });
    box.appendChild(el("p", null, why));
    var retry = el("button", { type: "button", "class": "bw-retry" }, S.retry);
    retry.addEventListener("click", function () {
      if (input.value === text) { input.value = ""; }
      box.remove();
      send(text, shownAs, { retry: true, typed: typed });
    });
    box.appendChild(retry);
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
    return retry;
  }
  function send(message, shownAs, opts) {
    var o = opts || {};
    var text = String(message || "").trim();
    if (!text || busy) { return; }
    var again = o.retry || (pending !== null && pending.text === text);
    clearFailures();
    var samples = log.querySelector(".bw-samples");
    if (samples) { samples.remove(); }  // offered for the first question only
    if (!again) { record({ from: "user", text: shownAs || text }); }
    if (navigator.onLine === false) { showOffline(true); failed(text, shownAs, S.offline, o.typed); return; }
    busy = true;
    sendBtn.disabled = true;
    var waiting = el("p", { "class": "bw-note", role: "status" }, S.thinking);
    log.appendChild(waiting);
    log.scrollTop = log.scrollHeight;
    var headers = { "Content-Type": "application/json", "X-Chat-Channel": "widget" };
    if (handoff && handoff.key) { headers["X-Handoff-Key"] = handoff.key; }  // so our words reach the agent
    var ctrl = window.AbortController ? new AbortController() : null;
    var timedOut = false;
    var timer = setTimeout(function () { timedOut = true; if (ctrl) { ctrl.abort(); } }, TIMEOUT_MS);
    fetch(API + "/api/chat", {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ sender: sender, message: text }),
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (resp) {
      return resp.json().then(function (body) { return { status: resp.status, ok: resp.ok, body: body }; },
        function () { return { status: resp.status, ok: false, body: null }; });
    }).then(function (r) {
      clearTimeout(timer);
      waiting.remove();
      if (timedOut) { throw new Error("timeout"); }  // no AbortController: the late answer is dropped
      var detail = r.body && typeof r.body.detail === "string" ? r.body.detail : null;
      if (r.ok && r.body && Array.isArray(r.body.messages)) {
        answered(r.body);
      } else if (r.status === 429 || r.status >= 500 || r.status === 0) {
        failed(text, shownAs, detail || S.error, o.typed);
      } else {  // refused as sent (too long, empty): say why and give the words back to change
        record({ from: "bot", m: { type: "text", text: detail || S.error } });
        if (o.typed && !input.value) { input.value = text; }
      }
    }).catch(function () {
      clearTimeout(timer);
      waiting.remove();
      var offline = navigator.onLine === false;
      if (offline) { showOffline(true); }
      failed(text, shownAs, timedOut ? S.timeout : (offline ? S.offline : S.error), o.typed);
    }).then(function () {
      busy = false;
      sendBtn.disabled = false;
      if (panel.hidden) { return; }
      var retry = log.querySelector(".bw-retry");
      if (retry && !input.value) { retry.focus(); } else { input.focus(); }
    });
  }
  function answered(body) {
    body.messages.forEach(function (m) { record({ from: "bot", m: m }); });
    var meta = body.meta || {};
    if (meta.degraded) { record({ from: "note", text: S.degraded_note }); }
    if (typeof meta.feedback_turn === "number" && meta.feedback_turn > 0) {
      record({ from: "feedback", turn: meta.feedback_turn, value: null });
    }
    if (meta.route && meta.route.kind === "handoff" && typeof meta.handoff_key === "string" && meta.handoff_key) {
      startHandoffPoll(meta.handoff_key);
    } else if ((meta.handoff_state === "waiting" || meta.handoff_state === "passed") && handoff && handoff.key) {
      startHandoffPoll();  // still with a person (asked again, or wrote while waiting): keep polling
    }
  }
  function showOffline(on) { offlineNote.hidden = !on; }

  // Handoff hook: while a person is talking to an agent, poll the gateway's inbox for the agent's replies.
  // GET /api/handoffs/inbox/{sender}?after=ID with X-Handoff-Key (the key in the chat reply of the turn that
  // opened the handoff) -> [{"id","text","from":"agent","at"}]; a 404 means no handoff for that key (or no
  // inbox on this gateway), so polling stops quietly.
  var pollTimer = null;
  function startHandoffPoll(key) {
    var h = handoff || {};
    handoff = { open: true, key: key || h.key, after: h.after || "", since: key ? Date.now() : (h.since || Date.now()) };
    if (!handoff.key) { stopHandoffPoll(true); return; }  // stored by a version before keys: nothing to poll
    save("handoff", handoff);
    waitingNote.hidden = false;
    if (!pollTimer) { pollTimer = setInterval(pollHandoff, HANDOFF_POLL_MS); }
  }
  // forget: the gateway knows no handoff for the key; otherwise (idle) keep the key, so later words still
  // reach the agent's thread
  function stopHandoffPoll(forget) {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    waitingNote.hidden = true;
    if (forget || !handoff) { handoff = null; } else { handoff.open = false; }
    save("handoff", handoff);
  }
  function pollHandoff() {
    if (!handoff || !handoff.key) { stopHandoffPoll(true); return; }
    if (Date.now() - (handoff.since || 0) > HANDOFF_IDLE_MS) { stopHandoffPoll(false); return; }
    var url = API + "/api/handoffs/inbox/" + encodeURIComponent(sender) + (handoff.after ? "?after=" + encodeURIComponent(handoff.after) : "");
    fetch(url, { headers: { "X-Handoff-Key": handoff.key } }).then(function (resp) {
      if (resp.status === 404 || resp.status === 410) { stopHandoffPoll(true); return null; }
      return resp.ok ? resp.json() : null;
    }).then(function (items) {
      if (!Array.isArray(items)) { return; }
      var ended = false;
      items.forEach(function (it) {
        if (!it || typeof it.text !== "string") { return; }
        // "system": the conversation went back to the bot (the agent ended it, or nobody replied in time)
        if (it.from === "system") { record({ from: "note", text: it.text }); ended = true; }
        else { record({ from: "agent", text: it.text }); }
        if (it.id !== undefined && handoff) { handoff.after = String(it.id); handoff.since = Date.now(); }
      });
      if (handoff) { save("handoff", handoff); }
      if (ended) { stopHandoffPoll(false); }  // keep the key: a later 转人工 in this conversation keeps it
    }).catch(function () { /* try again on the next tick */ });
  }

  // ---- open, close, large text, clear, keyboard ----
  function fullScreen() { return !!(window.matchMedia && window.matchMedia(FULL_SCREEN).matches); }
  function setOpen(open, focus) {
    panel.hidden = !open;
    bubble.hidden = open;
    bubble.setAttribute("aria-expanded", open ? "true" : "false");
    panel.setAttribute("aria-modal", open && fullScreen() ? "true" : "false");
    save("open", open);
    if (open) { log.scrollTop = log.scrollHeight; if (focus) { input.focus(); } }
    else if (focus) { bubble.focus(); }
  }
  function setLarge(on, fromPage) {
    root.classList.toggle("bw-large", on);
    largeBtn.setAttribute("aria-pressed", on ? "true" : "false");
    save("large", on);
    if (!fromPage) {
      try { window.dispatchEvent(new CustomEvent(LARGE_EVENT, { detail: { on: on, from: "widget" } })); } catch (e) { /* old browser */ }
    }
  }
  // 清除记录: the conversation, its sender id and any handoff leave this browser; the next words start afresh
  function clearAll() {
    stopHandoffPoll(true);
    ["transcript", "sender", "handoff", "open"].forEach(forget);
    transcript = [];
    sender = newSender();
    save("sender", sender);
    save("open", true);
    clearFailures();
    while (log.firstChild) { log.removeChild(log.firstChild); }
    log.appendChild(el("p", { "class": "bw-note", role: "status" }, S.cleared));
    appendWelcome();
    input.value = "";
    input.focus();
  }
  // Tab stays inside the panel while it covers the whole screen (phones); on wider screens it is a side panel
  function trapTab(e) {
    if (e.key !== "Tab" || !fullScreen()) { return; }
    var nodes = Array.prototype.filter.call(
      panel.querySelectorAll("button, a[href], input, [tabindex='0']"),
      function (n) { return !n.disabled && n.getClientRects().length > 0; }
    );
    if (!nodes.length) { return; }
    var first = nodes[0], last = nodes[nodes.length - 1];
    if (e.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
      e.preventDefault(); last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault(); first.focus();
    }
  }
  bubble.addEventListener("click", function () { setOpen(true, true); });
  skip.addEventListener("click", function (e) { e.preventDefault(); setOpen(true, true); });
  closeBtn.addEventListener("click", function () { setOpen(false, true); });
  largeBtn.addEventListener("click", function () { setLarge(!root.classList.contains("bw-large")); });
  clearBtn.addEventListener("click", clearAll);
  humanBtn.addEventListener("click", function () { send("/request_human", S.handoff_payload_text); });
  complainBtn.addEventListener("click", function () { send("/file_complaint", S.complaint_payload_text); });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { setOpen(false, true); return; }
    trapTab(e);
  });
  // a guide opened from an answer (a new tab) starts with the panel closed, not covering the guide
  function leaving(e) { if (e.target && e.target.closest && e.target.closest("a[href]")) { save("open", false); } }
  log.addEventListener("click", leaving);
  log.addEventListener("auxclick", leaving);
  window.addEventListener(LARGE_EVENT, function (e) {
    if (e.detail && e.detail.from !== "widget") { setLarge(e.detail.on === true, true); }
  });
  window.addEventListener("storage", function (e) {
    if (e.key === KEY + "large") { setLarge(load("large", false) === true, true); }
  });
  window.addEventListener("offline", function () { showOffline(true); });
  window.addEventListener("online", function () { showOffline(false); });
  if (window.matchMedia) {
    var mq = window.matchMedia(FULL_SCREEN);
    var onResize = function () { panel.setAttribute("aria-modal", !panel.hidden && mq.matches ? "true" : "false"); };
    if (mq.addEventListener) { mq.addEventListener("change", onResize); } else if (mq.addListener) { mq.addListener(onResize); }
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    send(text, null, { typed: true });
  });

  function start() {
    document.body.insertBefore(skip, document.body.firstChild);
    document.body.appendChild(root);
    if (!transcript.length) { appendWelcome(); }
    transcript.forEach(renderEntry);
    setLarge(load("large", false) === true, true);
    showOffline(navigator.onLine === false);
    setOpen(load("open", false) === true, false);
    if (handoff && handoff.open) { startHandoffPoll(); }
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
