// 来电登记: the item is chosen by name. As the agent types, /console/api/items suggests items; picking one fills
// the hidden item_id; typing again clears it (the server then matches the typed name, or asks to pick one).
(function () {
  "use strict";
  const input = document.getElementById("item_name");
  const hidden = document.getElementById("item_id");
  const list = document.getElementById("item-options");
  const picked = document.getElementById("item-picked");
  if (!input || !hidden || !list) return;
  let timer = null;
  let seq = 0;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function pick(item) {
    hidden.value = item.id;
    input.value = item.name;
    if (picked) picked.textContent = "已选：" + item.name + (item.dept ? "（" + item.dept + "）" : "");
    close();
  }

  function show(items) {
    list.replaceChildren();
    items.forEach((item) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "option");
      b.className = "item-option";
      b.textContent = item.name + (item.dept ? "（" + item.dept + "）" : "");
      b.addEventListener("click", () => pick(item));
      li.appendChild(b);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }

  async function lookup(q) {
    const mine = ++seq;
    try {
      const resp = await fetch("/console/api/items?q=" + encodeURIComponent(q), { credentials: "same-origin" });
      if (!resp.ok || mine !== seq) return;
      const data = await resp.json();
      if (mine === seq) show(data.items || []);
    } catch (e) {
      close();
    }
  }

  input.addEventListener("input", () => {
    hidden.value = "";
    if (picked) picked.textContent = "";
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(() => lookup(q), 150);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
    if (e.key === "ArrowDown" && !list.hidden) {
      const first = list.querySelector("button");
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
})();
