// Drag and drop on the pipeline board. A dropped card is sent to the same endpoint as its move
// buttons (htmx), which answers with the redrawn board; without this script the buttons work.
(function () {
  "use strict";

  var dragged = null;

  function closest(target, selector) {
    return target && target.closest ? target.closest(selector) : null;
  }

  function clearTargets() {
    document.querySelectorAll(".is-drop-target").forEach(function (zone) {
      zone.classList.remove("is-drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = closest(event.target, "[data-move-url]");
    if (!card) {
      return;
    }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
    }
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var zone = closest(event.target, "[data-drop-stage]");
    if (!zone || !dragged) {
      return;
    }
    // Cancelling dragover is what lets the browser drop here.
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!zone.classList.contains("is-drop-target")) {
      clearTargets();
      zone.classList.add("is-drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var zone = closest(event.target, "[data-drop-stage]");
    if (!zone || !dragged) {
      return;
    }
    event.preventDefault();
    clearTargets();
    var card = dragged;
    var stage = zone.getAttribute("data-drop-stage");
    if (stage === card.getAttribute("data-stage")) {
      return;
    }
    card.classList.add("is-moving");
    window.htmx.ajax("POST", card.getAttribute("data-move-url"), {
      source: card,
      target: "#pipeline-board",
      swap: "outerHTML",
      values: { stage: stage },
    });
  });
})();
