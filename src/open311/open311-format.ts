import type { Response } from 'express';

/** The two formats GeoReport v2 defines, chosen by the path's extension. */
export type Open311Format = 'json' | 'xml';

/** An error in the spec's shape: `[{"code":400,"description":"…"}]`, plus the field at fault. */
export class Open311Error extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly field?: string,
  ) {
    super(description);
    this.name = 'Open311Error';
  }
}

/** The element name of one item in a list, as the spec's XML examples write them. */
const SINGULAR: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
  endpoints: 'endpoint',
  formats: 'format',
};

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

// Characters XML 1.0 cannot carry at all, even escaped: dropped rather than sent as invalid XML.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what is being removed
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function element(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}/>`;
  if (Array.isArray(value)) {
    const child = SINGULAR[name] ?? 'item';
    return `<${name}>${value.map((v) => element(child, v)).join('')}</${name}>`;
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => element(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value).replace(NOT_XML, ''))}</${name}>`;
}

/**
 * The spec's XML for a value: a list becomes `<services><service>…</service></services>` (the root
 * named `root`, each item by its singular), an object its fields as elements, null an empty element.
 *
 * @example toXml('errors', [{ code: 400, description: 'service_code: required' }])
 * // '<?xml version="1.0" encoding="utf-8"?><errors><error><code>400</code>…</error></errors>'
 */
export function toXml(root: string, value: unknown): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${element(root, value)}`;
}

/** Sends `value` as JSON, or as XML under `root`. */
export function sendOpen311(
  res: Response,
  format: Open311Format,
  root: string,
  value: unknown,
  status = 200,
) {
  if (format === 'xml') res.status(status).type('text/xml; charset=utf-8').send(toXml(root, value));
  else res.status(status).json(value);
}

/** Sends an error in the spec's shape and format. */
export function sendOpen311Error(res: Response, format: Open311Format, error: Open311Error) {
  sendOpen311(
    res,
    format,
    'errors',
    [{ code: error.status, description: error.description, ...(error.field ? { field: error.field } : {}) }],
    error.status,
  );
}

/** The format of a path's extension; anything else is a 404 (the spec has no other formats). */
export function formatOf(extension: unknown): Open311Format {
  if (extension === 'json' || extension === 'xml') return extension;
  throw new Open311Error(404, 'format: use .json or .xml', 'format');
}
