// The walk through Portcullis's pages (tests/e2e/README.md). Each step: load, act, check what a person
// sees, run axe-core (any violation fails), save a screenshot under $SCREENSHOTS.
import { chromium } from 'playwright-core';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const { ISSUER, CLIENT_ID, E2E_PASSWORD, SCREENSHOTS, CHROMIUM } = process.env;
const REDIRECT_URI = `${ISSUER}/dev/callback`;
mkdirSync(SCREENSHOTS, { recursive: true });

const failures = [];

// A small SMTP receiver (RFC 5321: enough for one client) that keeps every message's text.
const mails = [];
const smtp = createServer((socket) => {
  let data = null;
  let buf = '';
  socket.write('220 e2e ESMTP\r\n');
  socket.on('data', (chunk) => {
    buf += chunk.toString('utf8');
    for (;;) {
      if (data !== null) {
        const end = buf.indexOf('\r\n.\r\n');
        if (end < 0) return;
        data += buf.slice(0, end);
        buf = buf.slice(end + 5);
        mails.push(data);
        data = null;
        socket.write('250 queued\r\n');
        continue;
      }
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'DATA') { data = ''; socket.write('354 go on\r\n'); }
      else if (verb === 'QUIT') { socket.end('221 bye\r\n'); }
      else if (verb === 'EHLO' || verb === 'HELO') { socket.write('250 e2e\r\n'); }
      else { socket.write('250 ok\r\n'); }
    }
  });
});
await new Promise((resolve) => smtp.listen(Number(process.env.SMTP_PORT), '127.0.0.1', resolve));

