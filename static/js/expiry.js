// Lesson 10: tick the expiry countdown once a second.
// Progressive enhancement only: the server already wrote the remaining
// seconds and the deadline, and a reload shows the truth. Counting from the
// page load (not the clock) keeps a wrong computer clock out of it.
(function () {
  "use strict";
  var remaining = document.getElementById("expiry-remaining");
  if (!remaining) {
    return;
  }
  var total = parseInt(remaining.getAttribute("data-remaining"), 10);
  var loaded = Date.now();
  function tick() {
    var left = Math.max(0, total - Math.floor((Date.now() - loaded) / 1000));
    remaining.textContent = String(left);
    if (left > 0) {
      window.setTimeout(tick, 1000);
    } else {
      var over = document.getElementById("expiry-over");
      if (over) {
        over.hidden = false;
      }
    }
  }
  if (total > 0) {
    tick();
  }
})();
