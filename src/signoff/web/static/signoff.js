// Signoff's few lines of script: every page works without them (forms post, links link).
// 1. The section editor's live preview, rendered by the server (the same sanitizer).
// 2. The edit page keeps typed text in the browser until it is sent (never lose it).
(function () {
  "use strict";
  var csrf = function () {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  };
  var source = document.querySelector("textarea[data-preview]");
  if (source) {
    var target = document.getElementById(source.getAttribute("data-preview-target"));
    var url = source.getAttribute("data-preview");
    var key = "signoff-draft:" + location.pathname;
    var timer = null;
    var saved = window.sessionStorage ? sessionStorage.getItem(key) : null;
    if (saved !== null && saved !== source.value && source.hasAttribute("data-restore")) {
      source.value = saved;
    }
    var refresh = function () {
      var body = new FormData();
      body.append("body", source.value);
      fetch(url, { method: "POST", body: body, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && target) { target.innerHTML = html; } });
    };
    source.addEventListener("input", function () {
      if (window.sessionStorage) { sessionStorage.setItem(key, source.value); }
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    // Saved or refused, the server answers with the text: the browser's copy can go.
    if (source.form) {
      source.form.addEventListener("submit", function () {
        if (window.sessionStorage) { sessionStorage.removeItem(key); }
      });
    }
  }
})();
