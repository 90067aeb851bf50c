// Headless Chromium for browser tests: the system's Chromium (Debian's /usr/bin/chromium), driven by
// playwright-core. Never downloads a browser; set CHROMIUM_PATH to use another binary.
import { access } from 'node:fs/promises';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet and offline: no sandbox (containers), no GPU, no QUIC, no background traffic to Google. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless Chromium; close it with `browser.close()` in afterAll. */
export async function launchChromium(): Promise<Browser> {
  await access(CHROMIUM_PATH).catch(() => {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium or set CHROMIUM_PATH`);
  });
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Page errors and console errors (a CSP violation, an uncaught exception), for "none happened" checks. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

// The web chat page (src/http/public): bot turns are `.turn.bot` holding a `.msg.bot` bubble and
// optionally a `.choices` group of buttons; the citizen's turns are `.turn.me` with a `.msg.me` bubble.

/** Every bot message bubble in the log, oldest first. */
export function botMessages(page: Page): Locator {
  return page.locator('#log .msg.bot');
}

/**
 * Waits until the NEWEST bot turn contains `text` (the question being asked), then returns that turn,
 * so its buttons are the ones that answer it (older turns have disabled buttons with the same labels).
 */
export async function waitForQuestion(page: Page, text: string | RegExp): Promise<Locator> {
  const turn = page.locator('#log .turn.bot').last();
  await turn.filter({ hasText: text }).waitFor();
  return turn;
}

/** Answers the current question by pressing one of its buttons. */
export async function choose(page: Page, question: string | RegExp, label: string): Promise<void> {
  const turn = await waitForQuestion(page, question);
  await turn.getByRole('button', { name: label, exact: true }).click();
}

/** Types into the composer and presses Enter, as a person would; waits for the bubble to show it. */
export async function typeAnswer(page: Page, question: string | RegExp, text: string): Promise<void> {
  await waitForQuestion(page, question);
  const input = page.locator('#input');
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await page.locator('#log .turn.me').last().filter({ hasText: text }).waitFor();
}
