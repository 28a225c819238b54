// Marketing pages: copy a text, put a description draft into the remarks, and the brand kit's
// live preview (colours and font follow the form as it is typed in).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copy);
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.value || source.textContent).then(function () {
          copy.textContent = "Copied";
        });
      } else if (source) {
        source.select();
        document.execCommand("copy");
      }
      return;
    }
    var use = event.target.closest("[data-draft-use]");
    if (use) {
      var draft = document.getElementById(use.dataset.draftUse);
      var target = document.getElementById(use.dataset.draftTarget);
      if (draft && target) {
        target.value = draft.value;
        target.focus();
        target.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
  });

  var FONTS = {
    "Helvetica": "Helvetica, Arial, sans-serif",
    "Times-Roman": "'Times New Roman', Times, serif",
    "Courier": "'Courier New', Courier, monospace",
  };
  var HEX = /^#[0-9a-fA-F]{6}$/;

  function readable(hex) {
    var r = parseInt(hex.slice(1, 3), 16) / 255;
    var g = parseInt(hex.slice(3, 5), 16) / 255;
    var b = parseInt(hex.slice(5, 7), 16) / 255;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.6 ? "#ffffff" : "#1a202c";
  }

  function paint(preview) {
    var form = document.getElementById(preview.dataset.brandForm);
    if (!form) {
      return;
    }
    var primary = form.elements.brand_primary_color.value;
    var accent = form.elements.brand_accent_color.value;
    var font = form.elements.brand_font.value;
    if (HEX.test(primary)) {
      preview.style.backgroundColor = primary;
      preview.style.color = readable(primary);
    }
    var scope = preview.closest(".card") || preview;
    if (HEX.test(primary)) {
      scope.querySelectorAll("[data-swatch=primary]").forEach(function (swatch) {
        swatch.style.backgroundColor = primary;
      });
    }
    if (HEX.test(accent)) {
      scope.querySelectorAll("[data-swatch=accent]").forEach(function (swatch) {
        swatch.style.backgroundColor = accent;
        swatch.style.color = readable(accent);
      });
    }
    preview.style.fontFamily = FONTS[font] || FONTS.Helvetica;
  }

  function paintAll() {
    // Colours written by the server as data attributes (the CSP allows no inline style).
    document.querySelectorAll("[data-background]").forEach(function (element) {
      if (HEX.test(element.dataset.background)) {
        element.style.backgroundColor = element.dataset.background;
      }
    });
    document.querySelectorAll("[data-brand-form]").forEach(paint);
  }

  document.addEventListener("input", function (event) {
    if (event.target.form && event.target.form.id) {
      document
        .querySelectorAll('[data-brand-form="' + event.target.form.id + '"]')
        .forEach(paint);
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.form && event.target.form.id) {
      document
        .querySelectorAll('[data-brand-form="' + event.target.form.id + '"]')
        .forEach(paint);
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", paintAll);
  } else {
    paintAll();
  }
})();
