/* The publishing desk, enhanced (every page works without it):
   - composer: the preview follows the text as it is typed — the server computes it with each
     network's rules (POST to data-preview-url) and returns the same fragment the "Preview"
     button shows, so the counts are the server's;
   - calendar: drag a post onto another day; this fills the post's own "Move" form (date) and
     sends it, the time kept. */
(function () {
  "use strict";

  function livePreview(form) {
    var target = document.getElementById("desk-preview");
    if (!target || !form.dataset.previewUrl) { return; }
    var timer = null;
    var sent = 0;
    function refresh() {
      var data = new FormData(form);
      Array.from(form.querySelectorAll("input[type=file]")).forEach(function (input) {
        data.delete(input.name);
      });
      var number = ++sent;
      fetch(form.dataset.previewUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        if (number === sent) { target.innerHTML = html; target.dataset.fresh = String(number); }
      }).catch(function () { /* the Preview button still works */ });
    }
    function later() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(refresh, 300);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  function dragToReschedule() {
    var dragged = null;
    document.querySelectorAll(".desk-entry[draggable=true]").forEach(function (entry) {
      entry.addEventListener("dragstart", function (event) {
        dragged = entry;
        event.dataTransfer.setData("text/plain", entry.dataset.post);
        event.dataTransfer.effectAllowed = "move";
      });
    });
    document.querySelectorAll(".desk-day[data-date]").forEach(function (day) {
      day.addEventListener("dragover", function (event) {
        if (dragged) { event.preventDefault(); day.dataset.over = "1"; }
      });
      day.addEventListener("dragleave", function () { delete day.dataset.over; });
      day.addEventListener("drop", function (event) {
        event.preventDefault();
        delete day.dataset.over;
        if (!dragged) { return; }
        var form = dragged.querySelector(".desk-move__form");
        dragged = null;
        if (!form) { return; }
        form.querySelector("input[name=planned_date]").value = day.dataset.date;
        form.submit();
      });
    });
  }

  var composer = document.getElementById("desk-composer");
  if (composer) { livePreview(composer); }
  dragToReschedule();
})();
