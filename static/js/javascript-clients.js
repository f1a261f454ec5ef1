// Lesson 26: the notes demo through fetch(), and a cross-site fetch for SameSite.
// Progressive enhancement: the forms post without it; the script adds buttons.
(function () {
  "use strict";
  var demo = document.getElementById("javascript-demo");
  if (!demo) {
    return;
  }
  var addUrl = demo.getAttribute("data-add-url");
  var clearUrl = demo.getAttribute("data-clear-url");
  var notesUrl = demo.getAttribute("data-notes-url");
  var csrfCookieName = demo.getAttribute("data-csrf-cookie-name");
  var output = document.getElementById("fetch-output");
  var list = document.getElementById("notes-list");

  // Django's docs show both ways: the csrftoken cookie, or the form's hidden
  // field (the only way when CSRF_COOKIE_HTTPONLY is True).
  function csrfToken() {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      var pair = pairs[i].split("=");
      if (pair[0] === csrfCookieName) {
        return decodeURIComponent(pair.slice(1).join("="));
      }
    }
    var field = document.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function show(label, response, data) {
    output.textContent = label + "\n" + response.status + " " + response.statusText +
      "\n" + JSON.stringify(data, null, 2);
    if (data.notes) {
      list.textContent = "";
      data.notes.forEach(function (note) {
        var item = document.createElement("li");
        item.textContent = note;
        list.appendChild(item);
      });
    }
  }

  // Show what the server answered: the status and its JSON.
  function report(label, request) {
    return request
      .then(function (response) {
        return response.json().then(function (data) {
          show(label, response, data);
        });
      })
      .catch(function (error) {
        output.textContent = label + "\n" + error;
      });
  }

  function jsonHeaders() {
    return { "Content-Type": "application/json", "X-CSRFToken": csrfToken() };
  }

  // The forms still post without a script; these buttons send the same by fetch().
  var addButton = document.getElementById("add-with-fetch");
  addButton.hidden = false;
  addButton.addEventListener("click", function () {
    var field = document.getElementById("id_note");
    var request = fetch(addUrl, {
      method: "POST",
      credentials: "same-origin", // the default: cookies go to this origin only
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ note: field.value }),
    });
    report("POST " + addUrl, request);
    field.value = "";
  });
  var clearButton = document.getElementById("clear-with-fetch");
  clearButton.hidden = false;
  clearButton.addEventListener("click", function () {
    var request = fetch(clearUrl, { method: "POST", headers: jsonHeaders(), body: "{}" });
    report("POST " + clearUrl, request);
  });

  // Mistakes on purpose: each answer is a JSON refusal, never a 500.
  var mistakes = {
    "send-no-token": ['{"note": "no token"}', { "Content-Type": "application/json" }],
    "send-bad-json": ["{note: not json", null],
    "send-wrong-type": ['{"note": 42}', null],
  };
  Object.keys(mistakes).forEach(function (id) {
    var button = document.getElementById(id);
    button.hidden = false;
    button.addEventListener("click", function () {
      var headers = mistakes[id][1] || jsonHeaders();
      var request = fetch(addUrl, { method: "POST", headers: headers, body: mistakes[id][0] });
      report(button.textContent, request);
    });
  });

  var reload = document.getElementById("reload-notes");
  reload.hidden = false;
  reload.addEventListener("click", function () {
    report("GET " + notesUrl, fetch(notesUrl));
  });

  // SameSite: ask the other site's echo which cookies arrived, both ways.
  var crossButton = document.getElementById("cross-site-fetch");
  var crossOutput = document.getElementById("cross-site-output");
  if (crossButton) {
    var echoUrl = crossButton.getAttribute("data-echo-url");
    crossButton.hidden = false;
    crossButton.addEventListener("click", function () {
      var modes = ["same-origin", "include"];
      var lines = [];
      var next = function (index) {
        if (index === modes.length) {
          crossOutput.textContent = lines.join("\n");
          return;
        }
        fetch(echoUrl, { credentials: modes[index] })
          .then(function (response) {
            return response.json();
          })
          .then(function (data) {
            var sent = Object.keys(data.arrived).filter(function (name) {
              return data.arrived[name];
            });
            lines.push('credentials: "' + modes[index] + '" sent ' +
              (sent.length ? sent.join(", ") : "no cookie") +
              " (Sec-Fetch-Site: " + data.fetch_site + ")");
          })
          .catch(function (error) {
            lines.push('credentials: "' + modes[index] + '": ' + error);
          })
          .then(function () {
            next(index + 1);
          });
      };
      crossOutput.textContent = "Asking " + echoUrl + " …";
      next(0);
    });
  }
})();
