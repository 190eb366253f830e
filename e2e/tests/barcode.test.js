// Barcodes in the browser: the scan field takes keyboard-wedge input at speed, shows what was
// read and every warning before accepting, explains refusals; the label page prints a sheet
// whose symbols scan back to the same vials.
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

async function signIn(page, login) {
  await page.goto(`${demo.url}/login`);
  await page.fill("#login", login);
  await page.fill("#password", DEMO_PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(`${demo.url}/`);
}

/** Types like a keyboard-wedge scanner: a few ms per key, then the suffix key. */
async function scan(page, parts, suffix = "Enter") {
  const input = page.locator('[data-testid="scan-input"]');
  await input.focus();
  await page.keyboard.press("Control+A");
  for (const part of parts) {
    if (part === "GS") {
      await page.keyboard.press("Control+BracketRight");
    } else {
      await page.keyboard.type(part, { delay: 4 });
    }
  }
  if (suffix) await page.keyboard.press(suffix);
}

function outcome(page) {
  return page.locator('[data-testid="scan-outcome"]');
}

test("the scan field reads, warns, refuses and accepts", { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  const previews = [];
  page.on("request", (r) => r.url().endsWith("/scan/preview") && previews.push(r.postData()));

  await signIn(page, "qa.kobayashi");
  await page.click('nav.side a[href="/scan"]');
  await page.waitForURL(`${demo.url}/scan`);
  assert.equal(await page.locator("h1").textContent(), "スキャン確認");
  assert.equal(
    await page.evaluate(() => document.activeElement?.getAttribute("data-testid")),
    "scan-input",
    "the scan field has the focus",
  );

  // 1. A GS1 DataMatrix with GS sent as Ctrl+] (the keyboard form of 0x1D), ended by Enter.
  await scan(page, ["]d2010491234567890417270531", "10CM-2611A", "GS", "21V000123"]);
  await page.waitForSelector('[data-testid="scan-outcome"][data-scan-state="ok"]');
  assert.equal(previews.length, 1, "one request per scan, none per keystroke");
  assert.match(previews[0], /suffix=enter/);
  assert.equal(await page.locator('[data-testid="scan-gtin"]').textContent(), "04912345678904");
  assert.equal(await page.locator('[data-testid="scan-lot"]').textContent(), "CM-2611A");
  assert.equal(await page.locator('[data-testid="scan-expiry"]').textContent(), "2027-05-31");
  assert.equal(await page.locator('[data-testid="scan-serial"]').textContent(), "V000123");
  assert.ok(await page.locator('[data-testid="scan-accepted"]').isVisible(), "a clean scan is accepted");
  assert.equal(
    await page.locator('[data-testid="scan-accepted-value"]').inputValue(),
    "]d201049123456789041727053110CM-2611A\u001d21V000123",
  );
  const diag = await page.locator('[data-testid="scan-diagnostics"]').textContent();
  assert.match(diag, /シンボル識別子 \]d2 が送信されています/);
  assert.match(diag, /GS（0x1D）として届きました/);
  assert.match(diag, /スキャナーの速さです/);
  assert.equal(await page.locator('[data-testid="scan-history"] li').count(), 1);
  mkdirSync("screenshots", { recursive: true });
  await page.screenshot({ path: "screenshots/scan-ok-ja.png", fullPage: true });

  // 2. A lost separator: accepted only after the person confirms; the other reading is offered.
  await scan(page, ["010703206980498810032915210526"]);
  await page.waitForSelector('[data-testid="scan-outcome"][data-scan-state="warnings"]');
  const warning = await page.locator('[data-testid="scan-warning"]').first().textContent();
  assert.match(warning, /区切り文字（GS）が欠けた/);
  assert.equal(
    await page.locator('[data-testid="scan-alternative"]').textContent(),
    "別の読み方: (10) ロット番号 0329 ・ (15) 品質保持期限 2021-05-26",
  );
  assert.equal(await page.locator('[data-testid="scan-lot"]').textContent(), "032915210526");
  assert.ok(await page.locator('[data-testid="scan-accept"]').isDisabled(), "not accepted before confirming");
  assert.equal(await page.locator('[data-testid="scan-accepted-value"]').inputValue(), "");
  assert.equal(await page.locator('[data-testid="scan-accepted"]').isVisible(), false);
  await page.screenshot({ path: "screenshots/scan-warning-ja.png", fullPage: true });
  await page.check('[data-testid="scan-confirm"]');
  await page.click('[data-testid="scan-accept"]');
  assert.ok(await page.locator('[data-testid="scan-accepted"]').isVisible());
  assert.equal(
    await page.locator('[data-testid="scan-accepted-value"]').inputValue(),
    "010703206980498810032915210526",
  );
  assert.equal(await page.locator('[data-testid="scan-history"] li').count(), 2);
  // The person can choose the other reading instead.
  await scan(page, ["010703206980498810032915210526"]);
  await page.waitForSelector('[data-testid="scan-outcome"][data-scan-state="warnings"]');
  await page.click("[data-scan-reread]");
  await page.waitForSelector('[data-testid="scan-outcome"][data-scan-state="ok"]');
  assert.equal(await page.locator('[data-testid="scan-lot"]').textContent(), "0329");

  // 3. A bad check digit: a clear error in Japanese naming what and where.
  await scan(page, ["]d20112345678901234"]);
  await page.waitForSelector('[data-testid="scan-outcome"][data-scan-state="error"]');
  const error = await page.locator('[data-testid="scan-error-detail"]').textContent();
  assert.equal(
    error,
    "項目 (01) 商品コード（GTIN）、19文字目: 「12345678901234」のチェックディジットが正しくありません（4 ですが、正しくは 1）。読み違いか入力ミスです。",
  );
  assert.equal(await page.locator('[data-testid="scan-error"] mark').textContent(), "4");
  assert.equal(await page.locator('[data-testid="scan-accepted-value"]').inputValue(), "");
  await page.screenshot({ path: "screenshots/scan-error-ja.png", fullPage: true });

  // 4. A scanner without a suffix: a fast burst that stops is read by itself.
  const before = previews.length;
  await scan(page, ["(01)04912345678904(17)270531(10)LOT-IDLE"], null);
  await page.waitForSelector('[data-testid="scan-lot"]:text("LOT-IDLE")');
  assert.equal(previews.length, before + 1);
  assert.match(previews.at(-1), /suffix=idle/);

  // 5. Typed by hand, slowly, with a Tab: nothing is sent until the Tab.
  const input = page.locator('[data-testid="scan-input"]');
  await input.fill("");
  const beforeHand = previews.length;
  await page.keyboard.type("(01)04912345678904", { delay: 80 });
  await page.waitForTimeout(500);
  assert.equal(previews.length, beforeHand, "slow typing does not fire");
  await page.keyboard.press("Tab");
  await page.waitForSelector('[data-testid="scan-gtin"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="scan-diagnostics"]')?.textContent.includes("手入力"));
  assert.equal(previews.length, beforeHand + 1);

  assert.deepEqual(errors, [], "no console errors (CSP violations would show here)");
  await context.close();
});

