// Follows a report pack's worker until both files are ready.
(function () {
  const box = document.getElementById("pack");
  if (!box || box.dataset.finished === "1") return;
  const bar = document.getElementById("pack-bar");
  async function poll() {
    const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const data = await response.json();
      bar.style.width = data.progress + "%";
      bar.textContent = data.progress + "%";
      document.getElementById("pack-status").textContent = data.status_label;
      document.getElementById("pack-step").textContent = data.step;
      if (data.finished) {
        if (data.status === "done") document.getElementById("pack-files").classList.remove("d-none");
        if (data.error) {
          const error = document.getElementById("pack-error");
          error.textContent = data.error;
          error.classList.remove("d-none");
          bar.classList.add("bg-danger");
        }
        return;
      }
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
