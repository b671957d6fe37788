// "Copy" buttons: a button with data-copy="<id>" copies that element's text. The buttons are
// hidden in the HTML and shown only where the browser offers a clipboard (no JavaScript: the
// texts stay selectable by hand).
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  if (!navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(document.getElementById(button.dataset.copy).innerText);
  });
});
