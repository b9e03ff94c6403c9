// validate.mjs - checks docs/openapi.yaml (run by check.sh: node validate.mjs ROOT).
//
// 1. Parses the YAML strictly (duplicate keys are errors) and validates the
//    document against the official OpenAPI 3.1 schema with
//    @seriousme/openapi-schema-validator.
// 2. That schema does not look inside Schema Objects, so every schema is
//    also compiled with Ajv in JSON Schema 2020-12 strict mode (catches
//    misspelt keywords), and every example is validated against its schema.
// 3. Every internal $ref resolves; path templates and path parameters agree;
//    every response declares X-Request-Id; every POST takes Idempotency-Key.
// 4. Cross-checks the route table: the {"METHOD", "/path", handler, role,
//    flags, "name"} rows of src/api/handlers.h and src/api/routes.c must be
//    exactly the document's operations, with operationId = the row's name,
//    x-min-role = its role, and no security exactly on public rows.
// Prints "openapi: ok (N operations)" or every problem found, exit 1.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import YAML from "yaml";

const root = resolve(process.argv[2] || join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
const docPath = join(root, "docs", "openapi.yaml");
const routeFiles = ["src/api/handlers.h", "src/api/routes.c"];
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const problems = [];
const fail = (msg) => problems.push(msg);

function finish() {
	if (problems.length) {
		for (const p of problems) console.error(`openapi: ${p}`);
		console.error(`openapi: FAILED (${problems.length} problem${problems.length > 1 ? "s" : ""})`);
		process.exit(1);
	}
}

// ---- 1. parse and validate against the OpenAPI 3.1 schema ----

let text;
try {
	text = readFileSync(docPath, "utf8");
} catch (e) {
	fail(`cannot read ${docPath}: ${e.message}`);
	finish();
}
const parsed = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
for (const e of parsed.errors) fail(`docs/openapi.yaml: ${e.message}`);
finish();
const doc = parsed.toJS({ maxAliasCount: -1 });

if (typeof doc?.openapi !== "string" || !doc.openapi.startsWith("3.1.")) {
	fail(`openapi must be 3.1.x, found ${JSON.stringify(doc?.openapi)}`);
	finish();
}
const validator = new Validator();
const res = await validator.validate(structuredClone(doc));
if (!res.valid) {
	const errs = Array.isArray(res.errors) ? res.errors : [res.errors];
	for (const e of errs.slice(0, 50)) {
		if (typeof e === "string") fail(`schema: ${e}`);
		else fail(`schema: ${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`);
	}
	finish();
}

// ---- helpers ----

function pointer(ref) {
	if (typeof ref !== "string" || !ref.startsWith("#")) return undefined;
	let node = doc;
	for (const raw of ref.slice(1).split("/").slice(1)) {
		const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
		if (node === null || typeof node !== "object" || !(key in node)) return undefined;
		node = node[key];
	}
	return node;
}

// Follows Reference Objects (not schema $refs) until a real object.
function deref(obj) {
	for (let i = 0; obj && typeof obj === "object" && typeof obj.$ref === "string" && i < 20; i++)
		obj = pointer(obj.$ref);
	return obj;
}

function walk(node, path, visit) {
	if (node === null || typeof node !== "object") return;
	visit(node, path);
	for (const [k, v] of Object.entries(node)) walk(v, `${path}/${k}`, visit);
}

// ---- 3a. every $ref resolves ----

walk(doc, "#", (node, path) => {
	if (typeof node.$ref !== "string") return;
	if (!node.$ref.startsWith("#")) fail(`${path}: external $ref ${node.$ref} (keep the document self-contained)`);
	else if (pointer(node.$ref) === undefined) fail(`${path}: unresolved $ref ${node.$ref}`);
});
finish();

// ---- 2. schemas compile (JSON Schema 2020-12, strict) and examples validate ----

const SCHEMA_ID = "urn:casebook:openapi";
const ajv = new Ajv2020({
	strict: true,
	strictTypes: false,
	strictRequired: false,
	allowUnionTypes: true,
	allErrors: true,
});
addFormats(ajv);
for (const kw of ["discriminator", "xml", "externalDocs", "example"]) ajv.addKeyword(kw);

function rewriteRefs(node) {
	if (Array.isArray(node)) return node.map(rewriteRefs);
	if (node === null || typeof node !== "object") return node;
	const out = {};
	for (const [k, v] of Object.entries(node)) {
		if (k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/"))
			out[k] = `${SCHEMA_ID}#/$defs/${v.slice("#/components/schemas/".length)}`;
		else if (k.startsWith("x-")) continue;
		else out[k] = rewriteRefs(v);
	}
	return out;
}

const defs = rewriteRefs(doc.components?.schemas ?? {});
try {
	ajv.addSchema({ $id: SCHEMA_ID, $defs: defs });
} catch (e) {
	fail(`components/schemas: ${e.message}`);
	finish();
}

function compile(schema, where) {
	try {
		return ajv.compile(rewriteRefs(schema));
	} catch (e) {
		fail(`${where}: schema does not compile: ${e.message}`);
		return null;
	}
}

function checkExample(validate, value, where) {
	if (validate && !validate(value))
		fail(`${where}: example does not match its schema: ${ajv.errorsText(validate.errors)}`);
}

for (const name of Object.keys(defs)) {
	const v = compile({ $ref: `#/components/schemas/${name}` }, `#/components/schemas/${name}`);
	const ex = doc.components.schemas[name]?.examples;
	if (v && Array.isArray(ex)) ex.forEach((x, i) => checkExample(v, x, `#/components/schemas/${name}/examples/${i}`));
}

// Every Media Type, Parameter and Header object with a schema (Reference
// Objects are checked where they point).
function checkHolder(node, where) {
	if (!node || typeof node !== "object" || typeof node.$ref === "string" || !node.schema) return;
	const v = compile(node.schema, `${where}/schema`);
	if ("example" in node) checkExample(v, node.example, `${where}/example`);
	for (const [k, ex] of Object.entries(node.examples ?? {})) {
		const e = deref(ex);
		if (e && typeof e === "object" && "value" in e) checkExample(v, e.value, `${where}/examples/${k}`);
	}
}
const each = (obj, where, fn) => {
	for (const [k, v] of Object.entries(obj ?? {})) fn(v, `${where}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
};
const checkParams = (list, where) => (list ?? []).forEach((p, i) => checkHolder(p, `${where}/${i}`));
const checkContent = (body, where) => {
	if (!body || typeof body.$ref === "string") return;
	each(body.content, `${where}/content`, checkHolder);
	each(body.headers, `${where}/headers`, checkHolder);
};
each(doc.paths, "#/paths", (item, w) => {
	checkParams(item.parameters, `${w}/parameters`);
	for (const m of METHODS) {
		const op = item[m];
		if (!op) continue;
		checkParams(op.parameters, `${w}/${m}/parameters`);
		checkContent(op.requestBody, `${w}/${m}/requestBody`);
		each(op.responses, `${w}/${m}/responses`, checkContent);
	}
});
const comp = doc.components ?? {};
each(comp.parameters, "#/components/parameters", checkHolder);
each(comp.headers, "#/components/headers", checkHolder);
each(comp.requestBodies, "#/components/requestBodies", checkContent);
each(comp.responses, "#/components/responses", checkContent);
finish();

// ---- 3b. operations: parameters, headers ----

const ops = new Map(); // "METHOD /path" -> { op, path, method }
const opIds = new Map();
for (const [path, item] of Object.entries(doc.paths ?? {})) {
	const pathParams = (item.parameters ?? []).map(deref);
	for (const method of METHODS) {
		const op = item[method];
		if (!op) continue;
		const key = `${method.toUpperCase()} ${path}`;
		ops.set(key, { op, path, method });
		if (op.operationId) {
			if (opIds.has(op.operationId)) fail(`${key}: operationId ${op.operationId} also used by ${opIds.get(op.operationId)}`);
			opIds.set(op.operationId, key);
		}
		const params = [...pathParams];
		for (const p of (op.parameters ?? []).map(deref)) {
			const i = params.findIndex((q) => q.name === p.name && q.in === p.in);
			if (i >= 0) params.splice(i, 1);
			params.push(p);
		}
		const templ = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
		for (const t of templ)
			if (!params.some((p) => p.in === "path" && p.name === t)) fail(`${key}: path parameter {${t}} is not declared`);
		for (const p of params)
			if (p.in === "path" && !templ.includes(p.name)) fail(`${key}: path parameter ${p.name} is not in the path`);
		if (method === "post" && !params.some((p) => p.in === "header" && p.name.toLowerCase() === "idempotency-key"))
			fail(`${key}: a POST must take the Idempotency-Key header`);
		if (!op.responses || !Object.keys(op.responses).some((s) => /^2/.test(s)))
			fail(`${key}: no 2xx response`);
		for (const [status, r] of Object.entries(op.responses ?? {})) {
			const resp = deref(r);
			const hdrs = Object.keys(resp?.headers ?? {}).map((h) => h.toLowerCase());
			if (!hdrs.includes("x-request-id")) fail(`${key}: response ${status} does not declare X-Request-Id`);
		}
	}
}

// ---- 4. the route table ----

const ROLES = { NONE: "none", CUSTOMER: "customer", ENGINEER: "engineer", AGENT: "agent", ADMIN: "admin" };
const ROW = /\{\s*"([A-Z]+)"\s*,\s*"(\/[^"]*)"\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*([^,{}]+?)\s*,\s*"([^"]+)"\s*\}/g;
const routes = new Map();
for (const f of routeFiles) {
	let src;
	try {
		src = readFileSync(join(root, f), "utf8");
	} catch (e) {
		fail(`cannot read ${f}: ${e.message}`);
		continue;
	}
	src = src.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
	for (const m of src.matchAll(ROW)) {
		const [, method, path, , role, flags, name] = m;
		const key = `${method} ${path}`;
		const roleName = ROLES[role.replace(/^CB_ROLE_/, "")];
		if (!roleName) fail(`${f}: ${key}: unknown role ${role}`);
		const pub = /\b(CB_R_PUBLIC)\b/.test(flags);
		if (routes.has(key) && routes.get(key).name !== name) fail(`${f}: ${key} routed twice`);
		routes.set(key, { name, role: roleName, pub, file: f });
	}
}
if (routes.size === 0) fail(`no route rows found in ${routeFiles.join(", ")}`);

for (const [key, r] of routes) {
	const o = ops.get(key);
	if (!o) {
		fail(`${key} (${r.name}, ${r.file}) is routed but missing from docs/openapi.yaml`);
		continue;
	}
	if (o.op.operationId !== r.name) fail(`${key}: operationId is ${o.op.operationId}, the route is named ${r.name}`);
	if (o.op["x-min-role"] !== r.role) fail(`${key}: x-min-role is ${o.op["x-min-role"]}, the route table says ${r.role}`);
	const sec = o.op.security ?? doc.security ?? [];
	const open = sec.length === 0 || sec.some((s) => Object.keys(s).length === 0);
	if (r.pub && !open) fail(`${key}: the route is public but the document requires authentication`);
	if (!r.pub && open) fail(`${key}: the route needs a bearer token but the document allows anonymous calls`);
}
for (const key of ops.keys())
	if (!routes.has(key)) fail(`${key} is in docs/openapi.yaml but no route table row serves it`);

finish();
console.log(`openapi: ok (${ops.size} operations)`);
