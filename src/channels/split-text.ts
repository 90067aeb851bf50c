/**
 * Splits a long message into pieces a platform accepts (Telegram 4096, WhatsApp 4096/1024…): at a
 * line break when one falls in the second half of the allowance, otherwise hard at the limit.
 * Joining the pieces with `\n` gives the text back when every cut fell at a line break.
 */
export function splitText(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = rest.lastIndexOf('\n', limit);
    const at = cut > limit / 2 ? cut : limit;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  parts.push(rest);
  return parts;
}
