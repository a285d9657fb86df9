/** Only web links are rendered as links (a stored URL is data, not markup). */
export const safeUrl = (url: unknown): string | null => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);
