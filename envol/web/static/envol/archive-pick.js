// A person's X archive page: read the .zip in the browser and send only what envol reads for a
// person — data/account.js, data/following.js and data/follower.js (and their -partN.js) — a
// few hundred kilobytes instead of gigabytes of posts, photos and messages. zip.js (vendored
// from npm) reads by random access: the central directory and the wanted members only.
// Without JavaScript, without zip.js, or if anything goes wrong, the whole file is sent as it
// is: the server checks what it receives the same way either way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pick-needed]");
  if (!form || !window.zip || typeof DataTransfer === "undefined") { return; }
  var input = form.querySelector("input[type=file]");
  var status = document.getElementById("pick-status");
  var WANTED = /(^|\/)data\/(account|following|follower)(-part[0-9]+)?\.js$/;
  var ACCOUNT = /(^|\/)data\/account\.js$/;
  var taken = false;
  window.zip.configure({ useWebWorkers: false });

  function say(text) { status.textContent = text || ""; }

  function extract(file) {
    var reader = new window.zip.ZipReader(new window.zip.BlobReader(file));
    return reader.getEntries().then(function (entries) {
      var wanted = entries.filter(function (entry) {
        return !entry.directory && WANTED.test(entry.filename);
      });
      if (!wanted.some(function (entry) { return ACCOUNT.test(entry.filename); })) {
        throw new Error("no data/account.js: let the server explain");
      }
      var writer = new window.zip.ZipWriter(new window.zip.BlobWriter("application/zip"));
      var chain = Promise.resolve();
      wanted.forEach(function (entry) {
        chain = chain.then(function () {
          return entry.getData(new window.zip.Uint8ArrayWriter());
        }).then(function (data) {
          return writer.add(entry.filename, new window.zip.Uint8ArrayReader(data));
        });
      });
      return chain.then(function () { return writer.close(); });
    }).then(function (blob) {
      reader.close();
      return new File([blob], file.name, { type: "application/zip" });
    });
  }

  // Capture phase: this runs before the size check of upload.js, which would otherwise judge
  // the whole archive when only its lists are sent.
  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (taken || !file || !/\.zip$/i.test(file.name)) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    taken = true;
    say(status.dataset.reading);
    extract(file).then(function (smaller) {
      var chosen = new DataTransfer();
      chosen.items.add(smaller);
      input.files = chosen.files;
      say(status.dataset.sending);
    }, function () {
      say("");
    }).then(function () {
      form.submit();
    });
  }, true);
})();
