<?php
/**
 * Stands in for WordPress.Security.EscapeOutput: what `echo`, `print` and `<?=` output, and the
 * arguments after the format of `printf`, must come straight from an escaping function (or be a
 * literal string or number).
 *
 * @package CometChat
 */

namespace CometChatWP\Sniffs\Security;

use PHP_CodeSniffer\Files\File;
use PHP_CodeSniffer\Sniffs\Sniff;
use PHP_CodeSniffer\Util\Tokens;

/** Output must be escaped where it is printed. */
class EscapedOutputSniff implements Sniff {
	/** Functions whose result is safe to print. */
	private const ESCAPING = array(
		'esc_html', 'esc_attr', 'esc_url', 'esc_textarea', 'esc_js', 'esc_xml',
		'esc_html__', 'esc_attr__', 'esc_html_x', 'esc_attr_x',
		'wp_kses', 'wp_kses_post', 'wp_kses_data', 'absint', 'intval', 'wp_json_encode',
	);

	/** @return array<int> */
	public function register() {
		return array( T_ECHO, T_PRINT, T_OPEN_TAG_WITH_ECHO, T_STRING );
	}

	/**
	 * @param File $file  The file.
	 * @param int  $start The token.
	 */
	public function process( File $file, $start ) {
		$tokens = $file->getTokens();
		if ( T_STRING === $tokens[ $start ]['code'] ) {
			if ( 'printf' !== strtolower( $tokens[ $start ]['content'] ) ) {
				return;
			}
			$open = $file->findNext( Tokens::$emptyTokens, $start + 1, null, true );
			if ( false === $open || T_OPEN_PARENTHESIS !== $tokens[ $open ]['code'] ) {
				return;
			}
			$arguments = $this->arguments( $file, $open + 1, $tokens[ $open ]['parenthesis_closer'] );
			array_shift( $arguments ); // The format.
		} else {
			$end       = $file->findNext( array( T_SEMICOLON, T_CLOSE_TAG ), $start + 1 );
			$arguments = $this->arguments( $file, $start + 1, $end );
		}
		foreach ( $arguments as $first ) {
			if ( ! $this->isSafe( $file, $first ) ) {
				$file->addError( 'Output must come straight from an escaping function such as esc_html() or esc_attr().', $first, 'Unescaped' );
			}
		}
	}

	/** @return array<int> The first token of each comma-separated argument between $from and $to. */
	private function arguments( File $file, int $from, int $to ): array {
		$tokens = $file->getTokens();
		$firsts = array();
		$expect = true;
		for ( $i = $from; $i < $to; $i++ ) {
			if ( isset( Tokens::$emptyTokens[ $tokens[ $i ]['code'] ] ) ) {
				continue;
			}
			if ( $expect ) {
				$firsts[] = $i;
				$expect   = false;
			}
			if ( isset( $tokens[ $i ]['parenthesis_closer'] ) ) {
				$i = $tokens[ $i ]['parenthesis_closer'];
			} elseif ( T_COMMA === $tokens[ $i ]['code'] ) {
				$expect = true;
			}
		}
		return $firsts;
	}

	/** Whether the argument starting at $at is an escaping call, or a literal alone. */
	private function isSafe( File $file, int $at ): bool {
		$tokens = $file->getTokens();
		$next   = $file->findNext( Tokens::$emptyTokens, $at + 1, null, true );
		if ( in_array( $tokens[ $at ]['code'], array( T_CONSTANT_ENCAPSED_STRING, T_LNUMBER, T_DNUMBER ), true ) ) {
			return $this->endsArgument( $file, $next );
		}
		if ( T_STRING !== $tokens[ $at ]['code'] || ! in_array( strtolower( $tokens[ $at ]['content'] ), self::ESCAPING, true )
			|| false === $next || T_OPEN_PARENTHESIS !== $tokens[ $next ]['code'] ) {
			return false;
		}
		// Nothing may be joined to the escaped value: `esc_html( $a ) . $b` prints $b raw.
		return $this->endsArgument( $file, $file->findNext( Tokens::$emptyTokens, $tokens[ $next ]['parenthesis_closer'] + 1, null, true ) );
	}

	/** Whether the token at $at (false: the file's end) closes an argument. */
	private function endsArgument( File $file, $at ): bool {
		return false === $at || in_array( $file->getTokens()[ $at ]['code'], array( T_SEMICOLON, T_COMMA, T_CLOSE_PARENTHESIS, T_CLOSE_TAG ), true );
	}
}
