/*!
 * Messages: live availability check of the recipient (progressive; the server checks again
 * on submit). Asks /message/availability after typing pauses, shows the label, and offers
 * Email only when both sides can use it.
 */
( function () {
	'use strict';

	const form = document.querySelector( 'form[data-availability-url]' );
	if ( !form || !window.fetch ) {
		return;
	}
	const input = form.querySelector( '[data-availability-input]' );
	const status = document.getElementById( 'recipient-status' );
	const method = form.querySelector( 'select[name="method"]' );
	if ( !input || !status ) {
		return;
	}
	const url = form.getAttribute( 'data-availability-url' );
	let timer = null;
	let last = null;
	let controller = null;

	function show( data ) {
		status.textContent = '';
		const label = document.createElement( 'span' );
		label.className = 'availability__label availability__label--' + data.status;
		label.textContent = data.label;
		status.appendChild( label );
		if ( data.blocked_label ) {
			const blocked = document.createElement( 'span' );
			blocked.className = 'availability__label availability__label--locked';
			blocked.textContent = ' ' + data.blocked_label;
			status.appendChild( blocked );
		}
		status.setAttribute( 'data-status', data.status );
		if ( method ) {
			const email = method.querySelector( 'option[value="email"]' );
			if ( email ) {
				const open = data.methods.indexOf( 'email' ) !== -1 || data.methods.length === 0;
				email.disabled = !open;
				if ( !open && method.value === 'email' ) {
					method.value = 'talk';
				}
			}
		}
	}

	function check() {
		const name = input.value.trim();
		if ( !name || name === last ) {
			return;
		}
		last = name;
		if ( controller ) {
			controller.abort();
		}
		controller = window.AbortController ? new AbortController() : null;
		fetch( url + '?username=' + encodeURIComponent( name ), {
			credentials: 'same-origin',
			headers: { Accept: 'application/json' },
			signal: controller ? controller.signal : undefined
		} ).then( function ( response ) {
			return response.ok ? response.json() : null;
		} ).then( function ( data ) {
			if ( data && input.value.trim() === name ) {
				show( data );
			}
		} ).catch( function () {} );
	}

	input.addEventListener( 'input', function () {
		clearTimeout( timer );
		timer = setTimeout( check, 600 );
	} );
	input.addEventListener( 'change', check );
	if ( input.value.trim() && !status.hasAttribute( 'data-status' ) ) {
		check();
	}
}() );
