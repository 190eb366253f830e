// Foundation: a demo user signs in, switches the language, and signs out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { startDemo, launch, unavailable, DEMO_PASSWORD } from "./harness.js";

const skip = unavailable();
let demo, browser;

before(async () => {
  if (skip) return;
  demo = await startDemo();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test("sign in, switch language, sign out", { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(`${demo.url}/`);
  assert.match(page.url(), /\/login$/, "unsigned visitors land on the sign-in page");
  assert.equal(await page.locator("html").getAttribute("lang"), "ja");
  assert.equal(await page.locator("h1").textContent(), "ログイン");

  // Wrong password first: a clear message, still on the sign-in page.
  await page.fill("#login", "ns.suzuki");
  await page.fill("#password", "wrong-password-1!");
  await page.click('[data-testid="login-submit"]');
  assert.equal(
    (await page.locator('[data-testid="login-error"]').textContent()).trim(),
    "ログインIDまたはパスワードが正しくありません。",
  );
  // The refused sign-in answers 401 on purpose; only later errors count.
  errors.length = 0;

  await page.fill("#password", DEMO_PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(`${demo.url}/`);
  assert.equal(await page.locator('[data-testid="user-name"]').textContent(), "鈴木 美咲");
  assert.match(await page.locator('[data-testid="welcome"]').textContent(), /鈴木 美咲 さん/);
  assert.equal(await page.locator('[data-testid="clinic-switch"] option:checked').textContent(), "銀座リジェネクリニック");
  mkdirSync("screenshots", { recursive: true });
  await page.screenshot({ path: "screenshots/home-ja.png", fullPage: true });

  // The BIZ UD font is served by jousei itself and used.
  const fontOk = await page.evaluate(async () => {
    await document.fonts.ready;
    return document.fonts.check('16px "BIZ UDPGothic"');
  });
  assert.ok(fontOk, "BIZ UDPGothic loaded");

  // Switch to English: the whole page follows, and it stays English.
  await page.click('[data-testid="lang-en"]');
  await page.waitForLoadState("load");
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.equal((await page.locator('[data-testid="logout"]').textContent()).trim(), "Sign out");
  assert.equal(await page.locator('[data-testid="clinic-switch"] option:checked').textContent(), "Ginza Regene Clinic");
  await page.goto(`${demo.url}/account`);
  assert.equal(await page.locator("h1").textContent(), "Account");
  await page.screenshot({ path: "screenshots/account-en.png", fullPage: true });

  // Keyboard: the skip link is the first stop.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");

  await page.click('[data-testid="logout"]');
  await page.waitForURL(/\/login\?out=1$/);
  assert.match(await page.locator(".flash").textContent(), /You have signed out\./);
  await page.goto(`${demo.url}/`);
  assert.match(page.url(), /\/login$/, "signed out for real");
  assert.deepEqual(errors, [], "no console errors (CSP violations would show here)");
  await context.close();
});

test("a tablet-sized screen gets the same shell", { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 820, height: 1180 }, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${demo.url}/login`);
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await page.fill("#login", "audit.ito");
  await page.fill("#password", DEMO_PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(`${demo.url}/`);
  await page.click('nav.side a[href="/audit"]');
  assert.equal(await page.locator("h1").textContent(), "Audit log");
  const rows = await page.locator('[data-testid="audit"] tbody tr').count();
  assert.ok(rows > 5, `audit rows shown (${rows})`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, "no sideways scrolling on a tablet");
  await page.screenshot({ path: "screenshots/audit-tablet-en.png", fullPage: false });
  await context.close();
});
