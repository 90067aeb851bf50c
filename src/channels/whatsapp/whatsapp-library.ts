import type WAWebJS from 'whatsapp-web.js';

/**
 * The part of a received whatsapp-web.js `Message` Aduan reads. A `Pick` of the library's own type,
 * so a change of shape in a new version fails type checking here rather than at run time.
 */
export type WhatsAppMessage = Pick<
  WAWebJS.Message,
  | 'id'
  | 'from'
  | 'fromMe'
  | 'isStatus'
  | 'broadcast'
  | 'type'
  | 'body'
  | 'hasMedia'
  | 'timestamp'
  | 'location'
  | 'vCards'
  | 'downloadMedia'
>;

/** What the adapter calls on a whatsapp-web.js `Client`: the library's own signatures. */
export interface WhatsAppClient {
  on(event: 'qr', listener: (qr: string) => void): this;
  on(event: 'authenticated' | 'ready', listener: () => void): this;
  on(event: 'auth_failure', listener: (message: string) => void): this;
  on(event: 'change_state', listener: (state: WAWebJS.WAState) => void): this;
  on(event: 'disconnected', listener: (reason: WAWebJS.WAState | 'LOGOUT') => void): this;
  on(event: 'message', listener: (message: WhatsAppMessage) => void): this;
  removeAllListeners(): this;
  initialize(): Promise<void>;
  sendMessage(
    chatId: string,
    content: WAWebJS.MessageContent,
    options?: WAWebJS.MessageSendOptions,
  ): Promise<unknown>;
  getState(): Promise<WAWebJS.WAState | null>;
  logout(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * The classes of whatsapp-web.js the adapter constructs. Production passes the library itself
 * ({@link loadWhatsAppLibrary}); tests pass a fake with the same shapes, since WhatsApp cannot be
 * reached from a test.
 */
export interface WhatsAppLibrary {
  Client: new (options: WAWebJS.ClientOptions) => WhatsAppClient;
  LocalAuth: new (options?: { clientId?: string; dataPath?: string }) => WAWebJS.AuthStrategy;
  MessageMedia: new (
    mimetype: string,
    data: string,
    filename?: string | null,
    filesize?: number | null,
  ) => WAWebJS.MessageMedia;
}

/**
 * Loads whatsapp-web.js (and with it puppeteer) only when the channel is turned on, so a process
 * without WhatsApp does not pay for it at start-up.
 */
export async function loadWhatsAppLibrary(): Promise<WhatsAppLibrary> {
  const { default: pkg } = await import('whatsapp-web.js');
  return pkg as unknown as WhatsAppLibrary;
}
