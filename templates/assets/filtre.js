// Progressive enhancement: filter a long table as one types. Without JavaScript the
// full table is shown and the filter field stays hidden.
(function () {
  function normalise(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter-table"));
    if (!table) return;
    input.parentElement.hidden = false;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (row) { return normalise(row.textContent); });
    input.addEventListener("input", function () {
      var words = normalise(input.value).split(/\s+/).filter(Boolean);
      rows.forEach(function (row, i) {
        row.hidden = !words.every(function (w) { return texts[i].indexOf(w) !== -1; });
      });
    });
  });
})();
