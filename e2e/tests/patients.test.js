// Patients: a coordinator registers a patient, the patient fills the questionnaire on a
// tablet-sized screen (820 × 1180, touch), a physician decides, and the patient signs the
// consent by drawing on the canvas with the mouse; the consent then shows as signed.
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

function watch(page, errors) {
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
}

async function signIn(page, login) {
  await page.goto(`${demo.url}/login`);
  await page.fill("#login", login);
  await page.fill("#password", DEMO_PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(`${demo.url}/`);
}

test("register → tablet questionnaire → decision → drawn signature → signed", { skip: skip ?? false }, async () => {
  const errors = [];
  const desk = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 900 } });
  const co = await desk.newPage();
  watch(co, errors);
  await signIn(co, "co.yamamoto");
  await co.click('nav.side a[href="/patients"]');
  await co.waitForURL(`${demo.url}/patients`);
  assert.equal((await co.locator("h1").textContent()).trim(), "患者");

  // Register: a field error first, then the patient.
  await co.click('[data-testid="patient-new"]');
  await co.waitForURL(`${demo.url}/patients/new`);
  const phone = `090-7${String(Date.now() % 1000).padStart(3, "0")}-${String(Date.now() % 10000).padStart(4, "0")}`;
  await co.fill('[data-testid="f-name"]', "試験 春子");
  await co.fill('[data-testid="f-kana"]', "Shiken Haruko");
  await co.fill('[data-testid="f-birth_date"]', "1990-03-15");
  await co.selectOption('[data-testid="f-sex"]', "female");
  await co.fill('[data-testid="f-phone"]', phone);
  await co.fill('[data-testid="f-address"]', "東京都中央区銀座4-5-6");
  await co.check('[data-testid="f-data_consent"]');
  await co.click('[data-testid="patient-submit"]');
  await co.waitForSelector('[data-testid="error-kana"]');
  assert.match(await co.locator('[data-testid="error-kana"]').textContent(), /ひらがなまたは全角カタカナ/);
  await co.fill('[data-testid="f-kana"]', "しけん はるこ");
  await co.click('[data-testid="patient-submit"]');
  await co.waitForURL(/\/patients\/[0-9a-f-]+\?done=created$/);
  const record = co.url().replace(/\?.*$/, "");
  assert.match(await co.locator('[data-testid="patient-name"]').textContent(), /シケン ハルコ/);

  // The questionnaire on a tablet: one column, large touch targets, no sideways scrolling.
  const tablet = await browser.newContext({
    locale: "ja-JP",
    viewport: { width: 820, height: 1180 },
    hasTouch: true,
    isMobile: true,
    storageState: await desk.storageState(),
  });
  const tab = await tablet.newPage();
  watch(tab, errors);
  await tab.goto(`${record}/questionnaire`);
  const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the questionnaire scrolls sideways by ${overflow}px`);
  const box = await tab.locator('[data-testid="q-drug_allergy"] label.choice').first().boundingBox();
  assert.ok(box.height >= 44, `touch target ${box.height}px high`);
  const questions = await tab.locator("fieldset.question").evaluateAll((fs) => fs.map((f) => f.dataset.testid.slice(2)));
  assert.ok(questions.includes("pregnancy") && questions.length === 11, questions.join());
  for (const q of questions) {
    await tab.locator(`[data-testid="q-${q}-${q === "drug_allergy" ? "yes" : "no"}"]`).tap();
  }
  await tab.fill('[data-testid="q-drug_allergy-detail"]', "ペニシリンで発疹");
  mkdirSync("screenshots", { recursive: true });
  await tab.screenshot({ path: "screenshots/patients-questionnaire-tablet.png", fullPage: true });
  await tab.locator('[data-testid="q-submit"]').tap();
  await tab.waitForURL(/\?done=answers/);
  await tablet.close();

  // Staff see the findings; the physician decides.
  await co.goto(record);
  assert.match(await co.locator('[data-testid="findings"]').textContent(), /薬剤アレルギー/);
  assert.equal(await co.locator('[data-testid="decision-form"]').count(), 0);
  const drCtx = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 900 } });
  const dr = await drCtx.newPage();
  watch(dr, errors);
  await signIn(dr, "dr.tanaka");
  await dr.goto(record);
  await dr.check('[data-testid="decision-eligible"]');
  await dr.fill('[data-testid="decision-reason"]', "薬剤アレルギーは本剤と無関係。問題なし。");
  await dr.click('[data-testid="decision-submit"]');
  await dr.waitForURL(/\?done=decided/);
  assert.match(await dr.locator('[data-testid="decision"]').textContent(), /適応/);
  await drCtx.close();

  // Consent: template and product, the document, the signature drawn with the mouse.
  await co.goto(record);
  await co.click('[data-testid="open-consent"]');
  await co.waitForURL(/\/consent$/);
  const tpl = await co.locator('[data-testid="c-template"] option', { hasText: "CM-IV" }).getAttribute("value");
  await co.selectOption('[data-testid="c-template"]', tpl);
  await co.locator("label", { hasText: "DP-CM-10" }).locator('input[type="checkbox"]').check();
  await co.click('[data-testid="c-show"]');
  await co.waitForSelector('[data-testid="consent-text"]');
  assert.match(await co.locator('[data-testid="consent-text"]').textContent(), /DP-CM-10|未承認/);
  await co.selectOption('[data-testid="c-explained_by"]', "dr.tanaka");
  const pad = co.locator('[data-testid="signature-pad"]');
  await pad.scrollIntoViewIfNeeded();
  const b = await pad.boundingBox();
  await co.mouse.move(b.x + b.width * 0.1, b.y + b.height * 0.7);
  await co.mouse.down();
  for (let i = 1; i <= 20; i++) {
    await co.mouse.move(b.x + b.width * (0.1 + i * 0.035), b.y + b.height * (0.5 + 0.3 * Math.sin(i / 2)));
  }
  await co.mouse.up();
  const path = await co.inputValue("#signature_svg_path");
  assert.match(path, /^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){5,}/);
  await co.click('[data-testid="sign-submit"]');
  await co.waitForURL(/\?done=signed/);
  assert.equal((await co.locator('[data-testid="consent-state"]').first().textContent()).trim(), "署名済み");
  const drawn = await co.locator('[data-testid="signature-img"]').first().evaluate((img) => img.complete && img.naturalWidth > 0);
  assert.ok(drawn, "the signature image loads");
  // The signed consent as a PDF, with its hash shown on the record.
  const sha = (await co.locator('[data-testid="consent-pdf-sha"]').first().textContent()).trim();
  assert.match(sha, /^[0-9a-f]{64}$/);
  const href = await co.locator('[data-testid="consent-pdf"]').first().getAttribute("href");
  const pdf = await co.request.get(new URL(href, co.url()).toString());
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()["content-type"], "application/pdf");
  assert.equal(pdf.headers()["x-content-sha256"], sha);
  assert.equal((await pdf.body()).subarray(0, 5).toString(), "%PDF-");
  await co.screenshot({ path: "screenshots/patients-consent-signed.png", fullPage: true });
  await desk.close();

  assert.deepEqual(errors, []);
});
