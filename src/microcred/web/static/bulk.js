// The batch page of the console's bulk issuance, enhanced: while the batch is queued or being issued, its status
// region (#progress, role=status) is refreshed from the page every few seconds, and a button stops or restarts
// the updates (WCAG 2.2.2). Without script the region's "Refresh progress" link does the same by hand.
(function () {
  "use strict";
  var region = document.getElementById("progress");
  if (!region || region.getAttribute("data-poll") !== "1" || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = 3000;
  var timer = null;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button button-secondary";
  button.id = "progress-updates";
  button.setAttribute("aria-controls", "progress");

  function label() {
    button.textContent = region.getAttribute(timer === null ? "data-resume" : "data-pause");
  }

  function finished() {
    window.clearTimeout(timer);
    timer = null;
    button.remove();
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = region.getAttribute("data-final");
    var line = document.createElement("p");
    line.appendChild(link);
    region.appendChild(line);
  }

  function poll() {
    window.fetch(window.location.pathname, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new window.DOMParser().parseFromString(html, "text/html").getElementById("progress");
        if (!fresh || timer === null) { return; }
        region.innerHTML = fresh.innerHTML;
        if (fresh.getAttribute("data-poll") === "1") { timer = window.setTimeout(poll, every); } else { finished(); }
      })
      .catch(function () { if (timer !== null) { timer = window.setTimeout(poll, every * 2); } });
  }

  button.addEventListener("click", function () {
    if (timer === null) { timer = window.setTimeout(poll, 0); } else { window.clearTimeout(timer); timer = null; }
    label();
  });
  timer = window.setTimeout(poll, every);
  label();
  region.insertAdjacentElement("afterend", button);
})();
