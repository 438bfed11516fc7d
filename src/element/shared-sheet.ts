/**
 * A template tag for the CSS of a lazy chunk (message actions, launcher), adopted next to the element's own: one
 * constructable stylesheet for every element of the page, so a strict CSP holds, made when first asked for. The build
 * minifies its text as it does lit's `css` (scripts/build-templates.mjs); lit's own tag would bring lit into the chunk.
 */
export function sharedSheet(text: TemplateStringsArray): () => CSSStyleSheet {
  let sheet: CSSStyleSheet | undefined;
  return () => {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(text[0]);
    }
    return sheet;
  };
}
