// Profiles: copy-link button and the bio character counter (progressive enhancement only).
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = button.getAttribute("data-copied-label");
      });
    });
  });
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!field) { return; }
    var max = parseInt(field.getAttribute("data-maxlength"), 10);
    var update = function () {
      var left = max - field.value.length;
      counter.textContent = left + " / " + max;
      counter.classList.toggle("char-counter--over", left < 0);
    };
    counter.hidden = false;
    field.addEventListener("input", update);
    update();
  });
}());
