// The run page's live log: lines arrive over a WebSocket (octopus/logs/tail.py says what
// the server sends). Autoscroll that pauses when the reader scrolls up, a level filter,
// search within the log, ANSI colours, line numbers. Plain script, no build step.
(function () {
  "use strict";
  var root = document.getElementById("livelog");
  if (!root) return;
  // Texts come translated from Django's JavaScript catalog (/i18n/js/), loaded before this.
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  var stateLabels = JSON.parse(root.dataset.stateLabels || "{}");
  var logEl = document.getElementById("log");
  var levelEl = document.getElementById("log-level");
  var searchEl = document.getElementById("log-search");
  var matchesEl = document.getElementById("log-matches");
  var followEl = document.getElementById("log-follow");
  var statusEl = document.getElementById("log-status");

  var MAX_LINES = 50000; // kept in the page; older ones are dropped (the download has all)
  var TAIL = 5000; // a first look at a long log starts with its last lines
  var LAG = 20000; // further behind than this, the server skips ahead (with a gap marker)

  // Following a job (data-follow="job"): its latest run, then the next ones, in one log.
  var followJob = root.dataset.follow === "job";
  var currentRun = null;
  var after = 0; // the last seq received (of currentRun): a reconnect resumes after it
  var ended = false;
  var following = true;
  var retryDelay = 500;
  var pending = []; // received, not yet on the page
  var renderQueued = false;
  var shown = 0;
  var query = "";
  var target = null; // seq to show and mark, from a #L<seq> link (search results)

  // ---- HTML and ANSI -------------------------------------------------------------------
  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }

  // Escape sequences other than colours (cursor moves, erase, titles) are dropped.
  var NOT_SGR = /\x1b\[[0-9;?:]*[A-Za-ln-z@`]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78DEHMNOc]/g;
  var SGR = /\x1b\[([0-9;:]*)m/g;
  var CUBE = [0, 95, 135, 175, 215, 255];

  function color256(n) {
    if (n < 16) return { cls: n };
    if (n < 232) {
      n -= 16;
      return { rgb: [CUBE[Math.floor(n / 36)], CUBE[Math.floor(n / 6) % 6], CUBE[n % 6]] };
    }
    var g = 8 + (n - 232) * 10;
    return { rgb: [g, g, g] };
  }

  function applySgr(style, params) {
    var codes = params === "" ? [0] : params.split(/[;:]/).map(function (p) { return p === "" ? 0 : +p; });
    for (var i = 0; i < codes.length; i++) {
      var c = codes[i];
      if (c === 0) { style = {}; }
      else if (c === 1) style.bold = true;
      else if (c === 2) style.dim = true;
      else if (c === 3) style.italic = true;
      else if (c === 4) style.underline = true;
      else if (c === 7) style.inverse = true;
      else if (c === 22) { style.bold = false; style.dim = false; }
      else if (c === 23) style.italic = false;
      else if (c === 24) style.underline = false;
      else if (c === 27) style.inverse = false;
      else if (c >= 30 && c <= 37) style.fg = { cls: c - 30 };
      else if (c >= 90 && c <= 97) style.fg = { cls: c - 90 + 8 };
      else if (c >= 40 && c <= 47) style.bg = { cls: c - 40 };
      else if (c >= 100 && c <= 107) style.bg = { cls: c - 100 + 8 };
      else if (c === 39) style.fg = null;
      else if (c === 49) style.bg = null;
      else if (c === 38 || c === 48) {
        var color = null;
        if (codes[i + 1] === 5 && i + 2 < codes.length) { color = color256(codes[i + 2] & 255); i += 2; }
        else if (codes[i + 1] === 2 && i + 4 < codes.length) {
          color = { rgb: [codes[i + 2] & 255, codes[i + 3] & 255, codes[i + 4] & 255] }; i += 4;
        }
        if (color) style[c === 38 ? "fg" : "bg"] = color;
      }
    }
    return style;
  }

  function openSpan(style) {
    var cls = [], css = [];
    var fg = style.inverse ? style.bg : style.fg, bg = style.inverse ? style.fg : style.bg;
    if (style.inverse && !fg) cls.push("ansi-inverse");
    if (fg) { if (fg.rgb) css.push("color:rgb(" + fg.rgb.join(",") + ")"); else cls.push("ansi-fg" + fg.cls); }
    if (bg) { if (bg.rgb) css.push("background:rgb(" + bg.rgb.join(",") + ")"); else cls.push("ansi-bg" + bg.cls); }
    if (style.bold) cls.push("ansi-bold");
    if (style.dim) cls.push("ansi-dim");
    if (style.italic) cls.push("ansi-italic");
    if (style.underline) cls.push("ansi-underline");
    if (!cls.length && !css.length) return "";
    return '<span' + (cls.length ? ' class="' + cls.join(" ") + '"' : "") +
      (css.length ? ' style="' + css.join(";") + '"' : "") + ">";
  }

  // Text with SGR colour codes → escaped HTML with spans; never raw HTML from the job.
  function ansiToHtml(text) {
    if (text.indexOf("\x1b") < 0) return escapeHtml(text);
    text = text.replace(NOT_SGR, "");
    var out = "", style = {}, last = 0, open = "", m;
    SGR.lastIndex = 0;
    while ((m = SGR.exec(text)) !== null) {
      if (m.index > last) out += open + escapeHtml(text.slice(last, m.index)) + (open ? "</span>" : "");
      style = applySgr(Object.assign({}, style), m[1]);
      open = openSpan(style);
      last = SGR.lastIndex;
    }
    if (last < text.length) out += open + escapeHtml(text.slice(last)) + (open ? "</span>" : "");
    return out.replace(/\x1b/g, "");
  }

  function pad(n, w) { return String(n).padStart(w || 2, "0"); }
  function clock(epoch) {
    var d = new Date(epoch * 1000);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
  }
  var LEVELS = { fatal: 1, error: 1, warn: 1, info: 1, debug: 1, trace: 1, cursor: 1 };
  function lineHtml(l) {
    // l = [seq, ts, stream, level, text]
    var level = LEVELS[l[3]] ? l[3] : "info";
    var stream = l[2] === "stderr" || l[2] === "system" ? " " + l[2] : "";
    var miss = query && l[4].toLowerCase().indexOf(query) < 0 ? " nomatch" : "";
    var id = followJob ? "" : ' id="L' + l[0] + '"';
    return '<div class="line lvl-' + level + stream + miss + '"' + id + '><span class="seq">' + l[0] +
      '</span><span class="ts" title="' + escapeHtml(new Date(l[1] * 1000).toISOString()) + '">' + clock(l[1]) +
      '</span><span class="text">' + ansiToHtml(l[4]) + "</span></div>";
  }
  function gapHtml(g) {
    var what = g.from === g.to ? fmt(gettext("line %(from)s"), g)
      : fmt(gettext("lines %(from)s–%(to)s"), g);
    var why = g.reason === "skipped" ? gettext("not shown here (download the whole log to read them)")
      : gettext("not stored (purged after the retention period, or never received)");
    return '<div class="gap ' + g.reason + '">… ' + what + " " + why + "</div>";
  }

  // ---- Rendering -----------------------------------------------------------------------
  function queue(html, count) {
    pending.push([html, count]);
    if (!renderQueued) { renderQueued = true; requestAnimationFrame(render); }
  }

  function render() {
    renderQueued = false;
    if (!pending.length) return;
    var html = "", count = 0;
    for (var i = 0; i < pending.length; i++) { html += pending[i][0]; count += pending[i][1]; }
    pending = [];
    logEl.insertAdjacentHTML("beforeend", html);
    shown += count;
    if (shown > MAX_LINES) trim();
    if (query) countMatches();
    if (target !== null && revealTarget()) target = null;
    else if (following) logEl.scrollTop = logEl.scrollHeight;
  }

  function trim() {
    var drop = shown - MAX_LINES;
    while (drop > 0 && logEl.firstChild) {
      var el = logEl.firstChild;
      if (el.classList && el.classList.contains("line")) { drop--; shown--; }
      logEl.removeChild(el);
    }
    if (!logEl.querySelector(".gap.trimmed")) {
      logEl.insertAdjacentHTML("afterbegin", '<div class="gap trimmed">' +
        escapeHtml(gettext("… earlier lines are not kept on this page (download the whole log to read them)")) + "</div>");
    }
  }

  function revealTarget() {
    var el = document.getElementById("L" + target);
    if (!el) return false;
    el.classList.add("target");
    setFollowing(false);
    logEl.scrollTop = el.offsetTop - logEl.clientHeight / 3;
    return true;
  }

  // ---- Follow, level, search -----------------------------------------------------------
  function setFollowing(on) {
    following = on;
    followEl.setAttribute("aria-pressed", on ? "true" : "false");
    followEl.textContent = on ? gettext("Following") : gettext("Paused · follow");
    if (on) logEl.scrollTop = logEl.scrollHeight;
  }
  followEl.addEventListener("click", function () { setFollowing(!following); });
  logEl.addEventListener("scroll", function () {
    var atBottom = logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 24;
    if (atBottom !== following) setFollowing(atBottom);
  });

  levelEl.addEventListener("change", function () {
    logEl.dataset.level = levelEl.value;
    if (following) logEl.scrollTop = logEl.scrollHeight;
  });

  function countMatches() {
    var n = logEl.querySelectorAll(".line:not(.nomatch)").length;
    matchesEl.textContent = fmt(ngettext("%(n)s matching line", "%(n)s matching lines", n), { n: n });
    highlight();
  }

  // Marks the matches without touching the lines' HTML (CSS Custom Highlight API).
  function highlight() {
    if (!window.CSS || !CSS.highlights || typeof Highlight === "undefined") return;
    CSS.highlights.delete("log-search");
    if (!query) return;
    var ranges = [];
    var texts = logEl.querySelectorAll(".line:not(.nomatch) .text");
    for (var i = 0; i < texts.length && ranges.length < 5000; i++) {
      var walker = document.createTreeWalker(texts[i], NodeFilter.SHOW_TEXT);
      var node;
      while ((node = walker.nextNode()) && ranges.length < 5000) {
        var lower = node.data.toLowerCase(), at = lower.indexOf(query);
        while (at >= 0) {
          var r = new Range(); r.setStart(node, at); r.setEnd(node, at + query.length); ranges.push(r);
          at = lower.indexOf(query, at + query.length);
        }
      }
    }
    CSS.highlights.set("log-search", new Highlight(...ranges));
  }

  var searchTimer = null;
  searchEl.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applySearch, 150);
  });
  function applySearch() {
    query = searchEl.value.toLowerCase();
    logEl.classList.toggle("searching", !!query);
    var lines = logEl.querySelectorAll(".line");
    for (var i = 0; i < lines.length; i++) {
      var text = lines[i].lastChild.textContent.toLowerCase();
      lines[i].classList.toggle("nomatch", !!query && text.indexOf(query) < 0);
    }
    if (query) countMatches(); else { matchesEl.textContent = ""; highlight(); }
    if (following) logEl.scrollTop = logEl.scrollHeight;
  }

  // ---- State ---------------------------------------------------------------------------
  function showState(run) {
    var badge = document.getElementById("run-state");
    if (badge) { badge.className = "state " + run.state; badge.textContent = stateLabels[run.state] || run.state_label; }
    document.body.dispatchEvent(new CustomEvent("octopus:state", { detail: run }));
  }
  function setStatus(text, cls) { statusEl.textContent = text; statusEl.className = "status " + (cls || ""); }

  function switchRun(runId) {
    queue('<div class="gap next-run">' + escapeHtml(fmt(gettext("— run #%(id)s —"), { id: runId })) + "</div>", 0);
    currentRun = runId;
    after = 0;
    var link = document.getElementById("run-link");
    if (link) { link.href = "/runs/" + runId + "/"; link.textContent = fmt(gettext("run #%(id)s"), { id: runId }); }
    var download = document.getElementById("log-download");
    if (download) { download.href = "/runs/" + runId + "/log.txt"; download.hidden = false; }
  }

  // ---- Connection ----------------------------------------------------------------------
  function url(first) {
    var params = new URLSearchParams();
    if (first && target !== null) params.set("after", String(Math.max(0, target - 50)));
    else if (after === 0 && currentRun === null) params.set("tail", String(TAIL));
    else params.set("after", String(after));
    if (followJob && currentRun !== null) params.set("run", String(currentRun));
    params.set("lag", String(LAG));
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + location.host + root.dataset.ws + "?" + params.toString();
  }

  function connect(first) {
    var ws = new WebSocket(url(first));
    ws.onopen = function () { retryDelay = 500; setStatus(gettext("live"), "live"); };
    ws.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "lines") {
        var html = "";
        for (var i = 0; i < msg.lines.length; i++) html += lineHtml(msg.lines[i]);
        after = msg.lines[msg.lines.length - 1][0];
        queue(html, msg.lines.length);
      } else if (msg.type === "gap") {
        after = Math.max(after, msg.to);
        queue(gapHtml(msg), 0);
      } else if (msg.type === "run") {
        if (followJob && msg.run.id !== currentRun) switchRun(msg.run.id);
        showState(msg.run);
      } else if (msg.type === "state") {
        showState(msg.run);
      } else if (msg.type === "end") {
        if (followJob) {
          setStatus(fmt(gettext("run #%(id)s is over; waiting for the next run"), { id: msg.run_id }), "live");
        } else {
          ended = true;
          setStatus(gettext("complete: the run is over"), "ended");
        }
      } else if (msg.type === "error") {
        ended = true;
        setStatus(msg.message, "error");
      }
    };
    ws.onclose = function () {
      if (ended) return;
      setStatus(gettext("reconnecting…"), "down");
      setTimeout(function () { connect(false); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 5000);
    };
  }

  var hash = /^#L(\d+)$/.exec(location.hash);
  if (hash) target = parseInt(hash[1], 10);
  logEl.dataset.level = levelEl.value;
  connect(true);
})();
