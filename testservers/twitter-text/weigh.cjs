// Reads a JSON array of texts on stdin; writes, for each, what X's own library says of it:
// parseTweet's weightedLength and valid (the default configuration, v3: emoji parsing on), the
// URLs extractUrlsWithIndices finds, and the emoji twemoji-parser finds. Offsets are converted
// from UTF-16 code units to code points (Python's string indices).
// Run with NODE_PATH=<install folder>/node_modules (see install.sh and envol/testing/twitter_text.py).
"use strict";
const twitter = require("twitter-text");
const twemoji = require("twemoji-parser");

const codePoints = (text, index) => Array.from(text.slice(0, index)).length;
const span = (text, [start, end]) => [codePoints(text, start), codePoints(text, end)];

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const answers = JSON.parse(input).map((text) => {
    const parsed = twitter.parseTweet(text);
    const normal = text.normalize();
    return {
      weightedLength: parsed.weightedLength,
      valid: parsed.valid,
      urls: twitter.extractUrlsWithIndices(normal).map((u) => span(normal, u.indices)),
      emoji: twemoji.parse(normal).map((e) => span(normal, e.indices)),
    };
  });
  process.stdout.write(JSON.stringify(answers));
});