test("a printed label sheet scans back to its vials", { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));

  await signIn(page, "qa.kobayashi");
  await page.click('nav.side a[href="/labels"]');
  await page.waitForURL(`${demo.url}/labels`);
  assert.equal(await page.locator("h1").textContent(), "バイアルラベル");
  await page.fill('[data-testid="labels-gtin"]', "4912345678904");
  await page.fill('[data-testid="labels-product-name"]', "幹細胞培養上清液 5mL");
  await page.fill('[data-testid="labels-lot"]', "CM-2611A");
  await page.fill('[data-testid="labels-expiry"]', "2027-05-31");
  await page.fill('[data-testid="labels-count"]', "3");
  await page.fill('[data-testid="labels-first-serial"]', "V0001");
  await page.click('[data-testid="labels-generate"]');
  await page.waitForSelector('[data-testid="label-sheet"]');
  assert.equal(await page.locator('[data-testid="vial-label"]').count(), 3);
  assert.equal(await page.locator('[data-testid="vial-label"] svg').count(), 3, "three DataMatrix symbols");
  const texts = await page.locator('[data-testid="vial-label"] figcaption').allTextContents();
  assert.match(texts[2], /幹細胞培養上清液 5mL\s*LOT CM-2611A\s*EXP 2027-05-31\s*SN V0003/);
  await page.screenshot({ path: "screenshots/labels-ja.png", fullPage: true });

  // The print button prints (window.print replaced to observe it).
  await page.evaluate(() => {
    window.__printed = 0;
    window.print = () => { window.__printed += 1; };
  });
  await page.click('[data-testid="labels-print"]');
  assert.equal(await page.evaluate(() => window.__printed), 1);
  // In print, only the sheet is shown.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator(".labels-form").isVisible(), false);
  assert.ok(await page.locator('[data-testid="label-sheet"]').isVisible());
  await page.emulateMedia({ media: "screen" });

  // Type the third label's data into the scan field: exactly that vial.
  const hri = await page.locator('[data-testid="vial-label"]').nth(2).getAttribute("data-hri");
  await page.goto(`${demo.url}/scan`);
  await scan(page, [hri]);
  await page.waitForSelector('[data-testid="scan-outcome"][data-scan-state="ok"]');
  assert.equal(await page.locator('[data-testid="scan-serial"]').textContent(), "V0003");
  assert.equal(await page.locator('[data-testid="scan-lot"]').textContent(), "CM-2611A");
  assert.equal(await page.locator('[data-testid="scan-expiry"]').textContent(), "2027-05-31");

  // A refused label: the error names the field, and the form keeps what was typed.
  await page.goto(`${demo.url}/labels`);
  await page.fill('[data-testid="labels-gtin"]', "4912345678900");
  await page.fill('[data-testid="labels-product-name"]', "P");
  await page.fill('[data-testid="labels-lot"]', "L1");
  await page.fill('[data-testid="labels-expiry"]', "2027-05-31");
  await page.click('[data-testid="labels-generate"]');
  await page.waitForSelector('[data-testid="form-error"]');
  assert.match(await page.locator('[data-testid="form-error"]').textContent(), /^GTIN: 「04912345678900」のチェックディジット/);
  assert.equal(await page.locator('[data-testid="labels-gtin"]').inputValue(), "4912345678900");

  assert.deepEqual(errors.filter((e) => !e.includes("422")), [], "no console errors");
  await context.close();
});

test("coordinators scan but do not print labels", { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await signIn(page, "co.yamamoto");
  assert.equal(await page.locator('nav.side a[href="/labels"]').count(), 0);
  assert.equal(await page.locator('nav.side a[href="/scan"]').count(), 1);
  await page.goto(`${demo.url}/scan`);
  await scan(page, ["]d20112345678901234"]);
  await page.waitForSelector('[data-testid="scan-outcome"][data-scan-state="error"]');
  assert.equal(
    await page.locator('[data-testid="scan-error-detail"]').textContent(),
    "field (01) GTIN, character 19: The check digit of '12345678901234' is wrong: it is 4, it should be 1. The code was misread or mistyped.",
  );
  const r = await page.goto(`${demo.url}/labels`);
  assert.equal(r.status(), 403);
  await context.close();
});
