<?php
/**
 * The chat on a page: one render function behind the [comet_chat] shortcode and the comet-chat/chat
 * block, printing the <comet-chat> tag; the element's bundle is loaded once per page from the chat
 * server. Logged-in users get a signed token, so the server stamps their messages with their name.
 *
 * @package CometChat
 */

defined( 'ABSPATH' ) || exit;

use CometChat\Client;

/** How long a page's user token stays valid: a reconnect after that is anonymous until a reload. */
const COMET_CHAT_TOKEN_TTL = HOUR_IN_SECONDS;

/**
 * The attributes a chat takes, with their defaults ("" = the settings page's value).
 *
 * @return array{pipe: string, title: string, theme: string, readonly: string, height: string}
 */
function comet_chat_attribute_defaults(): array {
	return array(
		'pipe'     => '',
		'title'    => '',
		'theme'    => '',
		'readonly' => '',
		'height'   => '',
	);
}

/**
 * Remembers that the page holds a chat (the footer then loads the bundle) and tells whether it does.
 *
 * @param bool $used True when a chat was just rendered.
 */
function comet_chat_page_has_chat( bool $used = false ): bool {
	static $has_chat = false;
	$has_chat = $has_chat || $used;
	return $has_chat;
}

/**
 * The chat's HTML: the <comet-chat> tag inside a wrapper, and for visitors of a members-only chat a
 * "log in to chat" link. Every value is escaped here; attributes are checked and fall back to the
 * settings page's values when invalid.
 *
 * @param array  $atts    Shortcode or block attributes (see comet_chat_attribute_defaults()).
 * @param string $wrapper The wrapper's attributes, already escaped.
 */
function comet_chat_render( array $atts, string $wrapper = 'class="comet-chat"' ): string {
	$config = comet_chat_config();
	$atts   = array_merge( comet_chat_attribute_defaults(), array_map( 'strval', array_intersect_key( $atts, comet_chat_attribute_defaults() ) ) );
	if ( '' === $config['server'] || '' === $config['dev_id'] ) {
		return current_user_can( 'manage_options' )
			? '<p class="comet-chat-unconfigured">' . esc_html__( 'Comet Chat is not set up yet: enter the chat server under Settings → Comet Chat.', 'comet-chat' ) . '</p>'
			: '';
	}

	$pipe         = comet_chat_is_chat_pipe( trim( $atts['pipe'] ) ) ? trim( $atts['pipe'] ) : $config['pipe'];
	$theme        = in_array( $atts['theme'], COMET_CHAT_THEMES, true ) ? $atts['theme'] : $config['theme'];
	$readonly     = in_array( strtolower( $atts['readonly'] ), array( '1', 'true', 'yes' ), true );
	$members_only = $config['members_only'] || str_starts_with( $pipe, 'webauth_' );
	$title        = trim( sanitize_text_field( $atts['title'] ) );
	$height       = 1 === preg_match( '/^\d{1,4}(\.\d{1,2})?(px|rem|em|vh|%)$/', trim( $atts['height'] ) ) ? trim( $atts['height'] ) : '';

	$tag = array(
		'server'       => esc_url( $config['server'] ),
		'dev-id'       => esc_attr( $config['dev_id'] ),
		'pipe'         => esc_attr( $pipe ),
		'theme'        => esc_attr( $theme ),
		'notices-pipe' => esc_attr( COMET_CHAT_NOTICES_PIPE ),
	);
	$token = comet_chat_user_token();
	if ( null !== $token ) {
		$tag['user-token'] = esc_attr( $token );
	}
	$visitor_locked = null === $token && $members_only;
	if ( $readonly || $visitor_locked ) {
		$tag['readonly'] = '';
	}
	if ( '' !== $title ) {
		$tag['data-title'] = esc_attr( $title );
	}
	if ( '' !== $height ) {
		$tag['style'] = esc_attr( '--comet-chat-height: ' . $height );
	}

	$html = '<comet-chat';
	foreach ( $tag as $name => $value ) {
		$html .= '' === $value && 'readonly' === $name ? ' readonly' : ' ' . $name . '="' . $value . '"';
	}
	$html .= '></comet-chat>';
	if ( $visitor_locked && ! $readonly ) {
		$html .= '<p class="comet-chat-login"><a href="' . esc_url( wp_login_url( (string) get_permalink() ) ) . '">'
			. esc_html__( 'Log in to chat', 'comet-chat' ) . '</a></p>';
	}
	comet_chat_page_has_chat( true );
	return '<div ' . $wrapper . '>' . $html . '</div>';
}

/** A token for the logged-in user (WordPress user ID, display name, expiring within the hour), or null for visitors. */
function comet_chat_user_token(): ?string {
	$user   = wp_get_current_user();
	$client = comet_chat_client();
	if ( ! $user->exists() || null === $client ) {
		return null;
	}
	$name = Client::fitName( $user->display_name );
	return $client->userToken( $user->ID, '' === $name ? null : $name, COMET_CHAT_TOKEN_TTL );
}

/**
 * The [comet_chat] shortcode.
 *
 * @param array|string $atts Attributes as written.
 */
function comet_chat_shortcode( $atts ): string {
	return comet_chat_render( shortcode_atts( comet_chat_attribute_defaults(), is_array( $atts ) ? $atts : array(), 'comet_chat' ) );
}
add_shortcode( 'comet_chat', 'comet_chat_shortcode' );

/**
 * The comet-chat/chat block, rendered on the server by the shortcode's function.
 *
 * @param array $attributes The block's attributes.
 */
function comet_chat_render_block( array $attributes ): string {
	$attributes['readonly'] = empty( $attributes['readonly'] ) ? '' : '1';
	return comet_chat_render( $attributes, get_block_wrapper_attributes() );
}

add_action(
	'init',
	static function () {
		register_block_type( dirname( COMET_CHAT_FILE ) . '/blocks/chat', array( 'render_callback' => 'comet_chat_render_block' ) );
		// block.json's editorScript is registered by WordPress; its strings come from this plugin's languages/.
		wp_set_script_translations( generate_block_asset_handle( 'comet-chat/chat', 'editorScript' ), 'comet-chat', dirname( COMET_CHAT_FILE ) . '/languages' );
	}
);

/**
 * Loads the element once per page, as module scripts: the bundle from the chat server, and the small
 * script that gives each chat its title. WordPress 6.1 has no script modules, so the tags are printed here.
 */
function comet_chat_print_scripts(): void {
	if ( ! comet_chat_page_has_chat() ) {
		return;
	}
	printf( '<script type="module" src="%s"></script>' . "\n", esc_url( comet_chat_config()['server'] . '/comet-chat.js' ) );
	printf( '<script type="module" src="%s"></script>' . "\n", esc_url( plugins_url( 'assets/chat.js', COMET_CHAT_FILE ) . '?ver=' . COMET_CHAT_VERSION ) );
}
add_action( 'wp_footer', 'comet_chat_print_scripts' );
