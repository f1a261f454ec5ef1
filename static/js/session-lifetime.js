// Lesson 24: count down to the end of the session and warn before it.
// Progressive enhancement only: the server wrote the deadline into the page,
// the "Stay signed in" button works without this script, and only the
// server ends a session. Counting from the page load (not the clock) keeps a
// wrong computer clock out of it.
(function () {
  "use strict";
  var remaining = document.getElementById("lifetime-remaining");
  var warning = document.getElementById("lifetime-warning");
  if (!remaining || !warning) {
    return;
  }
  var total = parseInt(remaining.getAttribute("data-remaining"), 10);
  var warnAt = parseInt(remaining.getAttribute("data-warn"), 10);
  var idle = remaining.getAttribute("data-limit") === "idle";
  var loaded = Date.now();
  var asMade = document.getElementById("lifetime-as-made");
  if (asMade) {
    asMade.hidden = true; // the count below is live now
  }
  function say(text) {
    if (warning.textContent !== text) {
      warning.textContent = text;
    }
    warning.hidden = false;
  }
  function tick() {
    var left = Math.max(0, total - Math.floor((Date.now() - loaded) / 1000));
    remaining.textContent = String(left);
    if (left === 0) {
      say("Time is up. The server ends this session on your next request: reload to see it.");
      return;
    }
    if (left <= warnAt) {
      say(idle
        ? "Your session ends in less than " + warnAt + " seconds without activity. Press \u201cStay signed in\u201d to keep it."
        : "The absolute cap ends your session in less than " + warnAt + " seconds. Staying active cannot stop it.");
    }
    window.setTimeout(tick, 1000);
  }
  if (total >= 0) {
    tick();
  }
})();
