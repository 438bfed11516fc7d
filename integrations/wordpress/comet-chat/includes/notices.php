<?php
/**
 * Join and leave notices: logging in and out publishes userLogin / userExit with the display name
 * into the notices pipe, which every chat on the site shows. A slow or absent chat server costs a
 * login at most COMET_CHAT_NOTICE_TIMEOUT and never fails it; what went wrong goes to the PHP log.
 *
 * @package CometChat
 */

defined( 'ABSPATH' ) || exit;

use CometChat\Client;

/**
 * Publishes one notice about a user; never throws.
 *
 * @param string  $event userLogin or userExit.
 * @param WP_User $user  Who logged in or out.
 */
function comet_chat_publish_notice( string $event, WP_User $user ): void {
	try {
		$client = comet_chat_client( COMET_CHAT_NOTICE_TIMEOUT );
		if ( null === $client ) {
			return;
		}
		$name = Client::fitName( $user->display_name );
		/* translators: %d: WordPress user ID */
		$client->publish( COMET_CHAT_NOTICES_PIPE, $event, array( 'name' => '' === $name ? sprintf( __( 'User %d', 'comet-chat' ), $user->ID ) : $name ) );
	} catch ( \Throwable $e ) {
		// The kit's messages never hold the secret.
		error_log( 'comet-chat: the ' . $event . ' notice was not sent: ' . $e->getMessage() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
	}
}

/**
 * After a login.
 *
 * @param string  $user_login The login name.
 * @param WP_User $user       The user.
 */
function comet_chat_on_login( $user_login, $user ): void {
	if ( $user instanceof WP_User ) {
		comet_chat_publish_notice( 'userLogin', $user );
	}
}
add_action( 'wp_login', 'comet_chat_on_login', 10, 2 );

/**
 * After a logout (the user is already logged out; WordPress passes their ID).
 *
 * @param int $user_id The user's ID.
 */
function comet_chat_on_logout( $user_id = 0 ): void {
	$user = get_userdata( (int) $user_id );
	if ( $user instanceof WP_User ) {
		comet_chat_publish_notice( 'userExit', $user );
	}
}
add_action( 'wp_logout', 'comet_chat_on_logout' );
