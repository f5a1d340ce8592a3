/* Enhancements only: every page works without this file. No inline script anywhere (the CSP forbids it). */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "en";
  var numbers = window.Intl ? new Intl.NumberFormat(lang) : null;

  function format(n) {
    return numbers ? numbers.format(n) : String(n);
  }

  /* The live count: refresh the figures from /api/v1/stats/ while the page is open. */
  function liveCount(box) {
    var url = box.getAttribute("data-stats-url");
    var every = Math.max(5, parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30) * 1000;
    function show(stats) {
      var figures = document.querySelectorAll("[data-count]");
      for (var i = 0; i < figures.length; i++) {
        var key = figures[i].getAttribute("data-count");
        var value = key === "total" ? stats.total : stats.by_craft && stats.by_craft[key];
        if (typeof value === "number") {
          figures[i].textContent = format(value);
        }
      }
    }
    function refresh() {
      if (document.hidden || !window.fetch) {
        return;
      }
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (stats) { if (stats) { show(stats); } })
        .catch(function () { /* offline for a moment: keep the figures we have */ });
    }
    window.setInterval(refresh, every);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
  }

  /* Inline validation: say what is missing when a person leaves a field, in the page's language. */
  function errorBox(input) {
    var id = input.id + "_error";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.className = "error";
      box.id = id;
      box.setAttribute("aria-live", "polite");
      input.closest(".field").appendChild(box);
    }
    return box;
  }

  function setError(input, message) {
    var field = input.closest(".field");
    var box = errorBox(input);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (token) {
      return token && token !== box.id;
    });
    box.textContent = "";
    if (message) {
      var p = document.createElement("p");
      p.textContent = message;
      box.appendChild(p);
      described.push(box.id);
      input.setAttribute("aria-invalid", "true");
      field.classList.add("has-error");
    } else {
      input.removeAttribute("aria-invalid");
      field.classList.remove("has-error");
    }
    if (described.length) {
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }

  function problem(form, input) {
    if (input.type === "checkbox") {
      return input.required && !input.checked ? form.getAttribute("data-msg-consent") : "";
    }
    var value = input.value.trim();
    if (input.required && !value) {
      return form.getAttribute("data-msg-required");
    }
    // The server has the last word (it knows internationalised addresses); this only catches the obvious.
    if (input.type === "email" && value && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      return form.getAttribute("data-msg-email");
    }
    return "";
  }

  function inlineValidation(form) {
    var inputs = form.querySelectorAll(".field input, .field select");
    var pointerDown = false;
    var pending = [];
    function show(input) {
      setError(input, problem(form, input));
    }
    // A message appearing while a mouse button or finger is down moves what is under it, and the click lands
    // elsewhere: while a pointer is down, new messages wait until the click is over.
    document.addEventListener("pointerdown", function () { pointerDown = true; }, true);
    document.addEventListener("pointerup", function () {
      pointerDown = false;
      window.setTimeout(function () {
        var waiting = pending;
        pending = [];
        waiting.forEach(show);
      }, 0);
    }, true);
    function inField(input) {
      return input.closest && input.closest(".field");
    }
    form.addEventListener("input", function (event) {
      var input = event.target;
      input.setAttribute("data-touched", "1");
      // A message goes as soon as the mistake is fixed.
      if (inField(input) && input.getAttribute("aria-invalid") && !problem(form, input)) {
        show(input);
      }
    });
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (inField(input) && (input.tagName === "SELECT" || input.type === "checkbox")) {
        show(input);
      }
    });
    // Tabbing past an untouched field is not a mistake; leaving one half-done is worth a word.
    form.addEventListener("focusout", function (event) {
      var input = event.target;
      if (!inField(input) || !input.getAttribute("data-touched")) {
        return;
      }
      if (pointerDown) {
        pending.push(input);
      } else {
        show(input);
      }
    });
    form.addEventListener("submit", function (event) {
      var first = null;
      for (var i = 0; i < inputs.length; i++) {
        var message = problem(form, inputs[i]);
        setError(inputs[i], message);
        if (message && !first) {
          first = inputs[i];
        }
      }
      if (first) {
        event.preventDefault();
        first.focus();
      } else {
        rememberAddress(form);
      }
    });
  }

  /* "Check your inbox" repeats the address the mail went to, so a typo shows at once. The page is the same for every
     reader (a shared cache keeps it): the address stays in this tab, in sessionStorage, and never reaches the server
     again. */
  var SENT_TO = "coalition:sent-to";

  function rememberAddress(form) {
    var email = form.querySelector("input[type=email]");
    try {
      if (email && email.value) {
        window.sessionStorage.setItem(SENT_TO, email.value.trim());
      }
    } catch (error) { /* storage refused (private mode): the page simply does not repeat it */ }
  }

  function showAddress(box) {
    var address = null;
    try {
      address = window.sessionStorage.getItem(SENT_TO);
    } catch (error) { return; }
    if (address) {
      box.querySelector("[data-sent-to-address]").textContent = address;
      box.hidden = false;
    }
  }

  /* Copy the letter's link on the thank-you page. */
  function copyLink(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-status"));
    button.hidden = false;
    button.addEventListener("click", function () {
      // A field (the share link) or a block of text (the registry's snippets).
      var text = "value" in input ? input.value : input.textContent;
      if ("select" in input) {
        input.select();
      } else {
        var range = document.createRange();
        range.selectNodeContents(input);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
      }
      var done = function () { status.textContent = button.getAttribute("data-done"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  }

  function start() {
    var box = document.querySelector("[data-stats-url]");
    if (box) {
      liveCount(box);
    }
    var form = document.querySelector("form.sign-form");
    if (form) {
      inlineValidation(form);
    }
    // The list's filters are folded on a phone (names first) and open on a wide screen.
    var folded = document.querySelectorAll("details[data-open-wide]");
    if (window.matchMedia && window.matchMedia("(min-width: 48rem)").matches) {
      for (var f = 0; f < folded.length; f++) {
        folded[f].open = true;
      }
    }
    var sentTo = document.querySelector("[data-sent-to]");
    if (sentTo) {
      showAddress(sentTo);
    }
    // A destructive button asks first (the form still works without JavaScript: it then goes straight through).
    var asking = document.querySelectorAll("button[data-confirm]");
    for (var a = 0; a < asking.length; a++) {
      asking[a].addEventListener("click", function (event) {
        if (!window.confirm(this.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    }
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      copyLink(buttons[i]);
    }
    // After a failed submission, take the person to the summary of what to fix.
    var summary = document.getElementById("form-errors");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
