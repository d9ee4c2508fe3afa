// The coding page by keyboard: move between answers, press a category's number, and
// the answer is coded without reloading the page. Without this script every button
// is an ordinary form and works the same, one page load at a time.
(function () {
  "use strict";
  const list = document.getElementById("coding-list");
  if (!list) return;
  let cards = Array.from(list.querySelectorAll(".coding-card"));
  let current = 0;

  function focus(index) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(index, cards.length - 1));
    cards.forEach((card, i) => card.classList.toggle("border-primary", i === current));
    cards[current].focus({ preventScroll: false });
  }

  async function send(form, button) {
    const data = new FormData(form);
    data.set(button.name, button.value);
    const response = await fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return false;
    const reply = await response.json();
    const counter = document.getElementById("uncoded-count");
    if (counter && typeof reply.uncoded === "number") {
      counter.textContent = reply.uncoded.toLocaleString();
      const progress = document.querySelector("[data-total]");
      const total = progress ? Number(progress.dataset.total) : 0;
      const coded = document.getElementById("coded-count");
      if (coded && total) coded.textContent = (total - reply.uncoded).toLocaleString();
      const bar = document.getElementById("coded-bar");
      if (bar && total) bar.style.width = `${Math.round(((total - reply.uncoded) * 100) / total)}%`;
    }
    return reply.ok;
  }

  async function code(card, button) {
    const form = card.querySelector(".coding-form");
    if (!form || !button) return;
    if (await send(form, button)) {
      card.classList.add("opacity-50");
      card.setAttribute("data-coded", button.textContent.trim());
      const index = cards.indexOf(card);
      card.remove();
      cards = Array.from(list.querySelectorAll(".coding-card"));
      if (!cards.length) window.location.reload();
      else focus(index);
    } else {
      form.requestSubmit(button);
    }
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[name=code]");
    if (!button) return;
    event.preventDefault();
    code(button.closest(".coding-card"), button);
  });
  list.addEventListener("focusin", (event) => {
    const card = event.target.closest(".coding-card");
    if (card) current = cards.indexOf(card);
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.matches("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const card = cards[current];
    if (event.key === "ArrowDown" || event.key === "j") {
      event.preventDefault();
      focus(current + 1);
    } else if (event.key === "ArrowUp" || event.key === "k") {
      event.preventDefault();
      focus(current - 1);
    } else if (/^[1-9]$/.test(event.key) && card) {
      event.preventDefault();
      code(card, card.querySelector(`button[data-key="${event.key}"]`));
    } else if (event.key === "Enter" && card && target.tagName !== "BUTTON") {
      const suggestion = card.querySelector("button[data-first-suggestion]");
      if (suggestion) {
        event.preventDefault();
        code(card, suggestion);
      }
    } else if (event.key === "u" || event.key === "U") {
      const undo = document.getElementById("undo-form");
      if (undo) {
        event.preventDefault();
        undo.submit();
      }
    } else if (event.key === "/") {
      const search = document.getElementById("coding-q");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    }
  });
  focus(0);
})();
