// An import batch's page follows its progress until the worker has finished it.
(function () {
  "use strict";
  const root = document.getElementById("batch");
  if (!root || root.dataset.finished === "1") return;
  const bar = document.getElementById("batch-bar");
  function poll() {
    fetch(root.dataset.statusUrl, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        if (data.finished && data.next_url) {
          // A finished preview is read on its own page.
          window.location.assign(data.next_url);
          return;
        }
        bar.style.width = data.percent + "%";
        bar.textContent = data.percent + "%";
        bar.parentElement.setAttribute("aria-valuenow", data.percent);
        bar.classList.toggle("bg-danger", data.status === "failed");
        document.getElementById("batch-status").textContent = data.status_label;
        document.getElementById("batch-rows").textContent = Number(data.rows).toLocaleString();
        document.getElementById("batch-message").textContent = data.message;
        if (data.errors.length) {
          const list = document.getElementById("batch-error-list");
          list.replaceChildren(...data.errors.map((e) => {
            const li = document.createElement("li");
            li.textContent = e;
            return li;
          }));
          document.getElementById("batch-errors").classList.remove("d-none");
        }
        if (data.warnings && data.warnings.length) {
          const list = document.getElementById("batch-warning-list");
          list.replaceChildren(...data.warnings.map((w) => {
            const li = document.createElement("li");
            li.textContent = w;
            return li;
          }));
          document.getElementById("batch-warnings").classList.remove("d-none");
        }
        if (!data.finished) setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 3000));
  }
  setTimeout(poll, 500);
})();
