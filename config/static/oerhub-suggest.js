/* As-you-type suggestions for the site's search boxes (config/templates/_oerhub_search_box.html).
 *
 * The ARIA 1.2 combobox pattern: the input (role=combobox, aria-autocomplete=list) owns a
 * listbox of options; Up/Down move through them (aria-activedescendant), Enter opens the one
 * chosen (else submits the search), Escape closes the list. It asks, 200 ms after the last
 * key, GET /-/suggest?q=TEXT&limit=8 -> {"query", "suggestions": [{"text", "kind", "url"}]}.
 * Any failure (no endpoint yet: 404, an error, a slow answer) leaves a plain search box.
 * Suggestions are harvested text: they are set as text, and only same-site paths are opened.
 */
(function () {
  "use strict";
  var DELAY = 200;
  var SHORTEST = 2;
  var LIMIT = 8;

  function samePath(url) {
    return typeof url === "string" && /^\/(?![\/\\])/.test(url) ? url : null;
  }

  function setUp(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var endpoint = input.getAttribute("data-suggest");
    if (!list || !endpoint || !window.fetch) {
      return;
    }
    var timer = null;
    var options = [];
    var active = -1;
    var asked = 0;
    var gone = false;

    function close() {
      list.hidden = true;
      list.textContent = "";
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      options.forEach(function (option, n) {
        option.element.setAttribute("aria-selected", n === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].element.id);
        options[index].element.scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var option = options[index];
      if (!option) {
        return;
      }
      if (option.url) {
        window.location.assign(option.url);
        return;
      }
      input.value = option.text;
      close();
      if (input.form) {
        input.form.submit();
      }
    }

    function show(answer, query) {
      if (query !== input.value.trim()) {
        return;  // the reader typed on meanwhile
      }
      close();
      var found = answer && Array.isArray(answer.suggestions) ? answer.suggestions : [];
      found.slice(0, LIMIT).forEach(function (suggestion) {
        if (!suggestion || typeof suggestion.text !== "string" || !suggestion.text) {
          return;
        }
        var element = document.createElement("li");
        element.id = input.id + "-option-" + options.length;
        element.setAttribute("role", "option");
        element.setAttribute("aria-selected", "false");
        var text = document.createElement("span");
        text.textContent = suggestion.text;
        element.appendChild(text);
        var label = typeof suggestion.kind === "string" &&
            /^[a-z]+$/.test(suggestion.kind) && input.getAttribute("data-kind-" + suggestion.kind);
        if (label) {
          var kind = document.createElement("span");
          kind.className = "oer-suggestion-kind";
          kind.textContent = label;
          element.appendChild(kind);
        }
        var index = options.length;
        element.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the box
          choose(index);
        });
        list.appendChild(element);
        options.push({element: element, text: suggestion.text, url: samePath(suggestion.url)});
      });
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function ask() {
      var query = input.value.trim();
      if (gone || query.length < SHORTEST) {
        close();
        return;
      }
      var mine = ++asked;
      var url = endpoint + "?q=" + encodeURIComponent(query) + "&limit=" + LIMIT;
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) {
          if (response.status === 404) {
            gone = true;  // no suggestions on this site: stop asking
          }
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (mine === asked) {
            show(answer, query);
          }
        })
        .catch(function () {
          if (mine === asked) {
            close();
          }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) {
          return;
        }
        event.preventDefault();
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        var next = active + (event.key === "ArrowDown" ? 1 : -1);
        if (next >= options.length) {
          next = -1;  // back in the box, as typed
        } else if (next < -1) {
          next = options.length - 1;
        }
        mark(next);
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
  }

  function start() {
    var boxes = document.querySelectorAll("input[role=combobox][data-suggest]");
    Array.prototype.forEach.call(boxes, setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
