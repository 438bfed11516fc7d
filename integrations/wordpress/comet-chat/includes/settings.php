<?php
/**
 * The plugin's configuration: one option holding the settings page's fields, the wp-config.php
 * constants that win over it, and the client of the chat server built from them.
 *
 * @package CometChat
 */

defined( 'ABSPATH' ) || exit;

use CometChat\Client;
use CometChat\CometChatException;

/** The option with the settings page's fields. The secret lives inside it, never as an option of its own: wp-admin/options.php prints plain options but not arrays. */
const COMET_CHAT_OPTION = 'comet_chat_settings';
/** The option listing the WordPress users banned on the moderation screen. */
const COMET_CHAT_BANS_OPTION = 'comet_chat_bans';
/** The pipe of the userLogin / userExit notices: the element's default `notices-pipe`, the seed's loginPipe. */
const COMET_CHAT_NOTICES_PIPE = 'loginPipe';
/** Seconds a login or logout may wait for its notice: a slow chat server must not hold up a login. */
const COMET_CHAT_NOTICE_TIMEOUT = 1.0;
/** Seconds an admin screen waits for the chat server. */
const COMET_CHAT_ADMIN_TIMEOUT = 5.0;
/** The wp-config.php constant that wins over each field, when defined. */
const COMET_CHAT_CONSTANTS = array(
	'server' => 'COMET_CHAT_SERVER',
	'dev_id' => 'COMET_CHAT_DEV_ID',
	'secret' => 'COMET_CHAT_SECRET',
);
const COMET_CHAT_THEMES = array( 'light', 'dark', 'auto' );

/**
 * The fields with their defaults.
 *
 * @return array{server: string, dev_id: string, secret: string, pipe: string, theme: string, members_only: bool}
 */
function comet_chat_defaults(): array {
	return array(
		'server'       => '',
		'dev_id'       => '',
		'secret'       => '',
		'pipe'         => 'web_wordpress',
		'theme'        => 'light',
		'members_only' => false,
	);
}

/** What the settings page saved (constants not applied). */
function comet_chat_saved(): array {
	$saved = get_option( COMET_CHAT_OPTION, array() );
	return array_merge( comet_chat_defaults(), is_array( $saved ) ? $saved : array() );
}

/** Whether a wp-config.php constant sets this field (the page then shows it read-only). */
function comet_chat_locked( string $field ): bool {
	return isset( COMET_CHAT_CONSTANTS[ $field ] ) && defined( COMET_CHAT_CONSTANTS[ $field ] );
}

/** The configuration in force: the constants where defined, else the saved fields. */
function comet_chat_config(): array {
	$config = comet_chat_saved();
	foreach ( COMET_CHAT_CONSTANTS as $field => $constant ) {
		if ( defined( $constant ) ) {
			$config[ $field ] = (string) constant( $constant );
		}
	}
	$config['server'] = untrailingslashit( $config['server'] );
	return $config;
}

/** A client of the chat server, or null while server, dev id or secret is missing or malformed. */
function comet_chat_client( float $timeout = COMET_CHAT_ADMIN_TIMEOUT ): ?Client {
	$config = comet_chat_config();
	if ( '' === $config['server'] || '' === $config['dev_id'] || '' === $config['secret'] ) {
		return null;
	}
	try {
		return new Client( $config['server'], $config['dev_id'], $config['secret'], $timeout );
	} catch ( CometChatException $e ) {
		return null;
	}
}

/** Pipes a chat may use: `web_` (anyone may write) and `webauth_` (logged-in users only), as the server names them. */
function comet_chat_is_chat_pipe( string $pipe ): bool {
	return 1 === preg_match( '/^(web_|webauth_)[A-Za-z0-9_-]+$/', $pipe ) && strlen( $pipe ) <= 64;
}

/** Registers the option with its sanitize callback (nothing of it goes to the REST API). */
function comet_chat_register_setting(): void {
	register_setting(
		'comet_chat',
		COMET_CHAT_OPTION,
		array(
			'type'              => 'array',
			'sanitize_callback' => 'comet_chat_sanitize_settings',
			'show_in_rest'      => false,
			'default'           => comet_chat_defaults(),
		)
	);
}
add_action( 'admin_init', 'comet_chat_register_setting' );