// Quoted-printable soft breaks and escapes (RFC 2045 §6.7) undone, then the first link to `path`.
async function linkInMail(path) {
  for (let i = 0; i < 100; i++) {
    for (const m of mails) {
      const text = m.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      const found = text.match(new RegExp(`${ISSUER}${path}\\?[^\\s"<>]+`));
      if (found) return found[0].replace(/&amp;/g, '&');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}
const b64url = (buf) => buf.toString('base64url');

function check(cond, what) {
  if (!cond) failures.push(what);
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
}

async function axe(page, name) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { resultTypes: ['violations'] }));
  for (const v of result.violations) {
    failures.push(`${name}: axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  console.log(`${result.violations.length ? 'FAIL' : 'ok  '} ${name}: axe-core, ${result.violations.length} violation(s)`);
}

// Keyboard focus: tabbing to the first control shows a visible focus indicator.
async function focusVisible(page, name) {
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    return { tag: el.tagName, outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== 'none' };
  });
  check(ring && (ring.outline || ring.shadow), `${name}: keyboard focus is visible (${JSON.stringify(ring)})`);
}

async function shot(page, name) {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

async function step(page, name, { dark = true } = {}) {
  await axe(page, name);
  await shot(page, name);
  if (dark) {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(400); // let colour transitions finish before contrast is measured
    await axe(page, `${name} (dark)`);
    await shot(page, `${name}-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
  }
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
// bypassCSP lets axe-core be injected; the pages' own CSP is tested in the Rust suite.
const context = await browser.newContext({ bypassCSP: true, viewport: { width: 900, height: 800 }, locale: 'en-GB' });
const page = await context.newPage();
try {
  // 1. The authorization request of a single-page app: login.
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(12));
  const authorize = new URL(`${ISSUER}/authorize`);
  Object.entries({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access',
    state, nonce: b64url(randomBytes(12)), code_challenge: challenge, code_challenge_method: 'S256',
  }).forEach(([k, v]) => authorize.searchParams.set(k, v));
  await page.goto(authorize.href);
  check(await page.locator('h1').first().textContent().then((t) => /sign in/i.test(t)), 'login: the heading says "Sign in"');
  await focusVisible(page, 'login');
  await step(page, 'login');

  // A wrong password: the error is announced and the form keeps the username.
  await page.fill('#username', 'alice');
  await page.fill('#password', 'not the password');
  // docs/security.md O.1: the refusal answers 303 to the login page's GET, which shows the error.
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  check(page.url().includes('notice=login-refused'), 'login: a wrong password redirects to a page that can be reloaded');
  check(await page.locator('[role=alert]').count() > 0, 'login: a wrong password shows an alert');
  check(await page.inputValue('#username') === 'alice', 'login: the username stays');
  await step(page, 'login-error', { dark: false });

  await page.fill('#password', E2E_PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);

  // 2. Consent.
  check(page.url().startsWith(ISSUER) && (await page.locator('form[action="/consent"]').count()) === 1, 'consent: the consent page follows the login');
  await focusVisible(page, 'consent');
  await step(page, 'consent');
  // Reload-safe: reloading the consent page shows it again.
  await page.reload();
  check((await page.locator('form[action="/consent"]').count()) === 1, 'consent: a reload shows the consent page again');
  await Promise.all([page.waitForURL((u) => u.href.startsWith(REDIRECT_URI)), page.click('button[value=allow]')]);

  // 3. The redirect with the code, and the code redeemed.
  const back = new URL(page.url());
  check(back.searchParams.get('state') === state && back.searchParams.get('iss') === ISSUER, 'callback: state and iss come back');
  const code = back.searchParams.get('code');
  check(!!code, 'callback: a code comes back');
  await step(page, 'callback', { dark: false });
  const token = await fetch(`${ISSUER}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, code_verifier: verifier }),
  }).then((r) => r.json());
  check(typeof token.access_token === 'string' && typeof token.id_token === 'string', 'callback: the code is redeemed for tokens');

  // 4. The account page.
  await page.goto(`${ISSUER}/account`);
  check(await page.getByText('Alice Liddell').count() > 0, 'account: shows the name');
  await focusVisible(page, 'account');
  await step(page, 'account');

  // 5. An error page for people: an unknown client.
  await page.goto(`${ISSUER}/authorize?client_id=nobody&response_type=code`);
  check(/\/authorize/.test(page.url()), 'error: no redirect to an unregistered URI');
  await step(page, 'error');

  // 6. Logout, with the confirmation page.
  await page.goto(`${ISSUER}/logout?id_token_hint=${encodeURIComponent(token.id_token)}&post_logout_redirect_uri=${encodeURIComponent(REDIRECT_URI)}&client_id=${CLIENT_ID}`);
  const confirm = page.locator('form[action="/logout/confirm"]');
  if ((await confirm.count()) === 1) {
    await step(page, 'logout');
    await Promise.all([page.waitForLoadState('load'), page.click('button[value=logout]')]);
  }
  await page.goto(`${ISSUER}/account`);
  check((await page.locator('#password').count()) === 1, 'logout: the account page asks to sign in again');
  await step(page, 'signed-out', { dark: false });

  // 7. A forgotten password, reset by email.
  await Promise.all([page.waitForLoadState('load'), page.click('a[href="/password/forgot"]')]);
  await step(page, 'password-forgot');
  await page.fill('#login', 'alice');
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  await step(page, 'password-forgot-sent', { dark: false });
  const link = await linkInMail('/reset');
  check(!!link, 'reset: the mail holds a reset link');
  await page.goto(link);
  await step(page, 'password-reset');
  const NEW_PASSWORD = 'a brand new passphrase 2026';
  await page.fill('#new_password', NEW_PASSWORD);
  await page.fill('#confirm_password', NEW_PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  await step(page, 'password-reset-done', { dark: false });
  await page.goto(`${ISSUER}/account`);
  await page.fill('#username', 'alice');
  await page.fill('#password', NEW_PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
  check(await page.getByText('Alice Liddell').count() > 0, 'reset: the new password signs in');
  await page.goto(link);
  check(await page.locator('#new_password').count() === 0, 'reset: the link works once');

  // 8. German pages: ui_locales=de on the request.
  const german = new URL(authorize.href);
  german.searchParams.set('ui_locales', 'de');
  german.searchParams.set('prompt', 'login consent'); // consent was remembered: ask again to see it in German
  await page.goto(german.href);
  check(await page.locator('html').getAttribute('lang') === 'de', 'german: <html lang="de"> on the login page');
  await step(page, 'login-de', { dark: false });
  await page.fill('#username', 'alice');
  await page.fill('#password', NEW_PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
  check((await page.locator('form[action="/consent"]').count()) === 1, 'german: prompt=consent shows the consent page again');
  check(await page.locator('html').getAttribute('lang') === 'de', 'german: <html lang="de"> on the consent page');
  await step(page, 'consent-de', { dark: false });
} catch (e) {
  failures.push(`walk stopped: ${e.stack || e}`);
  await shot(page, 'failure').catch(() => {});
} finally {
  await browser.close();
  smtp.close();
}
if (failures.length) {
  console.error(`\n${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('\nevery page walked, no accessibility violation');
