// A fake of whatsapp-web.js for tests (WhatsApp cannot be reached from here). It mirrors the
// library's shapes (index.d.ts of 1.34.7): a Client that is an EventEmitter with `qr`,
// `authenticated`, `ready`, `message`, `change_state`, `disconnected`, `auth_failure`; the methods
// initialize, sendMessage(chatId, content, options), getState, logout, destroy; MessageMedia; Location;
// LocalAuth({ clientId, dataPath }); and received messages with `id._serialized`, `from`, `fromMe`,
// `isStatus`, `type`, `hasMedia`, `location`, `vCards`, `timestamp` (seconds) and `downloadMedia()`.
//
// "WhatsApp" here is a `FakeWhatsApp` world: one phone number whose link survives on disk the way
// LocalAuth's does (a file under dataPath), citizens who send messages, and every message sent.
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type WAWebJS from 'whatsapp-web.js';
import type { WhatsAppLibrary, WhatsAppMessage } from '../../src/channels/whatsapp/whatsapp-library.ts';

/** The library's MessageMedia: base64 data with its type. */
export class FakeMessageMedia {
  constructor(
    public mimetype: string,
    public data: string,
    public filename?: string | null,
    public filesize?: number | null,
  ) {}
}

/** The library's Location (numbers at run time, whatever the typings say). */
export class FakeLocation {
  name?: string;
  address?: string;
  description?: string;
  constructor(
    public latitude: number,
    public longitude: number,
    options: { name?: string; address?: string } = {},
  ) {
    if (options.name) this.name = options.name;
    if (options.address) this.address = options.address;
    this.description = [options.name, options.address].filter(Boolean).join('\n');
  }
}

