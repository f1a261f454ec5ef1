// Lesson 17: show what page script can read with document.cookie.
// Progressive enhancement: without JavaScript the page explains instead.
(function () {
  "use strict";
  var box = document.getElementById("document-cookie");
  var verdict = document.getElementById("document-cookie-verdict");
  if (!box || !verdict) {
    return;
  }
  var sessionName = box.getAttribute("data-session-cookie-name");
  // Script cannot tell a hidden cookie from a missing one: the server says
  // whether this browser holds a session cookie (a first visit has none).
  var held = box.getAttribute("data-session-cookie-held") === "true";
  var cookies = document.cookie;
  var names = cookies.split(";").map(function (pair) {
    return pair.split("=")[0].trim();
  });
  box.textContent = cookies === "" ? "(empty: script can read no cookie here)" : cookies;
  if (names.indexOf(sessionName) !== -1) {
    verdict.textContent = sessionName + " is readable by script: HttpOnly is off.";
  } else if (held) {
    verdict.textContent = sessionName + " is not there: HttpOnly hides it from script.";
  } else {
    verdict.textContent = sessionName + " is not there: your browser has no session cookie yet." +
      " Reload this page: the course starts a session once your browser sends back the CSRF cookie.";
  }
})();
