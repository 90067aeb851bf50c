import { describe, expect, it } from 'vitest';
import { toXml } from '../../src/open311/open311-format.ts';

describe('Open311 XML', () => {
  it.each([
    [
      'a list names its items by the singular',
      'services',
      [{ service_code: 'a' }, { service_code: 'b' }],
      '<services><service><service_code>a</service_code></service><service><service_code>b</service_code></service></services>',
    ],
    [
      'null is an empty element',
      'service_requests',
      [{ status_notes: null, lat: -7.5 }],
      '<service_requests><request><status_notes/><lat>-7.5</lat></request></service_requests>',
    ],
    [
      'citizen text is escaped, never markup',
      'service_requests',
      [{ description: '<script>alert("x")</script> & \'y\'' }],
      '<service_requests><request><description>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;y&apos;</description></request></service_requests>',
    ],
    [
      'characters XML cannot carry are dropped',
      'errors',
      [{ code: 400, description: 'a\u0000b\u001Fc\nd' }],
      '<errors><error><code>400</code><description>abc\nd</description></error></errors>',
    ],
    [
      'nested lists',
      'service_definition',
      { attributes: [{ values: [{ key: 'k', name: 'n' }] }] },
      '<service_definition><attributes><attribute><values><value><key>k</key><name>n</name></value></values></attribute></attributes></service_definition>',
    ],
  ])('%s', (_name, root, value, body) => {
    expect(toXml(root, value)).toBe(`<?xml version="1.0" encoding="utf-8"?>\n${body}`);
  });
});
