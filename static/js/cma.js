// The CMA re-run form: unticked comparables join the excluded ids; a typed id joins the added ones.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "cma-rerun") {
      return;
    }
    var excluded = document.getElementById("cma-exclude");
    var exclude = new Set(excluded.value.split(",").filter(Boolean));
    document.querySelectorAll('input[name="keep"]').forEach(function (box) {
      if (!box.checked) {
        exclude.add(box.value);
      }
      box.disabled = true;
    });
    excluded.value = Array.from(exclude).join(",");
    var add = document.getElementById("cma-add");
    var include = document.getElementById("cma-include");
    if (add.value.trim()) {
      include.value = [include.value, add.value.trim()].filter(Boolean).join(",");
    }
    add.disabled = true;
  });
})();
