// iop — saves the Nota Interna's draft as the Líder types (step 5). Progressive enhancement: the
// form's «Guardar borrador» button saves it without this script; with it, a pause in typing saves
// it, and the status line says when (or why not).
"use strict";
document.querySelectorAll("form[data-borrador]").forEach(function (form) {
  var status = form.querySelector("[data-estado-borrador]");
  var button = form.querySelector("button[data-guardar-borrador]");
  if (!status || !button) { return; }
  var timer = null;
  var saving = false;
  var again = false;
  var save = function () {
    if (saving) { again = true; return; }
    saving = true;
    var data = new URLSearchParams();
    ["_csrf", "cuerpo", "recomendaciones"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field) { data.append(name, field.value); }
    });
    fetch(button.getAttribute("formaction"), {
      method: "POST",
      headers: { "Accept": "application/json" },
      body: data,
      credentials: "same-origin"
    }).then(function (r) {
      if (r.ok) {
        var now = new Date();
        var hhmm = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
        status.textContent = status.getAttribute("data-guardado") + " " + hhmm + ".";
        status.setAttribute("data-guardado-ok", "true");
        return null;
      }
      return r.json().then(function (e) {
        status.textContent = status.getAttribute("data-no-guardado") + " " + (e.mensaje || "");
        status.setAttribute("data-guardado-ok", "false");
      });
    }).catch(function () {
      status.textContent = status.getAttribute("data-no-guardado");
      status.setAttribute("data-guardado-ok", "false");
    }).then(function () {
      saving = false;
      if (again) { again = false; save(); }
    });
  };
  form.addEventListener("input", function (ev) {
    var name = ev.target && ev.target.name;
    if (name !== "cuerpo" && name !== "recomendaciones") { return; }
    status.removeAttribute("data-guardado-ok");
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1200);
  });
});
