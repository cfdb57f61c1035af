// grader review: the keyboard, the live score and the rubric-item dialog. Plain JavaScript, no build.
// Every page works without it (forms post normally); this only makes grading fast.
"use strict";

(function () {
  const $ = (sel) => document.querySelector(sel);
  const typing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.isContentEditable);
  const csrf = () => ($("input[name=csrf]") || {}).value || "";

  // the TA-name form goes back to the page it was sent from
  document.querySelectorAll("input[data-here]").forEach((el) => { el.value = location.pathname + location.search; });

  function flash(text) {
    let el = $("#flash");
    if (!el) { el = document.createElement("div"); el.id = "flash"; document.body.appendChild(el); }
    el.textContent = text;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => el.remove(), 2500);
  }

  // ------------------------------------------------------------ the parts list
  const parts = $("#parts");
  if (parts) {
    const rows = Array.from(parts.querySelectorAll("tbody tr"));
    let at = Math.max(0, rows.findIndex((r) => !r.classList.contains("cleared") && !r.classList.contains("empty")));
    const show = () => rows.forEach((r, i) => r.classList.toggle("selected", i === at));
    show();
    document.addEventListener("keydown", (ev) => {
      if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (ev.key === "j" || ev.key === "ArrowDown") { at = Math.min(rows.length - 1, at + 1); show(); ev.preventDefault(); }
      else if (ev.key === "k" || ev.key === "ArrowUp") { at = Math.max(0, at - 1); show(); ev.preventDefault(); }
      else if (ev.key === "Enter" && rows[at]) { location.assign(rows[at].dataset.href); ev.preventDefault(); }
    });
  }

  // ------------------------------------------------------------ a part's queue is cleared
  const done = $("#done");
  if (done) {
    document.addEventListener("keydown", (ev) => {
      if (!typing(ev.target) && ev.key === "Enter") { location.assign(done.dataset.next); ev.preventDefault(); }
      if (!typing(ev.target) && ev.key === "b") location.assign("/");
    });
  }

  // ------------------------------------------------------------ one grading screen
  const main = $("#grade");
  if (!main) return;
  const state = JSON.parse(main.dataset.state);

  // the student's own files come after the screen: reading a PDF again must not hold the TA up
  const source = $("#source");
  fetch(source.dataset.src, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`${r.status}`))))
    .then((html) => { source.innerHTML = html; })  // server-rendered and escaped by the template
    .catch((e) => { source.querySelector("p").textContent = `The student's files could not be shown (${e.message}).`; });
  const form = $("#decision");
  const scoreInput = $("#score");
  const points = {};
  state.items.forEach((i) => { points[i.id] = i.points; });
  let base = state.base;

  const rows = () => Array.from(document.querySelectorAll("#items li"));
  const applied = () => rows().filter((li) => li.querySelector("input").checked).map((li) => li.dataset.item);
  const quarter = (v) => Math.round(v * 4) / 4;
  const clamp = (v) => Math.min(state.max, Math.max(0, quarter(v)));
  const sum = (ids) => ids.reduce((total, id) => total + (points[id] || 0), 0);

  function refresh() {
    rows().forEach((li) => li.classList.toggle("on", li.querySelector("input").checked));
    scoreInput.value = String(clamp(base + sum(applied())));
  }
  function setItems(ids) {
    rows().forEach((li) => { li.querySelector("input").checked = ids.includes(li.dataset.item); });
  }
  function toggle(n) {
    const li = rows()[n - 1];
    if (!li) return;
    const box = li.querySelector("input");
    box.checked = !box.checked;
    refresh();
  }
  function setScore(value) { setItems([]); base = value; refresh(); }

  form.addEventListener("change", (ev) => { if (ev.target.name === "item") refresh(); });
  scoreInput.addEventListener("input", () => {
    const typed = parseFloat(scoreInput.value.replace(",", "."));
    if (!Number.isNaN(typed)) base = typed - sum(applied());  // the items keep adjusting what was typed
  });
  $("#full").addEventListener("click", () => setScore(state.max));
  $("#zero").addEventListener("click", () => setScore(0));
  $("#reset").addEventListener("click", () => { setItems(state.suggested_applied); base = state.suggested_base; refresh(); });

  // a rubric item added or edited here is saved at once, for everyone (as in Gradescope)
  const dialog = $("#item-dialog");
  function openItem(li) {
    $("#item-id").value = li ? li.dataset.item : "";
    $("#item-title").textContent = li ? "Edit this item for everyone it was given to" : `Add a rubric item to ${state.part}`;
    $("#item-points").value = li ? points[li.dataset.item] : "";
    $("#item-label").value = li ? li.querySelector(".msg").textContent : "";
    dialog.showModal();
    $("#item-points").focus();
  }
  $("#add-item").addEventListener("click", () => openItem(null));
  document.querySelectorAll("#items button.edit").forEach((b) => b.addEventListener("click", () => openItem(b.closest("li"))));
  $("#item-form").addEventListener("submit", async (ev) => {
    if (ev.submitter && ev.submitter.value === "cancel") return;
    ev.preventDefault();
    const id = $("#item-id").value;
    const body = new URLSearchParams({ csrf: csrf(), part: state.part, id, points: $("#item-points").value, label: $("#item-label").value });
    const response = await fetch(id ? "/items/edit" : "/items", { method: "POST", body, headers: { "X-Grader-CSRF": csrf() } });
    const data = await response.json();
    if (!response.ok) { flash(data.error || "not saved"); return; }
    dialog.close();
    if (id) {
      const li = document.querySelector(`#items li[data-item="${CSS.escape(id)}"]`);
      points[id] = data.points;
      li.querySelector(".msg").textContent = data.label;
      const pts = li.querySelector(".pts");
      pts.textContent = (data.points > 0 ? "+" : "") + data.points;
      pts.className = "pts " + (data.points > 0 ? "up" : data.points < 0 ? "down" : "");
      flash(`Item changed for ${data.decisions} decision${data.decisions === 1 ? "" : "s"}`);
    } else {
      points[data.id] = data.points;
      const li = document.createElement("li");
      li.dataset.item = data.id;
      const label = document.createElement("label");
      const kbd = document.createElement("kbd");
      kbd.textContent = data.number < 10 ? String(data.number) : "";
      const box = document.createElement("input");
      Object.assign(box, { type: "checkbox", name: "item", value: data.id, checked: true });
      const pts = document.createElement("span");
      pts.className = "pts " + (data.points > 0 ? "up" : data.points < 0 ? "down" : "");
      pts.textContent = (data.points > 0 ? "+" : "") + data.points;
      const msg = document.createElement("span");
      msg.className = "msg";
      msg.textContent = data.label;
      label.append(kbd, box, pts, msg);
      li.append(label);
      $("#items").append(li);
    }
    refresh();
  });

  function submitForm(el) { if (el) (el.requestSubmit ? el.requestSubmit() : el.submit()); }
  let editing = false;  // "e" then a number: edit that item

  document.addEventListener("keydown", (ev) => {
    if (dialog.open) return;
    const target = ev.target;
    if (typing(target)) {
      if (ev.key === "Escape") { target.blur(); ev.preventDefault(); }
      else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && target.form === form) { submitForm(form); ev.preventDefault(); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const key = ev.key;
    if (/^[1-9]$/.test(key)) {
      if (editing) { editing = false; const li = rows()[Number(key) - 1]; if (li) openItem(li); }
      else toggle(Number(key));
    } else if (key === "Enter") submitForm(form);
    else if (key === "j" || key === "ArrowRight") { const a = $("#next"); if (a) location.assign(a.href); }
    else if (key === "k" || key === "ArrowLeft") { const a = $("#prev"); if (a) location.assign(a.href); }
    else if (key === "f") setScore(state.max);
    else if (key === "z") setScore(0);
    else if (key === "r" || key === "0") $("#reset").click();
    else if (key === "s") { scoreInput.focus(); scoreInput.select(); }
    else if (key === "c") $("#comment").focus();
    else if (key === "a") openItem(null);
    else if (key === "e") { editing = true; flash("Edit which item? Press its number"); }
    else if (key === "/") $("#search").focus();
    else if (key === "x") submitForm($("#split-all"));
    else if (key === "u") submitForm($("#withdraw"));
    else if (key === "t") { const d = $("details.statement"); if (d) d.open = !d.open; }
    else if (key === "?") { const d = $("#keys"); d.open = !d.open; }
    else if (key === "b" || key === "Escape") location.assign("/");
    else return;
    ev.preventDefault();
  });
  refresh();
})();
