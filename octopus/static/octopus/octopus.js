// Show every <time datetime="..."> in the viewer's own time zone.
(function () {
  function localize(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.localized) return;
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.title = el.textContent.trim() + " (UTC)";
      el.textContent = d.toLocaleString(undefined, {
        year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
      });
      el.dataset.localized = "1";
    });
    // Log line times: HH:MM:SS.mmm in the viewer's zone.
    root.querySelectorAll(".ts[data-epoch]").forEach(function (el) {
      var d = new Date(parseFloat(el.dataset.epoch) * 1000);
      if (isNaN(d)) return;
      var pad = function (n, w) { return String(n).padStart(w || 2, "0"); };
      el.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
        "." + pad(d.getMilliseconds(), 3);
      el.removeAttribute("data-epoch");
    });
  }
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
