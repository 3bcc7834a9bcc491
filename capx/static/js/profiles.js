// Profiles: copy-link button and proficiency fields for languages added by the type-ahead
// (progressive enhancement only; the bio counter is capx.js's).
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
}());
