/* Capacity Directory: keyboard navigation of the tree view (WAI-ARIA tree pattern).
   Progressive: without JavaScript the tree is nested lists of links, all visible. */
(function () {
  'use strict';

  function items(tree) {
    return Array.prototype.filter.call(tree.querySelectorAll('[role="treeitem"]'), function (item) {
      for (var el = item.parentElement; el && el !== tree; el = el.parentElement) {
        if (el.getAttribute('role') === 'treeitem' && el.getAttribute('aria-expanded') === 'false') {
          return false;
        }
      }
      return true;
    });
  }

  function focus(tree, item) {
    tree.querySelectorAll('[role="treeitem"]').forEach(function (other) { other.tabIndex = -1; });
    item.tabIndex = 0;
    item.focus();
  }

  function setup(tree) {
    tree.setAttribute('role', 'tree');
    tree.querySelectorAll('ul').forEach(function (group) { group.setAttribute('role', 'group'); });
    tree.querySelectorAll('li').forEach(function (li, index) {
      li.setAttribute('role', 'treeitem');
      li.tabIndex = index === 0 ? 0 : -1;
      var link = li.querySelector(':scope > a');
      if (link) { link.tabIndex = -1; }
      if (li.querySelector(':scope > ul')) {
        li.setAttribute('aria-expanded', li.parentElement === tree ? 'true' : 'false');
      }
    });
    tree.addEventListener('click', function (event) {
      var item = event.target.closest('[role="treeitem"]');
      if (item) { focus(tree, item); }
    });
    tree.addEventListener('keydown', function (event) {
      var item = event.target.closest('[role="treeitem"]');
      if (!item || event.target !== item) { return; }
      var visible = items(tree);
      var index = visible.indexOf(item);
      var expanded = item.getAttribute('aria-expanded');
      var handled = true;
      switch (event.key) {
        case 'ArrowDown': if (index < visible.length - 1) { focus(tree, visible[index + 1]); } break;
        case 'ArrowUp': if (index > 0) { focus(tree, visible[index - 1]); } break;
        case 'Home': focus(tree, visible[0]); break;
        case 'End': focus(tree, visible[visible.length - 1]); break;
        case 'ArrowRight':
          if (expanded === 'false') { item.setAttribute('aria-expanded', 'true'); }
          else if (expanded === 'true') { focus(tree, item.querySelector('[role="treeitem"]')); }
          break;
        case 'ArrowLeft':
          if (expanded === 'true') { item.setAttribute('aria-expanded', 'false'); }
          else {
            var parent = item.parentElement.closest('[role="treeitem"]');
            if (parent) { focus(tree, parent); }
          }
          break;
        case 'Enter': {
          var link = item.querySelector(':scope > a');
          if (link) { link.click(); }
          break;
        }
        default: handled = false;
      }
      if (handled) { event.preventDefault(); }
    });
  }

  document.querySelectorAll('[data-tree]').forEach(setup);
}());
