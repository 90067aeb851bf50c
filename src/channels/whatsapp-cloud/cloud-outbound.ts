import type { Choice, Lang, Outbound } from '../../engine/types.ts';
import { splitText } from '../split-text.ts';
import { renderForWhatsApp } from '../whatsapp/whatsapp-outbound.ts';

/**
 * One message for the Graph API's messages endpoint, without `messaging_product` and `to` (the
 * client adds them).
 */
export type CloudMessage =
  | { type: 'text'; text: { body: string; preview_url: false } }
  | { type: 'interactive'; interactive: Record<string, unknown> }
  | {
      type: 'template';
      template: {
        name: string;
        language: { code: string };
        components: { type: 'body'; parameters: { type: 'text'; text: string }[] }[];
      };
    };

/** WhatsApp's limits (Cloud API reference, interactive messages). */
export const CLOUD_LIMITS = {
  text: 4096,
  buttonBody: 1024,
  listBody: 4096,
  buttons: 3,
  buttonTitle: 20,
  rows: 10,
  rowTitle: 24,
  rowDescription: 72,
  id: 256,
  /** Meta refuses template parameters with line breaks, tabs or more than four spaces in a row. */
  templateParameter: 1024,
} as const;

const LIST_BUTTON: Record<Lang, string> = { id: 'Pilih', en: 'Choose' };

const textMessage = (body: string): CloudMessage => ({ type: 'text', text: { body, preview_url: false } });
const length = (s: string) => [...s].length;
const cut = (s: string, max: number) => (length(s) <= max ? s : `${[...s].slice(0, max - 1).join('')}…`);

/** Leading texts, then an interactive message whose body is the last piece that fits its limit. */
function withBody(text: string, limit: number, interactive: (body: string) => CloudMessage): CloudMessage[] {
  const parts = splitText(text, limit);
  const last = parts.pop() as string;
  return [...parts.map(textMessage), interactive(last)];
}

function buttons(text: string, choices: Choice[]): CloudMessage[] {
  return withBody(text, CLOUD_LIMITS.buttonBody, (body) => ({
    type: 'interactive',
    interactive: {
      type: 'button',
      body: { text: body },
      action: { buttons: choices.map((c) => ({ type: 'reply', reply: { id: c.payload, title: c.label } })) },
    },
  }));
}

function list(text: string, choices: Choice[], lang: Lang): CloudMessage[] {
  const rows = choices.map((c) =>
    // A label longer than a row title keeps its whole wording in the description below it.
    length(c.label) <= CLOUD_LIMITS.rowTitle
      ? { id: c.payload, title: c.label }
      : {
          id: c.payload,
          title: cut(c.label, CLOUD_LIMITS.rowTitle),
          description: cut(c.label, CLOUD_LIMITS.rowDescription),
        },
  );
  return withBody(text, CLOUD_LIMITS.listBody, (body) => ({
    type: 'interactive',
    interactive: {
      type: 'list',
      body: { text: body },
      action: { button: LIST_BUTTON[lang], sections: [{ rows }] },
    },
  }));
}

/** Choices whose payloads WhatsApp can carry back as a button or row id: short, distinct. */
function fitIds(choices: Choice[]): boolean {
  const ids = new Set(choices.map((c) => c.payload));
  return (
    ids.size === choices.length &&
    choices.every((c) => c.payload.length > 0 && c.payload.length <= CLOUD_LIMITS.id)
  );
}

/**
 * Renders one of Aduan's messages for the Cloud API:
 * - up to 3 choices with short labels (≤ 20 characters) → reply buttons;
 * - up to 10 → a list message (row titles ≤ 24, a longer label continues in the row's description);
 * - more → the numbered text list of the WhatsApp Web transport (the engine matches the typed
 *   number or word, so a typed answer to buttons or a list works too);
 * - a location question → WhatsApp's "send location" request (typing an address still works).
 * Button and row ids are the engine's payloads, which come back in `button_reply`/`list_reply`.
 *
 * @example renderForCloud({ text: 'Anonim?', choices: [{ payload: 'anonymous|yes', label: 'Ya' }, { payload: 'anonymous|no', label: 'Tidak' }] }, 'id')
 *   // → [{ type: 'interactive', interactive: { type: 'button', body: { text: 'Anonim?' },
 *   //      action: { buttons: [{ type: 'reply', reply: { id: 'anonymous|yes', title: 'Ya' } }, …] } } }]
 */
export function renderForCloud(message: Outbound, lang: Lang): CloudMessage[] {
  const choices = message.choices ?? [];
  if (message.requestLocation) {
    // Global words (lewati) are written in the prompt; the request itself has one button only.
    const own = choices.filter((c) => !c.payload.startsWith('~g|'));
    const request = withBody(message.text, CLOUD_LIMITS.buttonBody, (body) => ({
      type: 'interactive',
      interactive: {
        type: 'location_request_message',
        body: { text: body },
        action: { name: 'send_location' },
      },
    }));
    return own.length > 0 ? [...request, ...renderForCloud({ text: '⬇️', choices: own }, lang)] : request;
  }
  if (choices.length === 0) return splitText(message.text, CLOUD_LIMITS.text).map(textMessage);
  if (fitIds(choices)) {
    if (
      choices.length <= CLOUD_LIMITS.buttons &&
      choices.every((c) => length(c.label) <= CLOUD_LIMITS.buttonTitle)
    )
      return buttons(message.text, choices);
    if (choices.length <= CLOUD_LIMITS.rows) return list(message.text, choices, lang);
  }
  return renderForWhatsApp(message, lang).map(textMessage);
}

/** A template parameter as Meta accepts it: one line, no runs of spaces, not empty, not too long. */
export function templateParameter(value: string): string {
  const flat = value
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/ {4,}/g, '   ')
    .trim();
  return cut(flat || '-', CLOUD_LIMITS.templateParameter);
}

/**
 * An approved template message: `{{1}}` the tracking number, `{{2}}` the status as the reporter reads it.
 *
 * @example templateMessage({ name: 'aduan_status_laporan', language: 'id' }, ['ADU-7KQ2-M9XF', 'Terverifikasi'])
 */
export function templateMessage(
  template: { name: string; language: string },
  parameters: string[],
): CloudMessage {
  return {
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      components: [
        { type: 'body', parameters: parameters.map((p) => ({ type: 'text', text: templateParameter(p) })) },
      ],
    },
  };
}
