/*!
 * CapX (Wikimedia Capacity Exchange) — progressive enhancement.
 *
 * Every page works without this file. Loaded with `defer` from base.html; it
 * only looks for the hooks below and does nothing where they are absent.
 * Hooks are documented in docs/ui-components.md.
 *
 *   html.js                               -> hides .js-hide (CSS)
 *   details.site-nav__menu                -> open (a row of links) on desktop widths
 *   details.header-menu, details.site-nav__menu -> Escape, a click elsewhere or
 *                                            focus leaving closes the open one
 *   [data-copy-target] + [data-copy-status] -> copy to clipboard
 *   textarea[data-maxlength-counter][data-max] -> live character counter
 *   form[data-confirm], button[data-confirm] -> confirm before submit
 *   select[data-autosubmit]               -> submit its form on change
 */
( function () {
	'use strict';

	const root = document.documentElement;

	// First, so .js-hide controls disappear as early as possible.
	root.classList.add( 'js' );

	/**
	 * querySelector that treats an invalid selector (from a data attribute)
	 * as "not found" instead of throwing.
	 *
	 * @param {string|null} selector
	 * @return {Element|null}
	 */
	function findBySelector( selector ) {
		if ( !selector ) {
			return null;
		}
		try {
			return document.querySelector( selector );
		} catch ( e ) {
			return null;
		}
	}

	/**
	 * Submit a form the way a button would: requestSubmit() fires the
	 * submit event (so data-confirm applies) and runs constraint validation;
	 * form.submit() does neither and is only the fallback.
	 *
	 * @param {HTMLFormElement|null} form
	 */
	function submitForm( form ) {
		if ( !form ) {
			return;
		}
		if ( typeof form.requestSubmit === 'function' ) {
			form.requestSubmit();
		} else {
			form.submit();
		}
	}

	/* ------------------------------------------------------------------
	 * Header. The main links are a <details> disclosure ("Menu") below the
	 * desktop breakpoint; from it the list is always shown (summary hidden
	 * by CSS), which needs [open] because CSS cannot open a <details>
	 * everywhere. The settings and personal menus are <details> too: all of
	 * them open and close without this script. It adds what a menu button
	 * is expected to do: Escape closes the open one and puts focus back on
	 * its toggle; a click elsewhere, or focus moving out of it, closes it;
	 * opening one closes the others.
	 * ------------------------------------------------------------------ */

	/**
	 * The desktop breakpoint as a media query list (the token in capx.css,
	 * with its value as fallback), or null where matchMedia is missing.
	 *
	 * @return {MediaQueryList|null}
	 */
	function desktopQuery() {
		if ( typeof window.matchMedia !== 'function' ) {
			return null;
		}
		let breakpoint = getComputedStyle( root )
			.getPropertyValue( '--min-width-breakpoint-desktop' ).trim();
		if ( !/^\d+(\.\d+)?(px|em|rem)$/.test( breakpoint ) ) {
			breakpoint = '1120px';
		}
		return window.matchMedia( `(min-width: ${ breakpoint })` );
	}

	function initNav() {
		const wide = desktopQuery();
		const navMenus = Array.from( document.querySelectorAll( 'details.site-nav__menu' ) );
		const menus = navMenus.concat( Array.from( document.querySelectorAll( 'details.header-menu' ) ) );
		if ( !menus.length ) {
			return;
		}
		// The main links are a row, not a menu, on a desktop: never closed there.
		const isRow = ( menu ) => !!wide && wide.matches && navMenus.indexOf( menu ) !== -1;

		if ( wide ) {
			const sync = () => {
				navMenus.forEach( ( menu ) => {
					menu.open = wide.matches;
				} );
			};
			sync();
			if ( typeof wide.addEventListener === 'function' ) {
				wide.addEventListener( 'change', sync );
			} else if ( typeof wide.addListener === 'function' ) {
				wide.addListener( sync ); // Safari < 14
			}
		}

		const close = ( menu, refocus ) => {
			if ( !menu.open || isRow( menu ) ) {
				return;
			}
			menu.open = false;
			const summary = menu.querySelector( 'summary' );
			if ( refocus && summary ) {
				summary.focus();
			}
		};

		menus.forEach( ( menu ) => {
			menu.addEventListener( 'keydown', ( event ) => {
				if ( event.key === 'Escape' && menu.open && !isRow( menu ) ) {
					event.preventDefault();
					close( menu, true );
				}
			} );
			// Tabbing past the last entry (or back before the toggle) closes it.
			menu.addEventListener( 'focusout', ( event ) => {
				const next = event.relatedTarget;
				if ( next instanceof Node && !menu.contains( next ) ) {
					close( menu, false );
				}
			} );
			menu.addEventListener( 'toggle', () => {
				if ( menu.open && !isRow( menu ) ) {
					menus.forEach( ( other ) => {
						if ( other !== menu ) {
							close( other, false );
						}
					} );
				}
			} );
		} );

		document.addEventListener( 'click', ( event ) => {
			menus.forEach( ( menu ) => {
				if ( menu.open && event.target instanceof Node && !menu.contains( event.target ) ) {
					close( menu, false );
				}
			} );
		} );
	}

	/* ------------------------------------------------------------------
	 * Copy to clipboard. Buttons ship with [hidden] and are revealed only
	 * where the Clipboard API works (it needs a secure context).
	 * ------------------------------------------------------------------ */

	/**
	 * The live region for a copy button: the first [data-copy-status] among
	 * its following siblings, else inside its parent element.
	 *
	 * @param {Element} button
	 * @return {Element|null}
	 */
	function findCopyStatus( button ) {
		for ( let el = button.nextElementSibling; el; el = el.nextElementSibling ) {
			if ( el.matches( '[data-copy-status]' ) ) {
				return el;
			}
		}
		return button.parentElement ?
			button.parentElement.querySelector( '[data-copy-status]' ) :
			null;
	}

	/**
	 * Put text in a live region so screen readers announce it, even when the
	 * same text is announced twice in a row.
	 *
	 * @param {Element|null} region
	 * @param {string} text
	 */
	function announce( region, text ) {
		if ( !region ) {
			return;
		}
		region.textContent = '';
		window.setTimeout( () => {
			region.textContent = text;
		}, 50 );
	}

	function initCopy() {
		const buttons = document.querySelectorAll( '[data-copy-target]' );
		if ( !buttons.length || !window.isSecureContext ||
			!navigator.clipboard || typeof navigator.clipboard.writeText !== 'function' ) {
			return; // Buttons stay hidden; the text itself remains selectable.
		}
		buttons.forEach( ( button ) => {
			button.hidden = false;
			button.addEventListener( 'click', async ( event ) => {
				event.preventDefault();
				const target = findBySelector( button.getAttribute( 'data-copy-target' ) );
				if ( !target ) {
					return;
				}
				const text = target.matches( 'input, textarea, select, output' ) ?
					target.value :
					target.textContent.trim();
				const status = findCopyStatus( button );
				try {
					await navigator.clipboard.writeText( text );
					announce( status, button.getAttribute( 'data-copied-text' ) || '' );
				} catch ( e ) {
					// Permission refused: say so if the template gave us the words.
					const failed = button.getAttribute( 'data-copy-failed-text' );
					if ( failed ) {
						announce( status, failed );
					}
				}
			} );
		} );
	}

	/* ------------------------------------------------------------------
	 * Character counter. A character is what the server counts: a Unicode
	 * code point (Python's len), so an emoji is one, not the two UTF-16
	 * units of String.length; a line break is one too (the server reads the
	 * CR LF a browser sends as one). The limit is the field's data-max: the
	 * fields have no maxlength, which browsers count in UTF-16 units and
	 * which would stop typing short of a text the server accepts.
	 *
	 * The counter element (aria-live="polite") shows "length / max", or its
	 * translatable data-template with $1 = the length (with data-count="left":
	 * what is left) and $2 = the maximum. Past the limit it gets
	 * .char-counter--over; the server refuses the text with its own message.
	 * Updates are debounced so screen readers hear the count after a pause
	 * in typing, not after every key.
	 * ------------------------------------------------------------------ */

	/**
	 * The number of characters in a text, counted as the server counts them.
	 *
	 * @param {string} text
	 * @return {number}
	 */
	function countCharacters( text ) {
		// Array.from splits a string by code points; String.length counts UTF-16 units.
		return Array.from( text.replace( /\r\n/g, '\n' ) ).length;
	}

	/**
	 * Format a number for the page's language with Latin digits, as the
	 * server's messages do.
	 *
	 * @param {number} number
	 * @return {string}
	 */
	function formatNumber( number ) {
		try {
			return new Intl.NumberFormat( root.lang || undefined, { numberingSystem: 'latn' } ).format( number );
		} catch ( e ) {
			return String( number );
		}
	}

	function initCharCounters() {
		document.querySelectorAll( 'textarea[data-maxlength-counter]' ).forEach( ( field ) => {
			const counter = findBySelector( field.getAttribute( 'data-maxlength-counter' ) );
			if ( !counter ) {
				return;
			}
			const max = parseInt( field.getAttribute( 'data-max' ) || '', 10 );
			const hasMax = Number.isFinite( max ) && max > 0;
			const showLeft = hasMax && counter.getAttribute( 'data-count' ) === 'left';
			const template = counter.getAttribute( 'data-template' );
			let timer = 0;

			const render = () => {
				const length = countCharacters( field.value );
				const shown = formatNumber( showLeft ? max - length : length );
				let text;
				if ( template ) {
					text = template
						.replace( /\$1/g, shown )
						.replace( /\$2/g, hasMax ? formatNumber( max ) : '' );
				} else {
					text = hasMax ? `${ shown } / ${ formatNumber( max ) }` : shown;
				}
				if ( counter.textContent !== text ) {
					counter.textContent = text;
				}
				counter.classList.toggle( 'char-counter--over', hasMax && length > max );
			};

			render();
			counter.hidden = false;
			field.addEventListener( 'input', () => {
				window.clearTimeout( timer );
				timer = window.setTimeout( render, 300 );
			} );
			// Browsers restore form values on back/forward navigation.
			window.addEventListener( 'pageshow', render );
		} );
	}

	/* ------------------------------------------------------------------
	 * Confirm before submitting. A data-confirm on the pressed button wins
	 * over one on the form. The server has its own confirmation step; this
	 * only saves a round trip.
	 * ------------------------------------------------------------------ */
	function initConfirm() {
		document.addEventListener( 'submit', ( event ) => {
			const form = event.target;
			if ( event.defaultPrevented || !( form instanceof HTMLFormElement ) ) {
				return;
			}
			const submitter = event.submitter;
			const message = ( submitter && submitter.getAttribute( 'data-confirm' ) ) ||
				form.getAttribute( 'data-confirm' );
			if ( message && !window.confirm( message ) ) {
				event.preventDefault();
			}
		} );
	}

	/* ------------------------------------------------------------------
	 * Auto-submit selects (language picker). Mouse and touch choices submit
	 * at once. With the keyboard, some browsers fire `change` on every arrow
	 * key of a closed select, so a keyboard choice submits on Enter or when
	 * focus leaves the select, never while the user is still browsing.
	 * The form keeps a .js-hide submit button for visitors without JS.
	 * ------------------------------------------------------------------ */
	function initAutosubmit() {
		const browsingKeys = /^(Arrow|Page|Home$|End$)|^.$/;
		document.querySelectorAll( 'select[data-autosubmit]' ).forEach( ( select ) => {
			let lastKey = null;
			let pending = false;

			const submit = () => {
				pending = false;
				submitForm( select.form );
			};

			select.addEventListener( 'pointerdown', () => {
				lastKey = null;
			} );
			select.addEventListener( 'keydown', ( event ) => {
				lastKey = event.key;
				if ( event.key === 'Enter' && pending ) {
					event.preventDefault();
					submit();
				}
			} );
			select.addEventListener( 'change', () => {
				if ( lastKey && browsingKeys.test( lastKey ) ) {
					pending = true;
				} else {
					submit();
				}
			} );
			select.addEventListener( 'blur', () => {
				if ( pending ) {
					submit();
				}
			} );
		} );
	}

	// One broken feature must not stop the others.
	[ initNav, initCopy, initCharCounters, initConfirm, initAutosubmit ].forEach( ( init ) => {
		try {
			init();
		} catch ( e ) {
			if ( window.console ) {
				window.console.error( 'capx.js:', e );
			}
		}
	} );
}() );
