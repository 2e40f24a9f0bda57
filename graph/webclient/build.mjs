// Builds dist/ (what the API serves at /): the bundled app, the page and its styles.
// Run by the Makefile from the lockfile's packages; nothing is fetched at run time.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

const here = new URL(".", import.meta.url);
const dist = new URL("dist/", here);

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [new URL("src/main.js", here).pathname],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  outfile: new URL("app.js", dist).pathname,
  logLevel: "warning",
});
for (const file of ["index.html", "styles.css"]) {
  await copyFile(new URL(`src/${file}`, here), new URL(file, dist));
}
