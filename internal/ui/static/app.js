// fusion web UI: the only script. It shows the copy buttons of record values
// and copies a value's canonical form (data-copy) to the clipboard. Pages
// work without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
    if (!navigator.clipboard) return;
    b.hidden = false;
    var label = b.textContent;
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(b.dataset.copy).then(function () {
        b.textContent = b.dataset.copied || label;
        setTimeout(function () { b.textContent = label; }, 1500);
      });
    });
  });
});
