// The 转人工 queue refreshes itself: a small poll every few seconds while the tab is visible. Rows are updated in
// place (a row keeps its element, so keyboard focus stays where it was); the count is announced politely, and only
// when it changes. Text goes in via textContent only.
"use strict";
(function () {
  const EVERY_MS = 5000;
  const $ = (sel, root) => (root || document).querySelector(sel);

  function cell(tr, cls) {
    let td = tr.querySelector("td." + cls);
    if (!td) { td = document.createElement("td"); td.className = cls; tr.appendChild(td); }
    return td;
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href; a.textContent = text;
    return a;
  }

  function same(td, key) {  // skip rewriting a cell whose content did not change (a focused link stays focused)
    if (td.dataset.key === key) return true;
    td.dataset.key = key;
    return false;
  }

  function update(tr, r) {
    tr.dataset.status = r.status;
    tr.classList.toggle("long-wait", r.long_wait);
    const id = cell(tr, "id");
    if (!same(id, r.url)) id.replaceChildren(link(r.url, "#" + r.id));
    const preview = cell(tr, "preview");
    if (!same(preview, r.preview + "|" + r.preview_at)) {
      preview.replaceChildren(link(r.url, r.preview));
      if (r.preview_at) {
        const t = document.createElement("time"); t.className = "muted"; t.textContent = r.preview_at;
        preview.append(" ", t);
      }
    }
    cell(tr, "wait").textContent = r.wait;
    const reason = cell(tr, "reason"); reason.textContent = r.reason_name; reason.dataset.code = r.reason;
    cell(tr, "channel").textContent = r.channel_name;
    const status = cell(tr, "status");
    if (!same(status, r.status)) {
      const b = document.createElement("span"); b.className = "badge"; b.dataset.status = r.status; b.textContent = r.status_name;
      status.replaceChildren(b);
    }
    cell(tr, "assignee").textContent = r.assignee || "—";
    const kase = cell(tr, "case");
    if (!same(kase, r.case_no)) kase.replaceChildren(r.case_no ? link("/console/cases/" + encodeURIComponent(r.case_no), r.case_no) : "—");
  }

  function setup() {
    const table = $("#handoff-queue");
    if (!table) return;
    const body = table.tBodies[0], count = $("#queue-count"), refreshed = $("#queue-refreshed"), empty = $("#queue-empty");
    const url = "/console/handoffs/queue.json" + (table.dataset.status ? "?status=" + encodeURIComponent(table.dataset.status) : "");
    const title = document.title;
    let busy = false;
    const poll = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const resp = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (resp.status === 401) { window.location.href = "/console/login"; return; }
        if (!resp.ok) return;
        const data = await resp.json();
        const have = new Map(Array.from(body.rows).map((tr) => [tr.dataset.id, tr]));
        const keep = new Set();
        let before = null;
        for (const r of data.rows.slice().reverse()) {  // bottom up, so each row goes before the one after it
          const key = String(r.id);
          let tr = have.get(key);
          if (!tr) { tr = document.createElement("tr"); tr.dataset.id = key; }
          update(tr, r);
          if (tr.nextElementSibling !== before || tr.parentNode !== body) body.insertBefore(tr, before);
          before = tr;
          keep.add(key);
        }
        for (const [key, tr] of have) if (!keep.has(key) && !tr.contains(document.activeElement)) tr.remove();
        empty.hidden = data.rows.length > 0;
        if (count.textContent !== data.waiting_text) count.textContent = data.waiting_text;  // announced when changed
        refreshed.textContent = data.refreshed;
        document.title = (data.waiting ? `（${data.waiting}）` : "") + title;
      } catch (e) {
        /* the next poll tries again */
      } finally {
        busy = false;
      }
    };
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
    setInterval(poll, EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", setup);
})();
