<?php
/**
 * Comments → Chat moderation (moderate_comments): the recent messages of a pipe, with Delete (gone
 * from every open chat at once) and Ban of a WordPress user (their messages are refused from then on).
 *
 * @package CometChat
 */

defined( 'ABSPATH' ) || exit;

use CometChat\CometChatException;

const COMET_CHAT_MODERATION_PAGE = 'comet-chat-moderation';
const COMET_CHAT_MODERATION_SIZE = 50;

add_action(
	'admin_menu',
	static function () {
		add_comments_page( __( 'Chat moderation', 'comet-chat' ), __( 'Chat moderation', 'comet-chat' ), 'moderate_comments', COMET_CHAT_MODERATION_PAGE, 'comet_chat_moderation_page' );
	}
);

/** The pipe the screen shows: ?pipe= when it is a chat pipe, else the default one. */
function comet_chat_moderated_pipe(): string {
	// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- choosing what to view changes nothing.
	$pipe = isset( $_REQUEST['pipe'] ) ? sanitize_text_field( wp_unslash( $_REQUEST['pipe'] ) ) : '';
	return comet_chat_is_chat_pipe( $pipe ) ? $pipe : comet_chat_config()['pipe'];
}

/**
 * A small form posting one moderation action to admin-post.php, with its own nonce.
 *
 * @param string $action The admin-post action.
 * @param array  $fields Hidden fields.
 * @param string $label  The button's text.
 * @param string $nonce  The nonce action.
 */
function comet_chat_action_button( string $action, array $fields, string $label, string $nonce ): void {
	?>
	<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="comet-chat-action">
		<input type="hidden" name="action" value="<?php echo esc_attr( $action ); ?>" />
		<?php foreach ( $fields as $name => $value ) : ?>
			<input type="hidden" name="<?php echo esc_attr( $name ); ?>" value="<?php echo esc_attr( (string) $value ); ?>" />
		<?php endforeach; ?>
		<?php wp_nonce_field( $nonce ); ?>
		<button type="submit" class="button button-small"><?php echo esc_html( $label ); ?></button>
	</form>
	<?php
}

/** The moderation screen. */
function comet_chat_moderation_page(): void {
	if ( ! current_user_can( 'moderate_comments' ) ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to moderate the chat.', 'comet-chat' ), 403 );
	}
	$pipe     = comet_chat_moderated_pipe();
	$client   = comet_chat_client();
	$messages = array();
	$error    = null === $client ? __( 'Comet Chat is not set up yet: enter the chat server under Settings → Comet Chat.', 'comet-chat' ) : '';
	if ( null !== $client ) {
		try {
			$messages = array_reverse( $client->history( $pipe, COMET_CHAT_MODERATION_SIZE ) );
		} catch ( CometChatException $e ) {
			/* translators: %s: what went wrong, from the chat client */
			$error = sprintf( __( 'The chat server could not be asked: %s', 'comet-chat' ), $e->getMessage() );
		}
	}
	$bans = get_option( COMET_CHAT_BANS_OPTION, array() );
	// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only picks which fixed notice to show.
	$done    = isset( $_GET['comet-chat-done'] ) ? sanitize_key( wp_unslash( $_GET['comet-chat-done'] ) ) : '';
	$notices = array(
		'deleted'  => __( 'The message was deleted from every open chat.', 'comet-chat' ),
		'banned'   => __( 'The user is banned: their chat messages are refused.', 'comet-chat' ),
		'unbanned' => __( 'The ban was lifted.', 'comet-chat' ),
		'failed'   => __( 'The chat server did not take the action; try again.', 'comet-chat' ),
	);
	?>
	<div class="wrap">
		<h1><?php echo esc_html__( 'Chat moderation', 'comet-chat' ); ?></h1>
		<?php if ( isset( $notices[ $done ] ) ) : ?>
			<div class="notice notice-<?php echo esc_attr( 'failed' === $done ? 'error' : 'success' ); ?> is-dismissible"><p><?php echo esc_html( $notices[ $done ] ); ?></p></div>
		<?php endif; ?>
		<form method="get" action="<?php echo esc_url( admin_url( 'edit-comments.php' ) ); ?>">
			<input type="hidden" name="page" value="<?php echo esc_attr( COMET_CHAT_MODERATION_PAGE ); ?>" />
			<label for="comet-chat-pipe"><?php echo esc_html__( 'Pipe', 'comet-chat' ); ?></label>
			<input type="text" id="comet-chat-pipe" name="pipe" value="<?php echo esc_attr( $pipe ); ?>" />
			<?php submit_button( __( 'Show', 'comet-chat' ), 'secondary', '', false ); ?>
		</form>
		<?php if ( '' !== $error ) : ?>
			<div class="notice notice-error"><p><?php echo esc_html( $error ); ?></p></div>
		<?php endif; ?>
		<h2>
			<?php
			/* translators: %s: pipe name */
			echo esc_html( sprintf( __( 'Recent messages in %s', 'comet-chat' ), $pipe ) );
			?>
		</h2>
		<table class="widefat striped comet-chat-messages">
			<thead>
				<tr>
					<th scope="col"><?php echo esc_html__( 'Time', 'comet-chat' ); ?></th>
					<th scope="col"><?php echo esc_html__( 'Author', 'comet-chat' ); ?></th>
					<th scope="col"><?php echo esc_html__( 'Message', 'comet-chat' ); ?></th>
					<th scope="col"><?php echo esc_html__( 'Actions', 'comet-chat' ); ?></th>
				</tr>
			</thead>
			<tbody>
				<?php if ( array() === $messages ) : ?>
					<tr><td colspan="4"><?php echo esc_html__( 'No messages.', 'comet-chat' ); ?></td></tr>
				<?php endif; ?>
				<?php
				foreach ( $messages as $message ) :
					$info    = $message['server_info'];
					$data    = is_array( $message['data'] ) ? $message['data'] : array();
					$user_id = (int) $info['user_id'];
					$text    = isset( $data['text'] ) && is_string( $data['text'] ) ? $data['text'] : wp_json_encode( $message['data'] );
					?>
					<tr data-marker="<?php echo esc_attr( (string) $info['marker'] ); ?>">
						<td><?php echo esc_html( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), intdiv( (int) $info['time'], 1000 ) ) ); ?></td>
						<td>
							<?php if ( $user_id > 0 ) : ?>
								<?php echo esc_html( isset( $info['user_name'] ) ? (string) $info['user_name'] : get_the_author_meta( 'display_name', $user_id ) ); ?>
								<br /><span class="description">
								<?php
								/* translators: %d: WordPress user ID */
								echo esc_html( sprintf( __( 'user #%d', 'comet-chat' ), $user_id ) );
								?>
								</span>
							<?php else : ?>
								<?php echo esc_html( isset( $data['name'] ) && is_string( $data['name'] ) ? $data['name'] : __( 'Anonymous', 'comet-chat' ) ); ?>
								<br /><span class="description"><?php echo esc_html__( 'visitor', 'comet-chat' ); ?></span>
							<?php endif; ?>
						</td>
						<td><?php echo esc_html( wp_html_excerpt( (string) $text, 500, '…' ) ); ?></td>
						<td>
							<?php
							comet_chat_action_button( 'comet_chat_delete', array( 'pipe' => $pipe, 'marker' => $info['marker'] ), __( 'Delete', 'comet-chat' ), 'comet_chat_delete_' . $info['marker'] );
							if ( $user_id > 0 && ! isset( $bans[ $user_id ] ) ) {
								comet_chat_action_button( 'comet_chat_ban', array( 'pipe' => $pipe, 'user_id' => $user_id ), __( 'Ban', 'comet-chat' ), 'comet_chat_ban_' . $user_id );
							}
							?>
						</td>
					</tr>
				<?php endforeach; ?>
			</tbody>
		</table>

		<h2><?php echo esc_html__( 'Banned users', 'comet-chat' ); ?></h2>
		<?php if ( array() === $bans ) : ?>
			<p><?php echo esc_html__( 'Nobody is banned.', 'comet-chat' ); ?></p>
		<?php else : ?>
			<ul class="comet-chat-bans">
				<?php foreach ( $bans as $banned_id => $since ) : ?>
					<li>
						<?php
						$user = get_userdata( (int) $banned_id );
						/* translators: 1: display name, 2: date */
						echo esc_html( sprintf( __( '%1$s, since %2$s', 'comet-chat' ), $user ? $user->display_name : '#' . $banned_id, wp_date( get_option( 'date_format' ), (int) $since ) ) );
						comet_chat_action_button( 'comet_chat_unban', array( 'pipe' => $pipe, 'user_id' => $banned_id ), __( 'Lift ban', 'comet-chat' ), 'comet_chat_unban_' . $banned_id );
						?>
					</li>
				<?php endforeach; ?>
			</ul>
		<?php endif; ?>
	</div>
	<?php
}

