/* Translate! page: mark rows with unsaved changes ("Edited") and count them, as the User Guide
   describes. Each row saves on its own, so this tells the translator what a save would leave out.
   Progressive only: without JavaScript every row still saves. */
(function () {
  'use strict';
  var list = document.querySelector('.translation-rows[data-edited-label]');
  var counter = document.querySelector('.translation-unsaved[data-label]');
  if (!list || !counter) { return; }

  function changed(form) {
    return Array.prototype.some.call(form.querySelectorAll('input[type="text"], textarea'), function (field) {
      return field.value !== field.defaultValue;
    });
  }

  function update() {
    var edited = 0;
    list.querySelectorAll('.translation-row').forEach(function (row) {
      var form = row.querySelector('form');
      var title = row.querySelector('.translation-row__title');
      var tag = row.querySelector('.translation-edited');
      var isEdited = form && changed(form);
      if (isEdited) {
        edited += 1;
        if (!tag && title) {
          tag = document.createElement('span');
          tag.className = 'tag translation-edited';
          tag.textContent = list.getAttribute('data-edited-label');
          title.insertBefore(tag, title.firstChild);
        }
      } else if (tag) {
        tag.remove();
      }
    });
    counter.hidden = edited === 0;
    counter.textContent = edited ? counter.getAttribute('data-label').replace('$1', edited.toLocaleString(document.documentElement.lang || undefined)) : '';
  }

  list.addEventListener('input', update);
}());
