// Starts `jousei demo` in a fresh directory on a free port and a headless
// Chromium (Debian's, never a downloaded one) for each test file.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const DEMO_PASSWORD = "jousei-demo-2026!";

export function jouseiBinary() {
  const fromEnv = process.env.JOUSEI_BIN;
  if (fromEnv) return fromEnv;
  const target = process.env.CARGO_TARGET_DIR || resolve(here, "../../target");
  return join(target, "debug", "jousei");
}

/** Why the browser tests cannot run here, or null when they can. */
export function unavailable() {
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM}`;
  if (!existsSync(jouseiBinary())) return `jousei binary not found at ${jouseiBinary()} (run cargo build)`;
  return null;
}

export async function startDemo() {
  const dir = mkdtempSync(join(tmpdir(), "jousei-e2e-"));
  const child = spawn(jouseiBinary(), ["demo", "--data-dir", dir, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, JOUSEI_LOG: "warn" },
  });
  let out = "";
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`demo did not start: ${out}`)), 60000);
    child.stdout.on("data", (d) => {
      out += d.toString();
      const m = out.match(/running at (http:\/\/[^\s]+)\//);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.stderr.on("data", (d) => (out += d.toString()));
    child.on("exit", (code) => rej(new Error(`demo exited ${code}: ${out}`)));
  });
  return {
    url,
    async stop() {
      child.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 200));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** Collects page errors and console errors (4xx responses are expected in tests). */
export function watch(page, errors) {
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
}

/** Signs in at `url` as a demo user and waits for the home page. */
export async function signIn(page, url, login) {
  await page.goto(`${url}/login`);
  await page.fill("#login", login);
  await page.fill("#password", DEMO_PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForURL(`${url}/`);
}