/** The library's LocalAuth: the session lives in `<dataPath>/session-<clientId>`. */
export class FakeLocalAuth {
  readonly dir: string;
  constructor(readonly options: { clientId?: string; dataPath?: string } = {}) {
    this.dir = join(
      options.dataPath ?? './.wwebjs_auth',
      `session-${options.clientId ?? ''}`.replace(/-$/, ''),
    );
  }
  get linked(): boolean {
    return existsSync(join(this.dir, 'linked'));
  }
  link(): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'linked'), 'yes');
  }
  unlink(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One message the bot sent. */
export interface SentMessage {
  chatId: string;
  content: unknown;
  options: WAWebJS.MessageSendOptions | undefined;
  /** Text, or a media caption. */
  text: string;
}

/** A send that has not settled (a stuck page); `complete()` carries it out late, as a page that comes back would. */
export interface StalledSend {
  chatId: string;
  text: string;
  complete(): void;
}

/** What a citizen sends; the world fills in the rest of a `Message`. */
export interface CitizenMessage {
  from: string;
  type?: string;
  body?: string;
  id?: string;
  fromMe?: boolean;
  isStatus?: boolean;
  timestamp?: number;
  location?: FakeLocation;
  vCards?: string[];
  media?: FakeMessageMedia;
}

/** The fake WhatsApp: its clients, its number's link, and the messages that went each way. */
export class FakeWhatsApp {
  readonly clients: FakeClient[] = [];
  readonly sent: SentMessage[] = [];
  private counter = 0;
  /** Set to make the next `initialize()` calls throw, as when chromium is missing. */
  failInitialize = 0;
  /** Set to make the next `initialize()` calls hang: never settle, never emit (a browser stuck at launch). */
  hangInitialize = 0;
  /** Set to make `sendMessage` never settle (a hung page), to freeze a holder in the middle of a send. */
  stallSends = false;
  /** Set to make the next this many sends (of any client) never settle unless completed by hand. */
  stallNext = 0;
  /** Every send that did not settle, in order. */
  readonly stalled: StalledSend[] = [];

  /** The library object to inject in place of whatsapp-web.js. */
  get library(): WhatsAppLibrary {
    const world = this;
    class Client extends FakeClient {
      constructor(options: WAWebJS.ClientOptions) {
        super(world, options);
        world.clients.push(this);
      }
    }
    return {
      Client: Client as unknown as WhatsAppLibrary['Client'],
      LocalAuth: FakeLocalAuth as unknown as WhatsAppLibrary['LocalAuth'],
      MessageMedia: FakeMessageMedia as unknown as WhatsAppLibrary['MessageMedia'],
    };
  }

  /** Clients that are connected now (normally one: the session holder's). */
  ready(): FakeClient[] {
    return this.clients.filter((c) => c.status === 'ready');
  }

  /** The phone scans the QR code shown by `client`. */
  scan(client: FakeClient): void {
    client.scanned();
  }

  /** A citizen sends a message; every connected client receives it, as every linked device would. */
  receive(message: CitizenMessage): WhatsAppMessage {
    const id = message.id ?? `3EB0${(++this.counter).toString(16).padStart(8, '0').toUpperCase()}`;
    const media = message.media;
    const built = {
      id: {
        fromMe: Boolean(message.fromMe),
        remote: message.from,
        id,
        _serialized: `${Boolean(message.fromMe)}_${message.from}_${id}`,
      },
      from: message.from,
      fromMe: Boolean(message.fromMe),
      isStatus: Boolean(message.isStatus),
      broadcast: false,
      type: (message.type ?? 'chat') as WAWebJS.MessageTypes,
      body: message.body ?? '',
      hasMedia: Boolean(media),
      timestamp: message.timestamp ?? Math.floor(Date.now() / 1000),
      location: message.location as unknown as WAWebJS.Location,
      vCards: message.vCards ?? [],
      downloadMedia: async () => media as unknown as WAWebJS.MessageMedia,
    } satisfies WhatsAppMessage;
    for (const client of this.ready()) client.emit('message', built);
    return built;
  }

  /** Texts sent to one chat, in order. */
  textsTo(chatId: string): string[] {
    return this.sent.filter((m) => m.chatId === chatId).map((m) => m.text);
  }
}

/** The library's Client, bound to a world. */
export class FakeClient extends EventEmitter {
  status: 'new' | 'qr' | 'ready' | 'destroyed' = 'new';
  /** Set to make this client's page stuck: none of its sends settle (a new client's page works). */
  hung = false;
  private readonly auth: FakeLocalAuth;

  constructor(
    private readonly world: FakeWhatsApp,
    readonly options: WAWebJS.ClientOptions,
  ) {
    super();
    this.auth = options.authStrategy as unknown as FakeLocalAuth;
  }

  async initialize(): Promise<void> {
    if (this.world.failInitialize > 0) {
      this.world.failInitialize--;
      throw new Error('Failed to launch the browser process!');
    }
    if (this.world.hangInitialize > 0) {
      this.world.hangInitialize--;
      return new Promise<void>(() => undefined);
    }
    // The library emits from the page, after initialize() has set things up.
    queueMicrotask(() => {
      if (this.status === 'destroyed') return;
      if (this.auth.linked) this.connect();
      else {
        this.status = 'qr';
        this.emit('qr', `2@fakeqr${this.world.clients.indexOf(this)},AbCdEf==,GhIj==,KlMn==`);
      }
    });
  }

  /** The phone scanned this client's QR code: the link is saved and the client connects. */
  scanned(): void {
    if (this.status !== 'qr') throw new Error('no QR code is waiting to be scanned');
    this.auth.link();
    this.connect();
  }

  private connect(): void {
    this.emit('authenticated');
    this.status = 'ready';
    this.emit('change_state', 'CONNECTED');
    this.emit('ready');
  }

  /** The connection drops, as the library reports it: change_state, disconnected, then it destroys itself. */
  dropConnection(state: 'TIMEOUT' | 'CONFLICT' | 'UNPAIRED' = 'CONFLICT'): void {
    this.emit('change_state', state);
    this.emit('disconnected', state);
    this.status = 'destroyed';
  }

  async sendMessage(
    chatId: string,
    content: unknown,
    options?: WAWebJS.MessageSendOptions,
  ): Promise<unknown> {
    if (this.status !== 'ready') throw new Error('Evaluation failed: the page is not ready');
    if (!/@(c\.us|lid|g\.us)$/.test(chatId)) throw new Error('Evaluation failed: Error: invalid wid');
    const text = typeof content === 'string' ? content : (options?.caption ?? '');
    const send = () => {
      this.world.sent.push({ chatId, content, options, text });
      return { id: { _serialized: `true_${chatId}_SENT${this.world.sent.length}` }, fromMe: true };
    };
    if (this.world.stallSends || this.hung || this.world.stallNext > 0) {
      if (this.world.stallNext > 0) this.world.stallNext--;
      return new Promise((resolve) => {
        this.world.stalled.push({ chatId, text, complete: () => resolve(send()) });
      });
    }
    return send();
  }

  async getState(): Promise<WAWebJS.WAState | null> {
    return this.status === 'ready' ? ('CONNECTED' as WAWebJS.WAState) : null;
  }

  async logout(): Promise<void> {
    this.auth.unlink();
    this.status = 'destroyed';
  }

  async destroy(): Promise<void> {
    this.status = 'destroyed';
  }
}
