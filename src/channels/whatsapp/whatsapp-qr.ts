import QRCode from 'qrcode';
import qrcodeTerminal from 'qrcode-terminal';

/**
 * Prints the QR code that links a number, in the terminal (stderr, so JSON logs on stdout stay
 * clean), with a line saying what to do with it.
 */
export function printQrInTerminal(qr: string, out: NodeJS.WritableStream = process.stderr): void {
  qrcodeTerminal.generate(qr, { small: true }, (art) => {
    out.write(
      `\nWhatsApp: scan this code with the phone of the number to link (WhatsApp > Linked devices > Link a device):\n${art}\n`,
    );
  });
}

/** The QR code as a PNG `data:` URL, drawn here (no outside service ever sees the code). */
export function qrDataUrl(qr: string): Promise<string> {
  return QRCode.toDataURL(qr, { errorCorrectionLevel: 'M', margin: 2, width: 320 });
}
