// Octopus UI helpers: local times, the time zone cookie, dialogs, the live log's scrolling.
(function () {
  // The server reads this cookie to show typed and rendered times in the viewer's zone.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* very old browser: times stay in UTC */ }

  // Polling refreshes (htmx "every Ns [octopusMayRefresh('id')]") wait while the page is
  // hidden or while the keyboard focus is inside the part they would replace.
  window.octopusMayRefresh = function (id) {
    var part = document.getElementById(id);
    return document.visibilityState === "visible" && !(part && part.contains(document.activeElement));
  };

  function pad(n, w) { return String(n).padStart(w || 2, "0"); }

  // Show every <time datetime="..."> in the viewer's own time zone (ISO-like, any language).
  function localize(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.localized) return;
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      if (!el.title) el.title = d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
      var hms = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
      el.textContent = el.dataset.format === "time" ? hms
        : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + hms;
      el.dataset.localized = "1";
    });
    // Log line times: HH:MM:SS.mmm in the viewer's zone.
    root.querySelectorAll(".ts[data-epoch]").forEach(function (el) {
      var d = new Date(parseFloat(el.dataset.epoch) * 1000);
      if (isNaN(d)) return;
      el.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
        "." + pad(d.getMilliseconds(), 3);
      el.removeAttribute("data-epoch");
    });
  }

  // Dialogs: a button with data-dialog="ID" opens <dialog id="ID"> (Esc closes it natively);
  // a button with data-close closes its dialog; a click on the backdrop closes it too.
  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.dialog);
      if (dialog) {
        e.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("[autofocus], input, select, textarea, button");
        if (first) first.focus();
      }
      return;
    }
    if (e.target.closest("[data-close]")) {
      e.preventDefault();
      e.target.closest("dialog").close();
      return;
    }
    if (e.target.tagName === "DIALOG") e.target.close();  // the backdrop
  });

  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:afterSettle", function (e) { localize(e.target); });
  // Keep the log scrolled to the bottom while new lines arrive, unless the reader scrolled up.
  document.addEventListener("htmx:oobBeforeSwap", function () {
    var log = document.getElementById("log");
    if (log) log.dataset.stick = (log.scrollHeight - log.scrollTop - log.clientHeight < 40) ? "1" : "";
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var log = document.getElementById("log");
    if (!log) return;
    localize(log);
    if (log.dataset.stick) log.scrollTop = log.scrollHeight;
  });
})();
