// Small page behaviour that is not worth an htmx round trip. Everything works without it.
(function () {
  "use strict";

  // Ask before a destructive plain form is sent (htmx forms use hx-confirm instead).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !form.hasAttribute("hx-post") && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // On a phone the filters start folded so the results come first, unless some are in use.
  if (window.matchMedia("(max-width: 1000px)").matches) {
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (panel) {
      if (!panel.querySelector(".badge")) {
        panel.open = false;
      }
    });
  }

  // Filter forms leave empty fields out of the request, so the shared URL stays short.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.hasAttribute("data-drop-empty")) {
      return;
    }
    var formData = event.detail.formData;
    if (!formData) {
      return;
    }
    var empty = [];
    formData.forEach(function (value, key) {
      if (value === "") {
        empty.push(key);
      }
    });
    empty.forEach(function (key) {
      formData.delete(key);
    });
  });

  // Inline event handlers are refused by the Content-Security-Policy: these stand in for them.
  document.addEventListener("focusin", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) {
      event.target.select();
    }
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
      field.form.submit();
    }
  });

  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  });
})();
