<?php
/**
 * Settings → Comet Chat (manage_options): server, dev id, app secret, default pipe, theme, members
 * only, and a "Test connection" button. The secret is never printed back: its field is always empty.
 *
 * @package CometChat
 */

defined( 'ABSPATH' ) || exit;

use CometChat\CometChatException;

const COMET_CHAT_SETTINGS_PAGE = 'comet-chat';
const COMET_CHAT_TEST_ACTION   = 'comet_chat_test_connection';

add_action(
	'admin_menu',
	static function () {
		add_options_page( __( 'Comet Chat', 'comet-chat' ), __( 'Comet Chat', 'comet-chat' ), 'manage_options', COMET_CHAT_SETTINGS_PAGE, 'comet_chat_settings_page' );
	}
);

/**
 * One text field of the form; read-only (and not submitted) when a wp-config.php constant sets it.
 *
 * @param string $field The field's key in the option.
 * @param string $label Its label.
 * @param string $type  The input type.
 * @param string $help  A line under the field.
 */
function comet_chat_text_row( string $field, string $label, string $type, string $help ): void {
	$config = comet_chat_config();
	$locked = comet_chat_locked( $field );
	$id     = 'comet-chat-' . str_replace( '_', '-', $field );
	$secret = 'secret' === $field;
	?>
	<tr>
		<th scope="row"><label for="<?php echo esc_attr( $id ); ?>"><?php echo esc_html( $label ); ?></label></th>
		<td>
			<input type="<?php echo esc_attr( $type ); ?>" id="<?php echo esc_attr( $id ); ?>" class="regular-text"
				<?php if ( $locked ) : ?>
					disabled
				<?php else : ?>
					name="<?php echo esc_attr( COMET_CHAT_OPTION . '[' . $field . ']' ); ?>"
				<?php endif; ?>
				<?php if ( $secret ) : ?>
					value="" autocomplete="new-password" spellcheck="false"
					placeholder="<?php echo esc_attr( '' !== $config['secret'] ? __( 'Saved (leave empty to keep it)', 'comet-chat' ) : '' ); ?>"
				<?php else : ?>
					value="<?php echo esc_attr( $config[ $field ] ); ?>"
				<?php endif; ?>
			/>
			<?php if ( $locked ) : ?>
				<p class="description">
					<?php
					/* translators: %s: a constant name such as COMET_CHAT_SERVER */
					echo esc_html( sprintf( __( 'Set in wp-config.php (%s).', 'comet-chat' ), COMET_CHAT_CONSTANTS[ $field ] ) );
					?>
				</p>
			<?php endif; ?>
			<p class="description"><?php echo esc_html( $help ); ?></p>
		</td>
	</tr>
	<?php
}

