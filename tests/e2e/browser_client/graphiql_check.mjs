// Opens GraphiQL at <base>/graphql#token=<jwt> in headless chromium, runs <query>,
// then <subscription> (over the page's websocket), and prints one JSON object with
// what a person would have seen and every request the page made.
// Arguments: <base url> <token> <query> <subscription> <done text> <screenshot dir>
import { join } from "node:path";
import { isLoopback, openBrowser } from "./browser.mjs";

const [base, token, query, subscription, doneText, screenshots] = process.argv.slice(2);
const browser = await openBrowser();
const report = { requests: browser.requests, offLoopback: browser.offLoopback, sockets: [] };
const page = await browser.context.newPage();

try {
  page.on("websocket", (socket) => {
    const record = { url: socket.url(), sent: [], received: [] };
    report.sockets.push(record);
    socket.on("framesent", (frame) => record.sent.push(String(frame.payload)));
    socket.on("framereceived", (frame) => record.received.push(String(frame.payload)));
  });
  var editors = () =>
    page.evaluate(() =>
      Object.fromEntries(
        ["query", "headers", "response"].map((name) => {
          const selector = {
            query: ".graphiql-query-editor .CodeMirror",
            headers: ".graphiql-editor-tool .CodeMirror",
            response: ".graphiql-response .CodeMirror",
          }[name];
          const editor = [...document.querySelectorAll(selector)].map((e) => e.CodeMirror.getValue());
          return [name, name === "headers" ? editor.find((v) => v.includes("{")) ?? editor.join("") : editor[0]];
        }),
      ),
    );
  const run = async (operation, expected) => {
    await page.evaluate((text) => {
      document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(text);
    }, operation);
    // GraphiQL parses an edit after a debounce, and picks HTTP or the websocket by the
    // parsed operation: run only once it has parsed this one.
    await page.waitForFunction(
      (kind) =>
        document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.documentAST
          ?.definitions[0]?.operation === kind,
      operation.startsWith("subscription") ? "subscription" : "query",
    );
    await page.click(".graphiql-execute-button");
    await page.waitForFunction(
      (text) => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue().includes(text),
      expected,
      { timeout: 30000 },
    );
    return (await editors()).response;
  };

  await page.goto(`${base}/graphql#token=${encodeURIComponent(token)}`);
  await page.waitForSelector(".graphiql-execute-button", { timeout: 30000 });
  report.stillLoading = (await page.textContent("#graphiql")).trim() === "Loading...";
  report.urlAfterLoad = page.url();
  report.headers = (await editors()).headers;
  await page.screenshot({ path: join(screenshots, "graphiql.png") });

  report.queryResponse = await run(query, '"viewer"');
  report.subscriptionResponse = await run(subscription, doneText);
  await page.screenshot({ path: join(screenshots, "graphiql-subscription.png") });
  report.offLoopbackSockets = report.sockets.map((s) => s.url).filter((url) => !isLoopback(url));
} catch (error) {
  report.error = String(error?.stack ?? error);
  report.editorsAtError = await editors().catch(() => null);
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
