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
  var cookies = document.cookie;
  var names = cookies.split(";").map(function (pair) {
    return pair.split("=")[0].trim();
  });
  box.textContent = cookies === "" ? "(empty: script can read no cookie here)" : cookies;
  verdict.textContent = names.indexOf(sessionName) === -1
    ? sessionName + " is not there: HttpOnly hides it from script."
    : sessionName + " is readable by script: HttpOnly is off.";
})();
