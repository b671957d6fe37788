/* envol archive site: search over the posts, offline and without any library.
 *
 * The index is one script per year (search/<year>.js, calling envolSearch.receive), loaded
 * only when a search needs that year: script files load from file:// where fetch() cannot.
 * Results are built with DOM nodes and textContent only — never HTML from the archive.
 * Without JavaScript the form stays hidden and the page points to the month pages.
 */
(function () {
  "use strict";
  var MAX_SHOWN = 100;
  var SNIPPET = 280;
  var shards = {};   // year -> [{id, date, lang, text, folded}]
  var waiting = {};  // year -> [resolve, reject] callbacks

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  window.envolSearch = {
    receive: function (year, entries) {
      var posts = [];
      for (var i = 0; i < entries.length; i++) {
        var e = entries[i];
        posts.push({ id: e[0], date: e[1], lang: e[2], text: e[3], folded: fold(e[3]) });
      }
      shards[year] = posts;
      (waiting[year] || []).forEach(function (callbacks) { callbacks[0](posts); });
      delete waiting[year];
    }
  };

  function load(year) {
    if (shards[year]) { return Promise.resolve(shards[year]); }
    return new Promise(function (resolve, reject) {
      var first = !waiting[year];
      (waiting[year] = waiting[year] || []).push([resolve, reject]);
      if (!first) { return; }
      var script = document.createElement("script");
      script.src = "search/" + year + ".js";
      script.onerror = function () {
        (waiting[year] || []).forEach(function (callbacks) { callbacks[1](year); });
        delete waiting[year];
      };
      document.head.appendChild(script);
    });
  }

  function start() {
    var form = document.getElementById("search-form");
    if (!form) { return; }
    var data = form.dataset;
    var input = document.getElementById("q");
    var yearSelect = document.getElementById("year");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var years = data.years ? data.years.split(",") : [];
    form.hidden = false;

    function counted(n) {
      var one = data.lang === "fr" ? n <= 1 : n === 1;
      return (one ? data.foundOne : data.foundOther).replace("{n}", String(n));
    }

    function show(post, words) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "status/" + post.id + ".html";
      link.textContent = post.date;
      var text = document.createElement("p");
      if (post.lang) { text.lang = post.lang; }
      text.dir = "auto";
      text.textContent = post.text.length > SNIPPET ? post.text.slice(0, SNIPPET) + "…" : post.text;
      item.appendChild(link);
      item.appendChild(text);
      list.appendChild(item);
    }

    function run(query, onlyYear) {
      var words = fold(query).split(/\s+/).filter(Boolean);
      list.textContent = "";
      if (!words.length) { status.textContent = data.typeWords; return; }
      var chosen = onlyYear && years.indexOf(onlyYear) >= 0 ? [onlyYear] : years.slice();
      var found = 0;
      status.textContent = data.searching;
      var chain = Promise.resolve();
      chosen.forEach(function (year) {
        chain = chain.then(function () {
          if (!shards[year]) { status.textContent = data.loading.replace("{year}", year); }
          return load(year);
        }).then(function (posts) {
          for (var i = posts.length - 1; i >= 0; i--) {
            var post = posts[i];
            var all = true;
            for (var w = 0; w < words.length && all; w++) {
              all = post.folded.indexOf(words[w]) >= 0;
            }
            if (all) {
              found++;
              if (found <= MAX_SHOWN) { show(post, words); }
            }
          }
        });
      });
      chain.then(function () {
        var message = found ? counted(found) : data.none;
        if (found > MAX_SHOWN) { message += " " + data.capped.replace("{n}", String(MAX_SHOWN)); }
        status.textContent = message;
      }, function (year) {
        status.textContent = data.loading.replace("{year}", year) + " ✗";
      });
    }

    var params = new URLSearchParams(window.location.search);
    var query = params.get("q") || "";
    var year = params.get("year") || "";
    input.value = query;
    yearSelect.value = years.indexOf(year) >= 0 ? year : "";
    if (query) { run(query, year); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