/**
 * The sanitize callback of the settings option. A field that is absent (shown read-only because a
 * constant sets it) or invalid keeps its saved value; an empty secret keeps the saved secret.
 *
 * @param mixed $input The submitted fields.
 */
function comet_chat_sanitize_settings( $input ): array {
	$input = is_array( $input ) ? $input : array();
	$out   = comet_chat_saved();

	if ( isset( $input['server'] ) && is_string( $input['server'] ) ) {
		$server = untrailingslashit( esc_url_raw( trim( $input['server'] ), array( 'http', 'https' ) ) );
		$parts  = wp_parse_url( $server );
		if ( '' === trim( $input['server'] ) ) {
			$out['server'] = '';
		} elseif ( is_array( $parts ) && ! empty( $parts['host'] ) && ! isset( $parts['query'] ) && ! isset( $parts['user'] ) ) {
			$out['server'] = $server;
		} else {
			add_settings_error( COMET_CHAT_OPTION, 'server', __( 'The server URL must be an http(s) address such as https://chat.example.com.', 'comet-chat' ) );
		}
	}
	if ( isset( $input['dev_id'] ) && is_string( $input['dev_id'] ) ) {
		$dev_id = trim( $input['dev_id'] );
		if ( '' === $dev_id || 1 === preg_match( '/^[A-Za-z0-9_-]{1,64}$/', $dev_id ) ) {
			$out['dev_id'] = $dev_id;
		} else {
			add_settings_error( COMET_CHAT_OPTION, 'dev_id', __( 'The dev id is 1 to 64 letters, digits, "_" or "-".', 'comet-chat' ) );
		}
	}
	if ( isset( $input['secret'] ) && is_string( $input['secret'] ) && '' !== trim( $input['secret'] ) ) {
		$secret = trim( $input['secret'] );
		if ( 1 === preg_match( '/^[\x21-\x7e]{1,256}$/', $secret ) ) {
			$out['secret'] = $secret;
		} else {
			add_settings_error( COMET_CHAT_OPTION, 'secret', __( 'The app secret was not saved: it holds spaces or characters outside ASCII.', 'comet-chat' ) );
		}
	}
	if ( isset( $input['theme'] ) && in_array( $input['theme'], COMET_CHAT_THEMES, true ) ) {
		$out['theme'] = $input['theme'];
	}
	$out['members_only'] = ! empty( $input['members_only'] );
	if ( isset( $input['pipe'] ) && is_string( $input['pipe'] ) ) {
		$pipe = trim( $input['pipe'] );
		if ( comet_chat_is_chat_pipe( $pipe ) ) {
			$out['pipe'] = $pipe;
		} else {
			add_settings_error( COMET_CHAT_OPTION, 'pipe', __( 'The default pipe must start with web_ or webauth_ and hold only letters, digits, "_" or "-" (at most 64).', 'comet-chat' ) );
		}
	}
	// Members only is kept by the chat server too: only webauth_ pipes refuse visitors' messages.
	if ( $out['members_only'] && str_starts_with( $out['pipe'], 'web_' ) ) {
		$members_pipe = 'webauth_' . substr( $out['pipe'], strlen( 'web_' ) );
		if ( comet_chat_is_chat_pipe( $members_pipe ) ) {
			$out['pipe'] = $members_pipe;
			add_settings_error(
				COMET_CHAT_OPTION,
				'pipe-members',
				/* translators: %s: the pipe name, e.g. webauth_chat */
				sprintf( __( 'Members only: the default pipe is now %s, so the chat server itself refuses visitors\' messages.', 'comet-chat' ), $members_pipe ),
				'info'
			);
		}
	}
	return $out;
}

/** On activation: the option exists from the start (so the first save sanitizes once). */
function comet_chat_activate(): void {
	add_option( COMET_CHAT_OPTION, comet_chat_defaults() );
}
