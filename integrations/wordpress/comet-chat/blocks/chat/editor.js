/**
 * The Comet Chat block in the editor: a placeholder showing the chat's settings, and the controls
 * in the sidebar. Plain JavaScript on WordPress's globals (no build step); the page itself is
 * rendered on the server by the same function as the [comet_chat] shortcode.
 */
( function ( wp ) {
	const { registerBlockType } = wp.blocks;
	const { useBlockProps, InspectorControls } = wp.blockEditor;
	const { PanelBody, TextControl, SelectControl, ToggleControl, Placeholder } = wp.components;
	const { createElement: el, Fragment } = wp.element;
	const { __, sprintf } = wp.i18n;

	function Edit( { attributes, setAttributes } ) {
		const set = ( name ) => ( value ) => setAttributes( { [ name ]: value } );
		const controls = el(
			InspectorControls,
			null,
			el(
				PanelBody,
				{ title: __( 'Chat settings', 'comet-chat' ) },
				el( TextControl, {
					label: __( 'Pipe', 'comet-chat' ),
					help: __( 'web_… lets visitors write; webauth_… only logged-in users. Empty: the default pipe.', 'comet-chat' ),
					value: attributes.pipe,
					onChange: set( 'pipe' ),
				} ),
				el( TextControl, { label: __( 'Title', 'comet-chat' ), value: attributes.title, onChange: set( 'title' ) } ),
				el( SelectControl, {
					label: __( 'Theme', 'comet-chat' ),
					value: attributes.theme,
					options: [
						{ value: '', label: __( 'Default', 'comet-chat' ) },
						{ value: 'light', label: __( 'Light', 'comet-chat' ) },
						{ value: 'dark', label: __( 'Dark', 'comet-chat' ) },
						{ value: 'auto', label: __( 'Auto (follows the system)', 'comet-chat' ) },
					],
					onChange: set( 'theme' ),
				} ),
				el( ToggleControl, { label: __( 'Read-only', 'comet-chat' ), checked: attributes.readonly, onChange: set( 'readonly' ) } ),
				el( TextControl, {
					label: __( 'Height', 'comet-chat' ),
					help: __( 'A CSS length such as 30rem or 480px. Empty: the element\'s own.', 'comet-chat' ),
					value: attributes.height,
					onChange: set( 'height' ),
				} )
			)
		);
		const summary = attributes.pipe
			? /* translators: %s: pipe name */ sprintf( __( 'Live chat in the pipe %s.', 'comet-chat' ), attributes.pipe )
			: __( 'Live chat in the default pipe.', 'comet-chat' );
		return el(
			Fragment,
			null,
			controls,
			el(
				'div',
				useBlockProps(),
				el( Placeholder, { icon: 'format-chat', label: attributes.title || __( 'Comet Chat', 'comet-chat' ), instructions: summary } )
			)
		);
	}

	registerBlockType( 'comet-chat/chat', { edit: Edit, save: () => null } );
} )( window.wp );
