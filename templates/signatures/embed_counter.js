/* Creators Coalition on AI: the number of signatures of the open letter, for other sites.
   Put <span data-coalition-count></span> (or data-coalition-count="actor" for one craft) anywhere on the page and
   load this script once; it writes the current count, grouped as the page's language writes numbers. */
(function () {
  "use strict";
  var api = "{{ stats_url|escapejs }}";
  var format;
  try {
    // The host page's language; a malformed lang attribute ("en_US") falls back to the reader's own.
    format = new Intl.NumberFormat((document.documentElement.lang || "").replace(/_/g, "-") || undefined);
  } catch (error) {
    format = new Intl.NumberFormat();
  }
  fetch(api, { credentials: "omit", mode: "cors" })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (stats) {
      var spots = document.querySelectorAll("[data-coalition-count]");
      for (var i = 0; i < spots.length; i++) {
        var craft = spots[i].getAttribute("data-coalition-count");
        var n = craft ? stats.by_craft[craft.toLowerCase()] : stats.total;
        if (typeof n === "number") spots[i].textContent = format.format(n);
      }
    })
    .catch(function () {
      /* The host page keeps whatever it put in the spot. */
    });
})();
