// EstateFlow progressive enhancement. Everything works without this file: the signature
// pad only adds drawing next to the typed-name field, which stays the fallback.
(function () {
  "use strict";
  function pad(canvas) {
    var holder = canvas.closest(".signature");
    var input = holder.querySelector('input[name="' + canvas.dataset.input + '"]');
    var ctx = canvas.getContext("2d");
    var drawing = false;
    holder.classList.add("live");
    ctx.lineWidth = 2;
    ctx.lineCap = "round";
    function at(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width,
              (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      var p = at(event);
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = at(event);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
    });
    canvas.addEventListener("pointerup", function () {
      drawing = false;
      input.value = canvas.toDataURL("image/png");
    });
  }
  function init(root) {
    root.querySelectorAll("canvas.pad").forEach(function (canvas) {
      if (!canvas.dataset.ready) { canvas.dataset.ready = "1"; pad(canvas); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