/** The settings page. */
function comet_chat_settings_page(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to manage options for this site.', 'comet-chat' ), 403 );
	}
	$config = comet_chat_config();
	$result = get_transient( comet_chat_test_transient() );
	if ( false !== $result ) {
		delete_transient( comet_chat_test_transient() );
	}
	?>
	<div class="wrap">
		<h1><?php echo esc_html__( 'Comet Chat', 'comet-chat' ); ?></h1>
		<?php if ( is_array( $result ) ) : ?>
			<div class="notice notice-<?php echo esc_attr( $result['ok'] ? 'success' : 'error' ); ?> comet-chat-test-result" role="status"><p><?php echo esc_html( $result['text'] ); ?></p></div>
		<?php endif; ?>
		<p><?php echo esc_html__( 'Put a chat on any page with the Comet Chat block or the [comet_chat] shortcode. These settings connect it to your comet-chat server.', 'comet-chat' ); ?></p>
		<form method="post" action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>">
			<?php settings_fields( 'comet_chat' ); ?>
			<table class="form-table" role="presentation">
				<?php
				comet_chat_text_row( 'server', __( 'Chat server URL', 'comet-chat' ), 'url', __( 'Where the comet-chat server answers, e.g. https://chat.example.com. Browsers load the chat from there.', 'comet-chat' ) );
				comet_chat_text_row( 'dev_id', __( 'Dev id', 'comet-chat' ), 'text', __( 'The app on that server.', 'comet-chat' ) );
				comet_chat_text_row( 'secret', __( 'App secret', 'comet-chat' ), 'password', __( 'Stays on this site: it signs your users\' chat tokens and is never sent to a browser.', 'comet-chat' ) );
				comet_chat_text_row( 'pipe', __( 'Default pipe', 'comet-chat' ), 'text', __( 'The chat room when a block or shortcode names none: web_… lets visitors write, webauth_… only logged-in users.', 'comet-chat' ) );
				?>
				<tr>
					<th scope="row"><label for="comet-chat-theme"><?php echo esc_html__( 'Theme', 'comet-chat' ); ?></label></th>
					<td>
						<select id="comet-chat-theme" name="<?php echo esc_attr( COMET_CHAT_OPTION . '[theme]' ); ?>">
							<?php
							$themes = array(
								'light' => __( 'Light', 'comet-chat' ),
								'dark'  => __( 'Dark', 'comet-chat' ),
								'auto'  => __( 'Auto (follows the system)', 'comet-chat' ),
							);
							foreach ( $themes as $value => $label ) :
								?>
								<option value="<?php echo esc_attr( $value ); ?>" <?php selected( $config['theme'], $value ); ?>><?php echo esc_html( $label ); ?></option>
							<?php endforeach; ?>
						</select>
					</td>
				</tr>
				<tr>
					<th scope="row"><?php echo esc_html__( 'Members only', 'comet-chat' ); ?></th>
					<td>
						<label for="comet-chat-members-only">
							<input type="checkbox" id="comet-chat-members-only" name="<?php echo esc_attr( COMET_CHAT_OPTION . '[members_only]' ); ?>" value="1" <?php checked( $config['members_only'] ); ?> />
							<?php echo esc_html__( 'Only logged-in users may write; visitors see the chat read-only with a "log in to chat" link.', 'comet-chat' ); ?>
						</label>
					</td>
				</tr>
			</table>
			<?php submit_button(); ?>
		</form>

		<h2><?php echo esc_html__( 'Test connection', 'comet-chat' ); ?></h2>
		<p><?php echo esc_html__( 'Asks the chat server whether it answers and accepts the saved dev id and secret.', 'comet-chat' ); ?></p>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
			<input type="hidden" name="action" value="<?php echo esc_attr( COMET_CHAT_TEST_ACTION ); ?>" />
			<?php wp_nonce_field( COMET_CHAT_TEST_ACTION ); ?>
			<?php submit_button( __( 'Test connection', 'comet-chat' ), 'secondary', 'comet-chat-test', false ); ?>
		</form>
	</div>
	<?php
}

/** Where the test's result waits for the page, per user. */
function comet_chat_test_transient(): string {
	return 'comet_chat_test_' . get_current_user_id();
}

/** The "Test connection" button: nonce and capability checked, then one cheap call to the server. */
function comet_chat_handle_test(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to manage options for this site.', 'comet-chat' ), 403 );
	}
	check_admin_referer( COMET_CHAT_TEST_ACTION );
	$client = comet_chat_client();
	if ( null === $client ) {
		$result = array(
			'ok'   => false,
			'text' => __( 'Enter the server URL, the dev id and the app secret first.', 'comet-chat' ),
		);
	} else {
		try {
			$client->check();
			$result = array(
				'ok'   => true,
				'text' => __( 'Connected: the chat server answers and accepts the dev id and secret.', 'comet-chat' ),
			);
		} catch ( CometChatException $e ) {
			$result = array(
				'ok'   => false,
				'text' => 401 === $e->status
					? __( 'The chat server answers, but refuses this dev id and secret.', 'comet-chat' )
					/* translators: %s: what went wrong, from the chat client */
					: sprintf( __( 'The chat server could not be reached: %s', 'comet-chat' ), $e->getMessage() ),
			);
		}
	}
	set_transient( comet_chat_test_transient(), $result, MINUTE_IN_SECONDS );
	wp_safe_redirect( admin_url( 'options-general.php?page=' . COMET_CHAT_SETTINGS_PAGE ) );
	exit;
}
add_action( 'admin_post_' . COMET_CHAT_TEST_ACTION, 'comet_chat_handle_test' );
