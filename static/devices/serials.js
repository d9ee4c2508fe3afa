// Fills the datalists from devices:serials as the user types (school and status narrow
// it). The URL comes from the script tag's data-url: no inline script (the CSP).
(function () {
  const url = document.currentScript.dataset.url;
  function wire(input, listId, params) {
    if (!input) return;
    const list = document.getElementById(listId);
    let timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        const query = new URLSearchParams(Object.assign({q: input.value.trim()}, params()));
        fetch(url + "?" + query, {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : {results: []}; })
          .then(function (data) {
            list.replaceChildren(...data.results.map(function (row) {
              const option = document.createElement("option");
              option.value = row.serial;
              option.label = row.model;
              return option;
            }));
          });
      }, 150);
    });
  }
  const school = document.getElementById("id_school");
  wire(document.getElementById("id_serial"), "serial-options", function () {
    return school && school.value ? {school: school.value, status: "deployed"} : {status: "deployed"};
  });
  wire(document.getElementById("id_spare_serial"), "spare-options", function () { return {status: "spare"}; });
})();
