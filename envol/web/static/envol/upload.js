// The archive upload: drop a file on the zone, and refuse a file above the server's limit
// before sending it (the server checks again). Without JavaScript the form works as is.
(function () {
  var zone = document.getElementById("drop-zone");
  if (!zone) { return; }
  var input = zone.querySelector("input[type=file]");
  var errors = document.getElementById(input.id + "-errors");
  var limit = parseInt(input.dataset.maxBytes, 10);
  var tooLarge = zone.dataset.tooLarge;
  document.getElementById("drop-hint").hidden = false;
  function check() {
    var file = input.files[0];
    var bad = Boolean(file && limit && file.size > limit);
    errors.hidden = !bad;
    if (bad) {
      errors.textContent = tooLarge;
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
    return !bad;
  }
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.dataset.over = ""; });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { delete zone.dataset.over; });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer.files.length) { input.files = event.dataTransfer.files; check(); }
  });
  input.addEventListener("change", check);
  document.getElementById("upload-form").addEventListener("submit", function (event) {
    if (!check()) { event.preventDefault(); }
  });
})();
