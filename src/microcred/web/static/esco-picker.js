// The achievement form's ESCO picker, enhanced: each outcome's "Search ESCO" field becomes a combobox (ARIA 1.2,
// list autocomplete) that searches as you type (GET /taxonomy/search, debounced), lists the concepts of the
// outcome's kind in a listbox (label, type, description excerpt) and adds the one chosen (Enter or a click) to the
// outcome's picked concepts: the same hidden URI fields the form's search step fills without script. Its broader
// groups come from GET /taxonomy/concept. "Remove" takes a concept off without reloading the page. The server
// looks every URI up again when the form is saved: nothing shown here is trusted.
(function () {
  "use strict";
  var form = document.getElementById("achievement-form");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var DELAY = 250;
  var SHOWN = 10;
  var EXCERPT = 160;

  function text(name, values) {
    var value = form.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      value = value.split("%(" + key + ")s").join(String(values[key]));
    });
    return value;
  }

  function kindLabel(kind) {
    return form.getAttribute("data-kind-" + kind) || kind || "";
  }

  function span(className, content, lang) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = content;
    if (lang) { element.setAttribute("lang", lang); }
    return element;
  }

  function excerpt(value) {
    var flat = (value || "").replace(/\s+/g, " ").trim();
    return flat.length <= EXCERPT ? flat : flat.slice(0, EXCERPT - 1).replace(/\s+\S*$/, "") + "…";
  }

  function term(value) {
    return form.getAttribute("data-term-" + value.replace(/\//g, "-")) || value;
  }

  function typeText(concept) {
    var esco = [concept.skill_type, concept.reuse_level].filter(Boolean).map(term).join(", ");
    return kindLabel(concept.ksa) + (esco ? " · " + text("esco", { type: esco }) : "");
  }

  function Picker(root) {
    this.root = root;
    this.index = root.getAttribute("data-outcome");
    this.max = parseInt(root.getAttribute("data-max"), 10) || 8;
    this.prefix = "outcome_" + this.index;
    this.input = document.getElementById(this.prefix + "_query");
    this.kind = document.getElementById(this.prefix + "_kind");
    this.picked = document.getElementById(this.prefix + "_picked");
    this.none = document.getElementById(this.prefix + "_none");
    this.searchButton = root.querySelector("button[value='search:" + this.index + "']");
    this.results = [];
    this.active = -1;
    this.timer = null;
    this.asked = 0;
    if (this.input && this.kind && this.picked) { this.build(); }
  }

  Picker.prototype.build = function () {
    var self = this;
    this.listbox = document.createElement("ul");
    this.listbox.id = this.prefix + "_listbox";
    this.listbox.className = "esco-listbox";
    this.listbox.setAttribute("role", "listbox");
    this.listbox.setAttribute("aria-label", text("listbox"));
    this.listbox.hidden = true;
    this.status = document.createElement("p");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    this.input.parentNode.appendChild(this.listbox);
    this.input.parentNode.appendChild(this.status);
    this.input.setAttribute("role", "combobox");
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-expanded", "false");
    this.input.setAttribute("aria-controls", this.listbox.id);
    this.input.addEventListener("input", function () { self.schedule(); });
    this.input.addEventListener("keydown", function (event) { self.key(event); });
    this.input.addEventListener("blur", function () { window.setTimeout(function () { self.close(); }, 150); });
    this.kind.addEventListener("change", function () { if (self.input.value.trim()) { self.schedule(); } });
    this.listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { self.choose(parseInt(option.getAttribute("data-index"), 10)); }
    });
    this.picked.addEventListener("click", function (event) {
      var button = event.target.closest("button[value^='remove:']");
      if (button) { event.preventDefault(); self.remove(button.closest("li")); }
    });
  };

  Picker.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.search(); }, DELAY);
  };

  Picker.prototype.pickedUris = function () {
    return Array.prototype.map.call(this.picked.querySelectorAll("input[type=hidden]"), function (field) {
      return field.value;
    });
  };

  Picker.prototype.search = function () {
    var self = this;
    var query = this.input.value.trim();
    if (query.length < 2) { this.close(); return; }
    var asked = ++this.asked;
    var params = new window.URLSearchParams({ q: query, limit: "100" });
    window.fetch(form.getAttribute("data-search-url") + "?" + params.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (body) {
        if (asked !== self.asked) { return; }
        var kind = self.kind.value;
        var taken = self.pickedUris();
        self.show(body.results.filter(function (concept) {
          return concept.ksa === kind && taken.indexOf(concept.uri) < 0;
        }).slice(0, SHOWN));
      })
      .catch(function () { if (asked === self.asked) { self.close(); self.say(text("failed")); } });
  };

  Picker.prototype.show = function (results) {
    var self = this;
    this.results = results;
    this.active = -1;
    this.listbox.textContent = "";
    this.input.removeAttribute("aria-activedescendant");
    results.forEach(function (concept, position) {
      var option = document.createElement("li");
      option.id = self.prefix + "_option_" + position;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(position));
      option.appendChild(span("concept-label", concept.label, "en"));
      option.appendChild(span("concept-type", typeText(concept)));
      if (concept.description) { option.appendChild(span("concept-about", excerpt(concept.description), "en")); }
      self.listbox.appendChild(option);
    });
    var open = results.length > 0;
    this.listbox.hidden = !open;
    this.input.setAttribute("aria-expanded", open ? "true" : "false");
    this.say(open ? text("found", { n: results.length }) : text("none"));
  };

  Picker.prototype.close = function () {
    this.listbox.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Picker.prototype.move = function (step) {
    if (!this.results.length) { return; }
    if (this.listbox.hidden) { this.listbox.hidden = false; this.input.setAttribute("aria-expanded", "true"); }
    var options = this.listbox.querySelectorAll("[role=option]");
    if (this.active >= 0) { options[this.active].setAttribute("aria-selected", "false"); }
    this.active = (this.active + step + options.length) % options.length;
    var option = options[this.active];
    option.setAttribute("aria-selected", "true");
    option.scrollIntoView({ block: "nearest" });
    this.input.setAttribute("aria-activedescendant", option.id);
  };

  Picker.prototype.key = function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); this.move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); this.move(-1); }
    else if (event.key === "Escape") {
      if (!this.listbox.hidden) { event.preventDefault(); this.close(); } else { this.input.value = ""; }
    } else if (event.key === "Enter") {
      event.preventDefault();  // never the form's default button (Save) from here
      if (this.active >= 0 && !this.listbox.hidden) { this.choose(this.active); }
      else if (this.searchButton) { this.searchButton.click(); }  // the search step, as without script
    }
  };

  Picker.prototype.say = function (message) {
    var status = this.status;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  };

  Picker.prototype.freeName = function () {
    for (var j = 0; j < this.max; j += 1) {
      if (!form.querySelector("input[name='" + this.prefix + "_concept_" + j + "']")) { return j; }
    }
    return -1;
  };

  Picker.prototype.choose = function (position) {
    var concept = this.results[position];
    if (!concept) { return; }
    var j = this.freeName();
    if (j < 0) { this.close(); this.say(text("full")); return; }
    var item = document.createElement("li");
    item.setAttribute("data-uri", concept.uri);
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = this.prefix + "_concept_" + j;
    field.value = concept.uri;
    item.appendChild(field);
    item.appendChild(span("concept-label", concept.label, "en"));
    item.appendChild(span("concept-type", typeText(concept)));
    if (concept.description) { item.appendChild(span("concept-about", excerpt(concept.description), "en")); }
    var button = document.createElement("button");
    button.type = "submit";
    button.name = "action";
    button.value = "remove:" + this.index + ":" + j;
    button.className = "button button-secondary button-small";
    button.textContent = text("remove");
    button.setAttribute("aria-label", text("remove") + " " + concept.label);
    item.appendChild(button);
    this.picked.appendChild(item);
    this.picked.hidden = false;
    if (this.none) { this.none.hidden = true; }
    this.input.value = "";
    this.close();
    this.say(text("added", { label: concept.label }));
    this.broader(concept.uri, item, button);
  };

  Picker.prototype.broader = function (uri, item, before) {
    var params = new window.URLSearchParams({ uri: uri });
    window.fetch(form.getAttribute("data-concept-url") + "?" + params.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (detail) {
        var groups = (detail.broader || []).map(function (link) { return link.label; });
        if (!groups.length) { return; }
        var line = span("concept-broader", text("broader") + " ");
        line.appendChild(span("", groups.join("; "), "en"));
        item.insertBefore(line, before);
      })
      .catch(function () { return null; });
  };

  Picker.prototype.remove = function (item) {
    var label = item.querySelector(".concept-label");
    item.remove();
    if (!this.picked.querySelector("li")) {
      this.picked.hidden = true;
      if (this.none) { this.none.hidden = false; }
    }
    this.say(text("removed", { label: label ? label.textContent : "" }));
    this.input.focus();
  };

  Array.prototype.forEach.call(form.querySelectorAll(".esco-picker"), function (root) { return new Picker(root); });
})();
