// Image files CNN Lens can explain: exactly the formats sharp (the engine's decoder) reads, checked with
// `sharp.format[*].input.fileSuffix`. BMP is deliberately absent: sharp/libvips cannot decode it.
// Keep in sync with the `resourceExtname` clauses of the menus in package.json (a test compares them).
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'jpe', 'jfif', 'webp', 'gif', 'tif', 'tiff', 'avif', 'svg'] as const;

/** The `when`-clause regex used in package.json menus. */
export const IMAGE_WHEN_REGEX = '/\\.(png|jpe?g|jpe|jfif|webp|gif|tiff?|avif|svg)$/i';

export function isExplainableImage(fsPath: string): boolean {
  const m = /\.([^./\\]+)$/.exec(fsPath);
  return !!m && (IMAGE_EXTENSIONS as readonly string[]).includes(m[1].toLowerCase());
}

const BROWSER_MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', jpe: 'image/jpeg', jfif: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif',
};

/**
 * MIME type of formats a webview can show directly (for the live preview before the engine's own rendering of the
 * picture arrives); undefined for the others (TIFF; SVG, which could carry script and is not worth the risk).
 */
export function browserMimeType(fsPath: string): string | undefined {
  const m = /\.([^./\\]+)$/.exec(fsPath);
  return m ? BROWSER_MIME[m[1].toLowerCase()] : undefined;
}
