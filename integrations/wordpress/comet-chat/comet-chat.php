<?php
/**
 * Plugin Name:       Comet Chat
 * Description:       A live chat on any page: the [comet_chat] shortcode or the Comet Chat block, connected to your comet-chat server. Logged-in users chat under their WordPress name; join and leave notices; moderation.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            comet-chat
 * License:           MIT
 * License URI:       https://opensource.org/licenses/MIT
 * Text Domain:       comet-chat
 * Domain Path:       /languages
 *
 * @package CometChat
 */

defined( 'ABSPATH' ) || exit;

define( 'COMET_CHAT_VERSION', '0.1.0' );
define( 'COMET_CHAT_FILE', __FILE__ );

require_once __DIR__ . '/lib/CometChat.php';
require_once __DIR__ . '/includes/settings.php';
require_once __DIR__ . '/includes/chat.php';
require_once __DIR__ . '/includes/notices.php';

if ( is_admin() ) {
	require_once __DIR__ . '/includes/admin-settings.php';
	require_once __DIR__ . '/includes/admin-moderation.php';
}

register_activation_hook( __FILE__, 'comet_chat_activate' );

add_action(
	'init',
	static function () {
		load_plugin_textdomain( 'comet-chat', false, dirname( plugin_basename( COMET_CHAT_FILE ) ) . '/languages' );
	}
);
