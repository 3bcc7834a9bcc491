/*
 * Type-ahead for pickers (capx/forms/pickers.py, macros/pickers.html): a progressive enhancement.
 *
 * Without this script a picker works through the server-side "Search" step. With it, typing in
 * the search box asks /api/suggest/<kind>?q=… and shows an ARIA combobox listbox; choosing an
 * option (click, or arrow keys + Enter) adds a ticked chip to the chosen list, exactly the
 * checkbox the server would have rendered, so the form submits the same data either way.
 */
(function () {
	'use strict';

	var DELAY = 200;

	function setup(fieldset) {
		var name = fieldset.getAttribute('data-picker-name');
		var url = fieldset.getAttribute('data-suggest-url');
		var input = fieldset.querySelector('input[type="search"]');
		var selected = fieldset.querySelector('.picker__selected');
		if (!name || !url || !input || !selected) {
			return;
		}
		var listId = 'picker-' + name + '-listbox';
		var list = document.createElement('ul');
		list.id = listId;
		list.className = 'picker__results picker__results--live';
		list.setAttribute('role', 'listbox');
		list.hidden = true;
		input.parentNode.insertBefore(list, input.nextSibling);
		input.setAttribute('role', 'combobox');
		input.setAttribute('aria-autocomplete', 'list');
		input.setAttribute('aria-expanded', 'false');
		input.setAttribute('aria-controls', listId);
		var status = document.createElement('p');
		status.className = 'visually-hidden';
		status.setAttribute('role', 'status');
		fieldset.appendChild(status);

		var timer = null;
		var active = -1;
		var options = [];
		var request = 0;

		function chosenValues() {
			var values = {};
			selected.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
				if (box.checked) {
					values[box.value] = true;
				}
			});
			return values;
		}

		function close() {
			list.hidden = true;
			list.textContent = '';
			input.setAttribute('aria-expanded', 'false');
			input.removeAttribute('aria-activedescendant');
			options = [];
			active = -1;
		}

		function highlight(index) {
			var items = list.querySelectorAll('[role="option"]');
			items.forEach(function (item, i) {
				item.setAttribute('aria-selected', i === index ? 'true' : 'false');
			});
			active = index;
			if (index >= 0 && items[index]) {
				input.setAttribute('aria-activedescendant', items[index].id);
				items[index].scrollIntoView({ block: 'nearest' });
			}
		}

		function add(option) {
			var empty = selected.querySelector('.picker__empty');
			if (empty) {
				empty.remove();
			}
			if (!chosenValues()[String(option.value)]) {
				var li = document.createElement('li');
				li.className = 'chip';
				var label = document.createElement('label');
				var box = document.createElement('input');
				box.type = 'checkbox';
				box.name = name;
				box.value = String(option.value);
				box.checked = true;
				var text = document.createElement('span');
				text.textContent = option.label;
				label.appendChild(box);
				label.appendChild(document.createTextNode(' '));
				label.appendChild(text);
				li.appendChild(label);
				selected.appendChild(li);
			}
			status.textContent = option.label;
			input.value = '';
			close();
			input.focus();
		}

		function render(results) {
			list.textContent = '';
			var chosen = chosenValues();
			options = results.filter(function (r) { return !chosen[String(r.value)]; });
			options.forEach(function (option, i) {
				var li = document.createElement('li');
				li.id = listId + '-' + i;
				li.setAttribute('role', 'option');
				li.setAttribute('aria-selected', 'false');
				li.textContent = option.label;
				if (option.detail) {
					var detail = document.createElement('span');
					detail.className = 'text-subtle';
					detail.textContent = ' (' + option.detail + ')';
					li.appendChild(detail);
				}
				li.addEventListener('mousedown', function (event) {
					event.preventDefault();
					add(option);
				});
				list.appendChild(li);
			});
			var open = options.length > 0;
			list.hidden = !open;
			input.setAttribute('aria-expanded', open ? 'true' : 'false');
			active = -1;
		}

		function lookup() {
			var query = input.value.trim();
			if (!query) {
				close();
				return;
			}
			var mine = ++request;
			fetch(url + '?q=' + encodeURIComponent(query), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
				.then(function (response) { return response.ok ? response.json() : []; })
				.then(function (results) {
					if (mine === request) {
						render(results);
					}
				})
				.catch(close);
		}

		input.addEventListener('input', function () {
			clearTimeout(timer);
			timer = setTimeout(lookup, DELAY);
		});
		input.addEventListener('keydown', function (event) {
			if (event.key === 'ArrowDown' && options.length) {
				event.preventDefault();
				highlight((active + 1) % options.length);
			} else if (event.key === 'ArrowUp' && options.length) {
				event.preventDefault();
				highlight(active <= 0 ? options.length - 1 : active - 1);
			} else if (event.key === 'Enter') {
				// Enter in the search box must not submit the whole form.
				event.preventDefault();
				if (active >= 0 && options[active]) {
					add(options[active]);
				} else if (options.length === 1) {
					add(options[0]);
				} else {
					lookup();
				}
			} else if (event.key === 'Escape') {
				close();
			}
		});
		input.addEventListener('blur', function () {
			setTimeout(close, 150);
		});
	}

	function init() {
		document.querySelectorAll('[data-picker-name][data-suggest-url]').forEach(setup);
	}

	if (document.readyState === 'loading') {
		document.addEventListener('DOMContentLoaded', init);
	} else {
		init();
	}
}());
