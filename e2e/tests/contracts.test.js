// Contracts: a coordinator sells a package from the price list (jousei says it is covered and
// why), makes the summary and the contract document, records the paper handover (the
// cooling-off starts), opens the PDF, quotes a cancellation on today's date with its arithmetic
// and executes it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, launch, unavailable, watch, signIn } from "./harness.js";

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

test("sell → documents → handover → cancel", { skip: skip ?? false }, async () => {
  const errors = [];
  const ctx = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  watch(page, errors);
  await signIn(page, demo.url, "co.yamamoto");

  await page.click('nav.side a[href="/contracts"]');
  await page.waitForURL(`${demo.url}/contracts`);
  assert.match(await page.locator('[data-testid="price-list"]').textContent(), /税込/);
  await page.click('[data-testid="contract-new"]');
  await page.fill('[data-testid="cn-number"]', "000001");
  await page.click('[data-testid="cn-patient"]');
  await page.waitForSelector('[data-testid="cn-patient-label"]');
  assert.match(await page.locator('[data-testid="cn-patient-label"]').textContent(), /山田 花子/);
  // A package from the price list (the skin-injection course when there is one).
  const item = await page.$eval('[data-testid="cn-item-1"]', (sel) => {
    const opts = [...sel.options].filter((o) => o.value);
    return (opts.find((o) => o.text.includes("肌")) || opts[0]).value;
  });
  await page.selectOption('[data-testid="cn-item-1"]', item);
  await page.selectOption('[data-testid="cn-purpose"]', "beauty");
  await page.selectOption('[data-testid="cn-method"]', "drug");
  await page.click('[data-testid="cn-submit"]');
  await page.waitForURL(/\/contracts\/[0-9a-f-]+\?done=made$/);
  assert.match(await page.locator('[data-testid="coverage"]').textContent(), /特定商取引法の適用あり[\s\S]*美容を目的とする施術です/);
  assert.match(await page.locator('[data-testid="cooling-off"]').textContent(), /未開始/);

  await page.click('[data-testid="make-summary"]');
  await page.waitForURL(/\?done=document$/);
  await page.click('[data-testid="make-contract"]');
  await page.waitForURL(/\?done=document$/);
  assert.equal(await page.locator('[data-testid="doc"]').count(), 2);
  const pdfHref = await page.locator('[data-testid="doc-pdf"]').last().getAttribute("href");
  const pdf = await page.request.get(`${demo.url}${pdfHref}`);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()["content-type"], "application/pdf");

  // The contract document handed over on paper today: the 8 days start.
  const forms = page.locator('[data-testid="handover-form"]');
  await forms.last().locator('[data-testid="handover-submit"]').click();
  await page.waitForURL(/\?done=handover$/);
  assert.match(await page.locator('[data-testid="cooling-off"]').textContent(), /残り 8 日/);

  // Quote on today's date, then execute.
  await page.click('[data-testid="quote-submit"]');
  await page.waitForSelector('[data-testid="quote"]');
  assert.match(await page.locator('[data-testid="quote"]').textContent(), /クーリング・オフ期間内/);
  await page.click('[data-testid="cancel-submit"]');
  await page.waitForURL(/\?done=cancelled$/);
  assert.match(await page.locator('[data-testid="contract-status"]').textContent(), /解約済み/);
  assert.ok((await page.locator('[data-testid="cancellation-steps"] li').count()) >= 1);

  assert.deepEqual(errors, []);
  await ctx.close();
});