/**
 * The three actions: capability and nonce checked, one call to the chat server, back to the screen.
 * Bans are app-wide, so a banned user cannot move to another chat of the site.
 */
function comet_chat_handle_moderation(): void {
	if ( ! current_user_can( 'moderate_comments' ) ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to moderate the chat.', 'comet-chat' ), 403 );
	}
	$action  = current_action();
	$marker  = isset( $_POST['marker'] ) ? absint( $_POST['marker'] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked below, per marker.
	$user_id = isset( $_POST['user_id'] ) ? absint( $_POST['user_id'] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- checked below, per user.
	$pipe    = comet_chat_moderated_pipe();
	$client  = comet_chat_client();
	$done    = 'failed';
	try {
		if ( 'admin_post_comet_chat_delete' === $action ) {
			check_admin_referer( 'comet_chat_delete_' . $marker );
			if ( null !== $client && $marker > 0 ) {
				$client->deleteMessage( $pipe, $marker );
				$done = 'deleted';
			}
		} elseif ( 'admin_post_comet_chat_ban' === $action ) {
			check_admin_referer( 'comet_chat_ban_' . $user_id );
			if ( null !== $client && $user_id > 0 ) {
				$client->ban( $user_id );
				$bans             = get_option( COMET_CHAT_BANS_OPTION, array() );
				$bans[ $user_id ] = time();
				update_option( COMET_CHAT_BANS_OPTION, $bans, false );
				$done = 'banned';
			}
		} elseif ( 'admin_post_comet_chat_unban' === $action ) {
			check_admin_referer( 'comet_chat_unban_' . $user_id );
			if ( null !== $client && $user_id > 0 ) {
				$client->unban( $user_id );
				$bans = get_option( COMET_CHAT_BANS_OPTION, array() );
				unset( $bans[ $user_id ] );
				update_option( COMET_CHAT_BANS_OPTION, $bans, false );
				$done = 'unbanned';
			}
		}
	} catch ( CometChatException $e ) {
		error_log( 'comet-chat: moderation failed: ' . $e->getMessage() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
	}
	wp_safe_redirect(
		add_query_arg(
			array(
				'page'            => COMET_CHAT_MODERATION_PAGE,
				'pipe'            => $pipe,
				'comet-chat-done' => $done,
			),
			admin_url( 'edit-comments.php' )
		)
	);
	exit;
}
foreach ( array( 'comet_chat_delete', 'comet_chat_ban', 'comet_chat_unban' ) as $comet_chat_action ) {
	add_action( 'admin_post_' . $comet_chat_action, 'comet_chat_handle_moderation' );
}
