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
  // A language added with the type-ahead gets its proficiency choice at once (default Advanced),
  // as the server renders it for languages chosen through the search step.
  var languages = document.querySelector("#picker-language .picker__selected");
  var fields = document.getElementById("proficiency-fields");
  var template = document.getElementById("proficiency-template");
  if (languages && fields && template && window.MutationObserver) {
    var addProficiency = function () {
      languages.querySelectorAll('input[type="checkbox"][name="language"]').forEach(function (box) {
        var id = "proficiency_" + box.value;
        if (document.getElementById(id)) { return; }
        var field = template.content.firstElementChild.cloneNode(true);
        var label = field.querySelector("label");
        var select = field.querySelector("select");
        var name = box.closest("label") ? box.closest("label").textContent.trim() : box.value;
        label.textContent = template.getAttribute("data-label").replace("$1", name);
        label.htmlFor = id;
        select.id = id;
        select.name = id;
        fields.appendChild(field);
        fields.hidden = false;
      });
    };
    new MutationObserver(addProficiency).observe(languages, { childList: true });
  }
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!field) { return; }
    var max = parseInt(field.getAttribute("data-maxlength"), 10);
    var update = function () {
      var left = max - field.value.length;
      var lang = document.documentElement.lang || undefined;
      var label = counter.getAttribute("data-counter-label") || "$1 / " + max;
      counter.textContent = label.replace("$1", left.toLocaleString(lang));
      counter.classList.toggle("char-counter--over", left < 0);
    };
    counter.hidden = false;
    field.addEventListener("input", update);
    update();
  });
}());
