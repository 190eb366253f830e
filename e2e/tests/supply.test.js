// Supply and quality: a quality user adds a product, receives a lot by typing a scan into the
// scan field, attaches a certificate, sees the release refused with every reason, enters the
// results and releases the lot with the password.
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

// A GTIN the demo data does not use (check digit 4).
const GTIN = "04912345678904";

test("receive by scan → certificate → release refused → results → release", { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));

  await page.goto(`${demo.url}/login`);
  await page.fill("#login", "qa.kobayashi");
  await page.fill("#password", DEMO_PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(`${demo.url}/`);
  await page.click('nav.side a[href="/supply"]');
  await page.waitForURL(`${demo.url}/supply`);
  assert.equal(await page.locator("h1").textContent(), "在庫・品質");

  // A product with this GTIN (made here so the test does not depend on the demo's products).
  await page.goto(`${demo.url}/supply/products/new`);
  const code = `E2E-${Date.now() % 100000}`;
  await page.fill("#code", code);
  await page.fill("#name", "E2E 歯髄幹細胞培養上清液");
  await page.fill("#manufacturer", "E2Eテスト製薬");
  await page.check('input[name="sources"][value="dental_pulp"]');
  await page.fill("#vial_volume_ml", "5");
  await page.fill("#storage_min_c", "-85");
  await page.fill("#storage_max_c", "-65");
  await page.fill("#in_use_minutes", "120");
  await page.check('input[name="routes"][value="iv_drip"]');
  await page.fill("#gtin", GTIN);
  await page.click('[data-testid="product-save"]');
  await page.waitForURL(/\/supply\/products\/[0-9a-f-]+\?done=created$/);

  // Receive: type the scan into the scan field (as a scanner would), Enter to read it.
  await page.goto(`${demo.url}/supply/lots/receive`);
  const lot = `E2E${Date.now() % 1000000}`;
  await page.locator('[data-testid="scan-input"]').pressSequentially(`(01)${GTIN}(17)291231(10)${lot}`, { delay: 5 });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector('[data-testid="scan-accepted-value"]')?.value !== "");
  await page.selectOption("#location_id", { index: 1 });
  await page.fill("#vials", "10");
  await page.click('[data-testid="receive-submit"]');
  await page.waitForURL(/\/supply\/lots\/[0-9a-f-]+\?done=received$/);
  const lotUrl = page.url().replace(/\?.*$/, "");
  assert.equal((await page.locator('[data-testid="lot-number"]').textContent()).trim(), lot);
  assert.equal((await page.locator('[data-testid="lot-state"]').textContent()).trim(), "検疫中");

  // Attach a certificate: a tiny PDF made here.
  const pdf = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
  await page.setInputFiles("#certificate-file", { name: `CoA-${lot}.pdf`, mimeType: "application/pdf", buffer: pdf });
  await page.click('[data-testid="certificate-submit"]');
  await page.waitForURL(/\?done=certificate$/);
  assert.match(await page.locator('[data-testid="certificates"]').textContent(), new RegExp(`CoA-${lot}\\.pdf`));

  // Release refused: every reason is on the page.
  await page.fill("#release-password", DEMO_PASSWORD);
  await page.click('[data-testid="release-submit"]');
  const refused = await page.locator('[data-testid="release-error-items"]').textContent();
  for (const name of ["無菌試験（細菌）", "エンドトキシン", "マイコプラズマ", "パルボウイルスB19"]) {
    assert.match(refused, new RegExp(`必要な試験結果がありません: ${name.replace(/[()（）/]/g, ".")}`), refused);
  }
  assert.equal((await page.locator('[data-testid="lot-state"]').textContent()).trim(), "検疫中");

  // Results: one line per missing test is offered; fill them.
  await page.fill("#tested_on_all", "2026-10-01");
  const lines = page.locator("[data-result-line]");
  const n = await lines.count();
  for (let i = 0; i < n - 1; i++) {
    const line = lines.nth(i);
    const t = await line.locator('select[name="test"]').inputValue();
    await line.locator('input[name="method"]').fill(t === "endotoxin" ? "比濁時間分析法" : "日局 試験法");
    await line.locator('input[name="outcome"]').fill(t === "endotoxin" ? "0.1" : "negative");
    if (t === "endotoxin") await line.locator('input[name="unit"]').fill("EU/mL");
  }
  await page.click('[data-testid="results-submit"]');
  await page.waitForURL(/\?done=results$/);
  assert.equal(await page.locator('[data-testid="release-ready"]').count(), 1);

  // Release with the password.
  await page.fill("#release-password", DEMO_PASSWORD);
  await page.click('[data-testid="release-submit"]');
  await page.waitForURL(/\?done=release$/);
  assert.equal((await page.locator('[data-testid="lot-state"]').textContent()).trim(), "使用可");
  assert.equal(page.url().replace(/\?.*$/, ""), lotUrl);
  mkdirSync("screenshots", { recursive: true });
  await page.screenshot({ path: "screenshots/supply-lot-released.png", fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
