// Pantau: keyboard triage for the queue and small form helpers. No inline script, no third-party code.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const STATUS_KEYS = { a: "acknowledged", r: "resolved", d: "dismissed" };

  function typing(event) {
    const target = event.target;
    return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  }

  function setupQueue(table) {
    const rows = Array.from(table.querySelectorAll("tr.post-row"));
    const counter = document.getElementById("selected-count");
    const checkAll = document.getElementById("check-all");
    const statusNames = JSON.parse(table.dataset.statusNames || "{}");
    let current = -1;

    function updateCount() {
      if (counter) counter.textContent = String(table.querySelectorAll('input[name="ids"]:checked').length);
    }

    function focusRow(index, scroll) {
      if (!rows.length) return;
      index = Math.max(0, Math.min(rows.length - 1, index));
      if (current >= 0) rows[current].classList.remove("current");
      current = index;
      rows[current].classList.add("current");
      if (scroll === false) return;
      rows[current].scrollIntoView({ block: "nearest" });
      history.replaceState(null, "", "#" + rows[current].id);
    }

    function updateSla(row, sla) {
      // The post's own SLA clock after a status change: drop the overdue flag once nothing is overdue.
      row.dataset.sla = sla.state;
      row.classList.toggle("overdue", sla.state === "overdue");
      const cell = row.querySelector(".sla");
      if (!cell) return;
      if (!["running", "overdue", "breached"].includes(sla.state)) {
        cell.remove();
        return;
      }
      cell.className = "sla sla-" + sla.state;
      if (sla.state !== "overdue") cell.querySelector(".sla-badge")?.remove();
      const text = cell.querySelector(".sla-text");
      if (text) text.textContent = sla.text;
    }

    async function setStatus(row, status) {
      const badge = row.querySelector(".status-cell");
      try {
        const response = await fetch("/api/posts/" + row.dataset.id, {
          method: "PATCH",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify({ status: status }),
        });
        if (!response.ok) throw new Error(String(response.status));
        const result = await response.json();
        const span = document.createElement("span");
        span.className = "badge status-" + result.post.status;
        span.textContent = statusNames[result.post.status] || result.post.status;
        badge.replaceChildren(span);
        updateSla(row, result.post.sla);
        row.classList.add("done");
      } catch (error) {
        badge.textContent = "⚠ " + error.message;
      }
    }

    rows.forEach(function (row, index) {
      row.addEventListener("click", function (event) {
        if (!(event.target instanceof HTMLElement) || event.target.closest("a, button, input")) return;
        focusRow(index);
      });
    });
    table.addEventListener("change", updateCount);
    if (checkAll) {
      checkAll.addEventListener("change", function () {
        table.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = checkAll.checked; });
        updateCount();
      });
    }
    const fromHash = rows.findIndex(function (row) { return "#" + row.id === location.hash; });
    focusRow(fromHash >= 0 ? fromHash : 0, fromHash >= 0);

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "/" && !typing(event)) {
        event.preventDefault();
        document.getElementById("search")?.focus();
        return;
      }
      if (typing(event) || current < 0) return;
      const row = rows[current];
      if (event.key === "j") focusRow(current + 1);
      else if (event.key === "k") focusRow(current - 1);
      else if (event.key === "x") {
        const box = row.querySelector('input[name="ids"]');
        if (box) { box.checked = !box.checked; updateCount(); }
      } else if (STATUS_KEYS[event.key] && table.dataset.canTriage === "1") {
        setStatus(row, STATUS_KEYS[event.key]);
        focusRow(current + 1);
      } else if (event.key === "e") location.href = row.dataset.href + "#labels-form";
      else if (event.key === "o" || event.key === "Enter") location.href = row.dataset.href;
      else if (event.key === "n") document.getElementById("next-page")?.click();
      else return;
      event.preventDefault();
    });
  }

  function setupLabels(form) {
    const boxes = Array.from(form.querySelectorAll('input[name="labels"]'));
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        if (!box.checked) return;
        boxes.forEach(function (other) {
          if (other !== box && (box.dataset.exclusive === "1" || other.dataset.exclusive === "1")) other.checked = false;
        });
      });
    });
    if (location.hash === "#labels-form") boxes[0]?.focus();
  }

  function setupPostKeys() {
    const triage = document.getElementById("triage-form");
    const select = document.getElementById("status-select");
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      if (STATUS_KEYS[event.key] && triage && select) {
        select.value = STATUS_KEYS[event.key];
        const back = triage.querySelector('button[value="queue"]');
        if (back) back.click(); else triage.submit();
      } else if (event.key === "e") {
        document.querySelector('#labels-form input[name="labels"]')?.focus();
      } else if (event.key === "u" || event.key === "Escape") {
        document.getElementById("back-link")?.click();
      } else return;
      event.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const table = document.getElementById("queue-table");
    if (table) setupQueue(table);
    const labels = document.getElementById("labels-form");
    if (labels) setupLabels(labels);
    if (document.body.classList.contains("post-body")) setupPostKeys();
  });
})();
