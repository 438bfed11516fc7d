<?php
/**
 * What the block's editor script needs: WordPress's own globals (there is no build step).
 *
 * @package CometChat
 */

return array(
	'dependencies' => array( 'wp-blocks', 'wp-block-editor', 'wp-components', 'wp-element', 'wp-i18n' ),
	'version'      => '0.1.0',
);
