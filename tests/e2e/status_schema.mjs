// status_schema.mjs - validates a JSON document (stdin) against a schema of
// docs/openapi.yaml (argv[2], e.g. StatusPage) with Ajv (JSON Schema
// 2020-12), using the pinned packages tests/openapi/check.sh installs.
// Prints "ok" or the errors (exit 1). Used by tests/e2e/test_status_page.py.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const require = createRequire(join(root, "tests", "openapi", "package.json"));
const Ajv2020 = require("ajv/dist/2020.js").default;
const addFormats = require("ajv-formats").default;
const YAML = require("yaml");

const doc = YAML.parse(readFileSync(join(root, "docs", "openapi.yaml"), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: "openapi.json", components: doc.components });
const validate = ajv.compile({ $ref: `openapi.json#/components/schemas/${process.argv[2]}` });
const data = JSON.parse(readFileSync(0, "utf8"));
if (validate(data)) {
	console.log("ok");
} else {
	console.log(JSON.stringify(validate.errors, null, 1));
	process.exit(1);
}
