// Where provisioning unpacks Debian's WordPress for the plugin's tests, and from which packages.
// Unpacked with `dpkg -x` (not installed), so no Apache and no /etc/wordpress come along.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORDPRESS_CACHE = fileURLToPath(new URL('../.cache/wordpress/', import.meta.url));
/** WordPress itself, its default block theme, and the libraries Debian splits out of it (symlinked from wp-includes). */
export const WORDPRESS_PACKAGES = [
  'wordpress',
  'wordpress-theme-twentytwentythree',
  'php-getid3',
  'libjs-underscore',
  'libjs-cropper',
];
/** The unpacked `usr/share`: `wordpress/` beside the `php/` and `javascript/` its relative symlinks point into. */
export const WORDPRESS_SHARE = join(WORDPRESS_CACHE, 'usr', 'share');

/** The unpacked WordPress version, or null when it is not there. */
export function unpackedWordPressVersion() {
  const file = join(WORDPRESS_SHARE, 'wordpress', 'wp-includes', 'version.php');
  if (
    !existsSync(file) ||
    !existsSync(join(WORDPRESS_SHARE, 'wordpress', 'wp-content', 'themes', 'twentytwentythree', 'theme.json'))
  )
    return null;
  return /\$wp_version = '([^']+)'/.exec(readFileSync(file, 'utf8'))?.[1] ?? null;
}
