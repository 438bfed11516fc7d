<?php
/**
 * Removes what the plugin stored: its settings (with the app secret) and the list of bans.
 * The chat server keeps its own history; clear it there if wanted.
 *
 * @package CometChat
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'comet_chat_settings' );
delete_option( 'comet_chat_bans' );

// The "Test connection" results waiting for an admin's next page view (they expire within a minute anyway).
global $wpdb;
$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s", $wpdb->esc_like( '_transient_comet_chat_test_' ) . '%', $wpdb->esc_like( '_transient_timeout_comet_chat_test_' ) . '%' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
