/*!
 * Events: "Fill in from a link" in place (progressive; without JavaScript the button re-renders the
 * form filled in). Posts the form to the fill URL, which answers only the fields that were empty;
 * a field the organizer typed in while the link was read is left as it is. Nothing is saved.
 * A WikiLearn course's picture comes as a hidden address and a ticked box, shown once filled.
 */
( function () {
	'use strict';

	const box = document.getElementById( 'event-fill' );
	if ( !box || !window.fetch || !window.FormData ) {
		return;
	}
	const form = box.closest( 'form' );
	const button = box.querySelector( 'button[name="fill"]' );
	const link = document.getElementById( 'f-fill_link' );
	const status = document.getElementById( 'event-fill-status' );
	if ( !form || !button || !link || !status ) {
		return;
	}

	function valueOf( name ) {
		const field = form.elements.namedItem( name );
		if ( !field ) {
			return null;
		}
		if ( field instanceof RadioNodeList ) {
			return field.value;
		}
		if ( field.type === 'checkbox' ) {
			return field.checked ? field.value : '';
		}
		return field.value;
	}

	function setValue( name, value ) {
		const field = form.elements.namedItem( name );
		if ( !field ) {
			return;
		}
		if ( field instanceof RadioNodeList ) {
			field.forEach( function ( radio ) {
				radio.checked = radio.value === value;
			} );
			return;
		}
		if ( field.type === 'checkbox' ) {
			field.checked = value !== '';
			return;
		}
		field.value = value;
		field.dispatchEvent( new Event( 'input', { bubbles: true } ) );
	}

	function say( lines, isError ) {
		status.textContent = '';
		if ( !lines.length ) {
			return;
		}
		const list = document.createElement( 'ul' );
		list.className = 'cdx-message ' + ( isError ? 'cdx-message--error' : 'cdx-message--notice' );
		lines.forEach( function ( line ) {
			const item = document.createElement( 'li' );
			item.textContent = line;
			list.appendChild( item );
		} );
		status.appendChild( list );
		link.setAttribute( 'aria-invalid', isError ? 'true' : 'false' );
	}

	let busy = false;

	function fill( event ) {
		event.preventDefault();
		if ( busy ) {
			return;
		}
		busy = true;
		const data = new FormData( form );
		data.set( 'fill', '1' );
		const sent = {};
		data.forEach( function ( value, key ) {
			if ( typeof value === 'string' && !( key in sent ) ) {
				sent[ key ] = value;
			}
		} );
		button.disabled = true;
		say( [ box.getAttribute( 'data-working' ) ], false );
		fetch( box.getAttribute( 'data-fill-url' ), {
			method: 'POST', body: data, credentials: 'same-origin', headers: { Accept: 'application/json' }
		} ).then( function ( response ) {
			if ( response.status !== 200 && response.status !== 422 ) {
				throw new Error( 'HTTP ' + response.status );
			}
			return response.json();
		} ).then( function ( answer ) {
			if ( answer.error ) {
				say( [ answer.error ], true );
				return;
			}
			Object.keys( answer.fields || {} ).forEach( function ( name ) {
				// Typed in while the link was read: the organizer's text wins.
				const now = valueOf( name );
				if ( now === null || now === ( sent[ name ] || '' ) ) {
					setValue( name, answer.fields[ name ] );
				}
			} );
			const picture = document.getElementById( 'event-course-image' );
			if ( picture && valueOf( 'course_image' ) ) {
				picture.hidden = false;
			}
			say( answer.messages || [], false );
		} ).catch( function () {
			// The in-place fill failed: the form's own way (a page re-rendered filled in) still works.
			busy = false;
			button.disabled = false;
			form.removeEventListener( 'submit', onSubmit );
			if ( form.requestSubmit ) {
				form.requestSubmit( button );
			}
		} ).finally( function () {
			busy = false;
			button.disabled = false;
		} );
	}

	function onSubmit( event ) {
		if ( event.submitter === button ) {
			fill( event );
		}
	}

	form.addEventListener( 'submit', onSubmit );
	link.addEventListener( 'keydown', function ( event ) {
		if ( event.key === 'Enter' ) {
			fill( event );
		}
	} );
}() );
