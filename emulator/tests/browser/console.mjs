// The chime-local console in Debian's headless Chromium, driven over the DevTools protocol by
// playwright-core (no browser download: CHROMIUM, /usr/bin/chromium by default).
//
//   node console.mjs ENDPOINT OUT_DIR
//
// Against a running chime-local: opens the console, runs the demo conversation from its button and
// sees the rows arrive with their statuses; opens the denied message (its rule id) and the redacted
// one (the redaction kinds); injects a fault, sends a message from the page and sees the refused and
// then accepted callback in its journey, its row turning SENT live; works by keyboard and in a narrow
// window. Then measures: time to first rows of a 1,000-message channel, and live updates rendered per
// second while this script sends messages as fast as chime-local takes them (bounded in count and
// time), and whether the page caught up afterwards. Prints one JSON line; exits non-zero on failure.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import http from "node:http";

const [endpoint, outDir] = process.argv.slice(2);
if (!endpoint || !outDir) {
  console.error("usage: node console.mjs ENDPOINT OUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const consoleUrl = `${endpoint}/_chime-local/console/`;
const LOAD_SECONDS = 4;
const LOAD_MAX_MESSAGES = 40000;
const LOAD_WORKERS = Number(process.env.CONSOLE_LOAD_WORKERS || 16);

const report = {};
let stage = "start";

async function api(path) {
  const response = await fetch(`${endpoint}/_chime-local/console/api/${path}`);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// The load's sender: plain HTTP/1.1 on kept-alive connections (cheaper per request than fetch).
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function send(channel, sender, content) {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const day = stamp.slice(0, 8);
  const body = JSON.stringify({ Content: content, Type: "STANDARD", Persistence: "PERSISTENT", ClientRequestToken: crypto.randomUUID() });
  const url = new URL(`${endpoint}/channels/${encodeURIComponent(channel)}/messages`);
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "x-amz-chime-bearer": sender,
        "x-amz-date": stamp,
        authorization: `AWS4-HMAC-SHA256 Credential=load/${day}/us-east-1/chime/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
      },
    }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => { text += chunk; });
      response.on("end", () => {
        if (response.statusCode >= 300) reject(new Error(`SendChannelMessage: HTTP ${response.statusCode} ${text}`));
        else resolve(JSON.parse(text).MessageId);
      });
    });
    request.on("error", reject);
    request.end(body);
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));

  stage = "open the console";
  await page.goto(consoleUrl);
  await page.locator("#live-text", { hasText: "live" }).waitFor({ timeout: 10000 });

  stage = "run the demo conversation and see its rows arrive";
  await page.getByRole("button", { name: "Run the demo conversation" }).click();
  const general = page.locator("#tree button", { hasText: "# general" }).first();
  await general.waitFor({ timeout: 20000 });
  await general.click();
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#message-rows tr")];
    return rows.length >= 5 && rows.some((r) => r.dataset.status === "DENIED")
      && rows.every((r) => r.dataset.status !== "PENDING");
  }, null, { timeout: 30000 });
  report.generalStatuses = await page.$$eval("#message-rows tr", (rows) => rows.map((r) => r.dataset.status));
  // The demo's last act is an edit in general (it settles each message before the next): once the
  // edited row is SENT, no demo callback is left to take the fault injected below.
  await page.waitForFunction(() => [...document.querySelectorAll("#message-rows tr")]
    .some((r) => r.textContent.includes("Stand-up moved") && r.dataset.status === "SENT"), null, { timeout: 30000 });

  stage = "open the denied message and see its rule id";
  await page.locator('#message-rows tr[data-status="DENIED"]').first().click();
  await page.locator("#detail li", { hasText: "rule moderation/" }).first().waitFor({ timeout: 10000 });
  report.deniedRule = (await page.locator("#detail li", { hasText: "rule moderation/" }).first().textContent()).match(/rule (\S+)/)[1];
  report.deniedOriginalShown = await page.locator("#detail .original .label").textContent();

  stage = "open the redacted message and see the redaction kinds";
  await page.locator("#message-rows tr", { hasText: "email ×" }).first().click();
  const redaction = page.locator("#detail li", { hasText: "redacted " }).first();
  await redaction.waitFor({ timeout: 10000 });
  report.redactionStep = (await redaction.textContent()).match(/redacted ([^·]+)/)[1].trim();

  stage = "keyboard: arrow to a row and open it with Enter";
  await page.locator("#message-rows tr").first().focus();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  const focusedId = await page.evaluate(() => document.activeElement.dataset.id);
  await page.waitForFunction((id) => document.querySelector(`#message-rows tr[data-id="${id}"]`)?.getAttribute("aria-selected") === "true", focusedId, { timeout: 5000 });
  report.keyboardOpened = true;

  stage = "inject a fault, send from the page, see the retried callback in the journey";
  await page.getByRole("button", { name: "Faults", exact: true }).click();
  await page.locator("#faults-text").fill('{"ChannelFlowCallback": {"reject_first": 1}}');
  await page.getByRole("button", { name: "Apply faults" }).click();
  await page.locator("#faults-answer", { hasText: "applied" }).waitFor({ timeout: 5000 });
  const faultText = `hello from the console, through a fault ${Date.now()}`;
  await page.getByLabel("Message", { exact: true }).fill(faultText);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.locator("#detail li", { hasText: "Callback refused: 400" }).waitFor({ timeout: 10000 });
  await page.locator("#detail li", { hasText: "Settled SENT" }).waitFor({ timeout: 20000 });
  report.faultJourney = await page.$$eval("#detail li", (items) => items.map((li) => li.dataset.kind));
  await page.locator('#message-rows tr[data-status="SENT"]', { hasText: faultText }).waitFor({ timeout: 10000 });
  report.faultRowLive = "SENT";
  await page.getByRole("button", { name: "Clear faults" }).click();
  await page.locator("#faults-answer", { hasText: "cleared" }).waitFor({ timeout: 5000 });
  await page.getByRole("button", { name: "Faults", exact: true }).click();
  await page.screenshot({ path: `${outDir}/console.png` });

  stage = "edit the message from the page: the edit goes through the flow";
  await page.getByRole("button", { name: "Edit this message" }).click();
  await page.getByLabel("Message", { exact: true }).fill(`edited, mail ann@example.com ${Date.now()}`);
  await page.getByRole("button", { name: "Save edit" }).click();
  await page.locator("#detail li", { hasText: "Edit sent into the flow" }).waitFor({ timeout: 10000 });
  await page.locator("#detail dd", { hasText: "edited, mail [EMAIL]" }).waitFor({ timeout: 10000 });
  report.editRedacted = true;

  stage = "stage a sample event and advance the clock from the page";
  await page.getByRole("button", { name: "Stage an event" }).click();
  await page.getByLabel("Sample event from").selectOption({ label: "plain.json" });
  await page.getByRole("button", { name: "Stage it" }).click();
  await page.locator("#stage-answer", { hasText: "Staged " }).waitFor({ timeout: 5000 });
  await page.getByLabel("Sample event from").selectOption({ label: "malformed-bad-channel-arn.json" });
  await page.getByRole("button", { name: "Stage it" }).click();
  await page.locator("#stage-answer.bad").waitFor({ timeout: 5000 });
  report.stagedRefusal = await page.locator("#stage-answer").textContent();
  await page.getByRole("button", { name: "Stage an event" }).click();
  // Opening the panel again reloads the samples; the choice made before survives the reload.
  await page.getByRole("button", { name: "Stage an event" }).click();
  await page.locator("#stage-sample:not([aria-busy])").waitFor({ timeout: 5000 });
  report.sampleKept = await page.$eval("#stage-sample", (s) => s.selectedOptions[0]?.textContent);
  await page.getByRole("button", { name: "Stage an event" }).click();
  await page.getByRole("button", { name: "Clock" }).click();
  await page.getByLabel("Advance the expiry clock by (seconds)").fill("60");
  await page.getByRole("button", { name: "Advance" }).click();
  await page.locator("#clock-answer", { hasText: "Advanced" }).waitFor({ timeout: 5000 });
  await page.getByRole("button", { name: "Clock" }).click();
  report.actsWork = true;

  stage = "a narrow window";
  await page.setViewportSize({ width: 420, height: 800 });
  report.narrowOverflowPx = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: `${outDir}/console-narrow.png`, fullPage: false });
  await page.setViewportSize({ width: 1280, height: 800 });

  stage = "time to first rows of a 1,000-message channel";
  const overview = await api("overview");
  const demo = overview.Instances.find((i) => i.Name === "chime-flow-demo");
  const generalArn = demo.Channels.find((c) => c.Name === "general").Arn;
  const townHall = demo.Channels.find((c) => c.Name === "town-hall");
  const member = (await api(`members?channel=${encodeURIComponent(townHall.Arn)}`)).Members[0];
  const seeded = await fetch(`${endpoint}/_chime-local/seed-messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-chime-local-control": "1" },
    body: JSON.stringify({ ChannelArn: townHall.Arn, SenderArn: member.Arn, Count: 1000 }),
  });
  if (!seeded.ok) throw new Error(`seed-messages: HTTP ${seeded.status}`);
  const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await fresh.goto(`${consoleUrl}?channel=${encodeURIComponent(townHall.Arn)}`);
  await fresh.waitForFunction(() => window.consoleStats.firstRowsAt !== null, null, { timeout: 10000 });
  report.firstRowsMs1000 = Math.round(await fresh.evaluate(() => window.consoleStats.firstRowsAt));
  report.firstRowsCount = await fresh.locator("#message-rows tr").count();
  await fresh.close();

  stage = "live updates under load";
  const senders = (await api(`members?channel=${encodeURIComponent(generalArn)}`)).Members.map((m) => m.Arn);
  const before = await page.evaluate(() => window.consoleStats.rendered);
  let sent = 0;
  let last = null;
  const deadline = Date.now() + LOAD_SECONDS * 1000;
  const startedAt = Date.now();
  const worker = async (w) => {
    while (Date.now() < deadline && sent < LOAD_MAX_MESSAGES) {
      sent += 1;
      last = await send(generalArn, senders[w % senders.length], `load message ${sent} from worker ${w}`);
    }
  };
  await Promise.all([...Array(LOAD_WORKERS).keys()].map(worker));
  const loadSeconds = (Date.now() - startedAt) / 1000;
  const rendered = (await page.evaluate(() => window.consoleStats.rendered)) - before;
  const quiet = Date.now();
  await page.waitForFunction((id) => {
    const top = document.querySelector("#message-rows tr");
    return top && top.dataset.id === id && top.dataset.status !== "PENDING";
  }, last, { timeout: 10000 });
  report.load = {
    seconds: Number(loadSeconds.toFixed(2)),
    messagesSent: sent,
    sentPerSecond: Math.round(sent / loadSeconds),
    updatesRenderedPerSecond: Math.round(rendered / loadSeconds),
    resyncs: await page.evaluate(() => window.consoleStats.resyncs),
    caughtUpMs: Date.now() - quiet,
  };
  report.pageErrors = pageErrors;
  if (pageErrors.length) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
  console.log(JSON.stringify(report));
} catch (error) {
  console.error(`console test failed at "${stage}": ${error.message}`);
  const [open] = browser.contexts().flatMap((c) => c.pages());
  if (open) await open.screenshot({ path: `${outDir}/failure.png` }).catch(() => {});
  console.error(JSON.stringify(report));
  process.exitCode = 1;
} finally {
  agent.destroy();
  await browser.close();
}
