// iop — copy buttons for the one-time secrets page. Progressive enhancement: the buttons are
// hidden until this script shows them; without it the secrets stay selectable text.
"use strict";
document.querySelectorAll("button[data-copiar]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    var el = document.getElementById(b.getAttribute("data-copiar"));
    if (!el) { return; }
    var text = el.textContent;
    var done = function () { b.textContent = b.getAttribute("data-hecho"); };
    var fallback = function () {
      // No clipboard access: select the text so the person can copy it themselves.
      var r = document.createRange();
      r.selectNodeContents(el);
      var s = window.getSelection();
      s.removeAllRanges();
      s.addRange(r);
      b.textContent = b.getAttribute("data-seleccionado");
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });
});
