// The earner's share page, enhanced: a "Copy the address" button beside the public address and a "Copy the
// snippet" button beside the embed snippet. A click copies the field's text (navigator.clipboard), says "Copied"
// in a live region beside the button, and tells the server what was shared (POST <credential>/shared, channel=link or
// embed, with the page's CSRF token, same origin) so that the console counts the share: counts only, never who.
// Without script (or without a clipboard) no button is shown and the fields stay selectable, so nothing breaks.
(function () {
  "use strict";
  var tools = document.getElementById("share-tools");
  if (!tools || !window.fetch || !window.URLSearchParams || !navigator.clipboard || !navigator.clipboard.writeText) {
    return;
  }
  var endpoint = tools.getAttribute("data-shared-url");
  var token = tools.getAttribute("data-csrf");

  function text(name) {
    return tools.getAttribute("data-text-" + name) || "";
  }

  function tell(channel) {
    var body = new URLSearchParams();
    body.set("csrf_token", token);
    body.set("channel", channel);
    // best effort: the copy has happened whether or not the count is stored
    return window.fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: body.toString()
    }).catch(function () { return null; });
  }

  function enhance(root) {
    var field = document.getElementById(root.getAttribute("data-copy-from"));
    var channel = root.getAttribute("data-copy-channel");
    if (!field || !channel) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-secondary copy-button";
    button.textContent = root.getAttribute("data-copy-label") || "";
    button.setAttribute("data-copy", channel);
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var timer = null;
    function say(message) {
      if (timer) { window.clearTimeout(timer); }
      status.textContent = "";
      // a fresh text each time, so a second "Copied" is announced too
      window.setTimeout(function () { status.textContent = message; }, 50);
      timer = window.setTimeout(function () { status.textContent = ""; }, 6000);
    }
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        say(text("copied"));
        tell(channel);
      }, function () {
        field.focus();
        field.select();
        say(text("failed"));
      });
    });
    var line = document.createElement("p");
    line.className = "copy-line";
    line.appendChild(button);
    line.appendChild(document.createTextNode(" "));
    line.appendChild(status);
    root.appendChild(line);
  }

  Array.prototype.forEach.call(tools.querySelectorAll("[data-copy-from]"), enhance);
})();
