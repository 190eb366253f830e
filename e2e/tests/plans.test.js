// Plans and schedule: a physician builds a 70/30 blend plan for a consented patient and
// approves it; jousei proposes the course; a coordinator books it; another coordinator's
// day view, left open, shows the new appointment without a reload (the list refreshes
// itself), and a second booking of the taken slot is refused with the conflict named.
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



async function optionValue(page, select, text) {
  const v = await page.locator(`${select} option`, { hasText: text }).first().getAttribute("value");
  assert.ok(v, `no option ${text} in ${select}`);
  return v;
}

test("plan with a blend → approval → course → booking, seen live by another coordinator", { skip: skip ?? false }, async () => {
  const errors = [];
  const drCtx = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 900 } });
  const dr = await drCtx.newPage();
  watch(dr, errors);
  await signIn(dr, demo.url, "dr.tanaka");

  // The patient's record → new plan.
  await dr.goto(`${demo.url}/patients?kana=やまだ`);
  await dr.click('[data-testid="patient-results"] a >> nth=1');
  await dr.waitForURL(/\/patients\/[0-9a-f-]+$/);
  await dr.click('[data-testid="plan-new"]');
  await dr.waitForURL(/\/plans\/new$/);
  await dr.selectOption('[data-testid="f-indication_code"]', "fatigue");
  await dr.selectOption('[data-testid="f-route"]', "iv_drip");
  await dr.selectOption('[data-testid="f-product-1"]', await optionValue(dr, '[data-testid="f-product-1"]', "DP-CM-10"));
  await dr.fill('[data-testid="f-share-1"]', "70");
  await dr.selectOption('[data-testid="f-product-2"]', await optionValue(dr, '[data-testid="f-product-2"]', "UC-CM-3"));
  await dr.fill('[data-testid="f-share-2"]', "40");
  await dr.fill('[data-testid="f-dose"]', "10");
  const protocols = await dr.locator('[data-testid="f-protocol_id"] option').count();
  assert.ok(protocols >= 2, "the clinic's protocol templates are offered");
  await dr.selectOption('[data-testid="f-protocol_id"]', { index: 1 });

  // Shares that do not add up to 100 are refused next to the products; nothing is saved.
  await dr.click('[data-testid="plan-submit"]');
  await dr.waitForSelector('[data-testid="error-components"]');
  assert.match(await dr.locator('[data-testid="error-components"]').textContent(), /100%/);
  await dr.fill('[data-testid="f-share-2"]', "30");
  await dr.click('[data-testid="plan-submit"]');
  await dr.waitForURL(/\/plans\/[0-9a-f-]+\?done=created$/);
  const plan = dr.url().replace(/\?.*$/, "");
  await dr.waitForSelector('[data-testid="plan-unapproved"]');
  assert.match(await dr.locator('[data-testid="plan-facts"]').textContent(), /70%[\s\S]*30%/);
  assert.ok((await dr.locator('[data-testid="plan-rationales"] li').count()) >= 1, "rationales with their source");
  assert.ok((await dr.locator('[data-testid="course-table"] tbody tr').count()) >= 3, "the proposed course");

  await dr.click('[data-testid="plan-approve"]');
  await dr.waitForURL(/\?done=approved$/);
  await dr.waitForSelector('[data-testid="plan-approved"]');
  const first = (await dr.locator('[data-testid="session-1-date"]').textContent()).trim().slice(0, 10);
  assert.match(first, /^\d{4}-\d{2}-\d{2}$/);

  // Coordinator A keeps the day view of the first session open.
  const aCtx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const a = await aCtx.newPage();
  watch(a, errors);
  await signIn(a, demo.url, "co.yamamoto");
  await a.goto(`${demo.url}/schedule?date=${first}`);
  const live = a.locator('[data-testid="schedule-live"]');
  assert.equal(await live.getByText("山田 花子").count(), 0, "not booked yet");

  // Coordinator B books the course from the plan.
  const bCtx = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 900 } });
  const b = await bCtx.newPage();
  watch(b, errors);
  await signIn(b, demo.url, "co.yamamoto");
  await b.goto(plan);
  await b.fill('[data-testid="book-time"]', "11:00");
  await b.fill('[data-testid="book-room"]', "処置室2");
  await b.click('[data-testid="book-course-submit"]');
  await b.waitForURL(/\?done=booked&n=\d+$/);
  await b.waitForSelector('[data-testid="session-1-appt"]');
  assert.match(await b.locator('[data-testid="session-1-appt"]').textContent(), /予約済/);

  // A's page shows it without a reload.
  const before = a.url();
  await live.getByText("山田 花子").first().waitFor({ timeout: 25000 });
  assert.equal(a.url(), before);

  // A tries the same room and time for another patient: refused, the conflict named.
  await a.click("#book summary");
  await a.fill('[data-testid="sb-number"]', "000002");
  await a.fill('[data-testid="sb-date"]', first);
  await a.fill('[data-testid="sb-time"]', "11:00");
  await a.fill('[data-testid="sb-room"]', "処置室2");
  await a.click('[data-testid="sb-submit"]');
  await a.waitForSelector('[data-testid="form-error"]');
  assert.match(await a.locator('[data-testid="form-error"]').textContent(), /time is taken/);

  assert.deepEqual(errors, []);
  await drCtx.close();
  await aCtx.close();
  await bCtx.close();
});
