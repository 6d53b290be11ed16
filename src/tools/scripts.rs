//! The two local tools: Playwright script templates for synthetic (browser) and multistep (API) checks.
//!
//! Invariant: no argument can change the structure of a generated script. Every value is placed in the script as a
//! JSON string or object literal (valid JavaScript) or as a comment whose every line starts with `//`; only
//! `custom_code`, which the caller writes as code on purpose, is inserted as code. These tools make no API call.

use serde_json::{json, Map, Value};

use super::{present, ToolCtx, ToolError};

/// A JavaScript line comment holding `text`: every JavaScript line terminator starts a new `//` line, so the text
/// cannot end the comment and become code.
fn js_comment(text: &str, indent: &str) -> String {
    text.split(['\n', '\r', '\u{2028}', '\u{2029}']).map(|line| format!("{indent}// {line}\n")).collect()
}

/// A JSON value as a JavaScript literal.
fn js_literal(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

fn text<'a>(args: &'a Map<String, Value>, name: &str) -> &'a str {
    present(args, name).and_then(Value::as_str).unwrap_or_default()
}

/// The output schema of both generators.
pub fn output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "script_name": {"type": "string"},
            "script_type": {"type": "string"},
            "description": {"type": "string"},
            "script_content": {"type": "string"},
            "check_type": {"type": "string"},
            "instructions": {"type": "object"},
        },
        "required": ["script_name", "script_type", "description", "script_content", "check_type", "instructions"],
    })
}

fn instructions(check_type: &str) -> Value {
    json!({
        "usage": format!(
            "Create a check with create_check(type=\"{check_type}\", name=..., \
             parameters={{\"pw_script\": <script_content>}}), or try it once with \
             execute_custom_check using the same type and parameters."
        ),
        "requirements": "Playwright test syntax (@playwright/test); Pingera runs the script on its own probes.",
        "configuration": "Adjust the selectors and assertions marked in the comments before using the script.",
    })
}

/// `generate_synthetic_check_script`: a Playwright browser test that opens `target_url` and checks that it
/// loads, with `description` as its goal.
pub fn synthetic(_ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    let url = text(args, "target_url");
    let description = text(args, "description");
    let name = present(args, "script_name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("Synthetic Check - {url}"), str::to_owned);
    let mut script = js_comment(&name, "");
    script.push_str(&js_comment(&format!("Goal: {description}"), ""));
    script.push_str("const { test, expect } = require('@playwright/test');\n\n");
    script.push_str(&format!("test({}, async ({{ page }}) => {{\n", js_literal(&json!(name))));
    script.push_str(&format!(
        "  const response = await page.goto({}, {{ waitUntil: 'domcontentloaded' }});\n",
        js_literal(&json!(url))
    ));
    script.push_str("  expect(response, 'the page answered').not.toBeNull();\n");
    script.push_str("  expect(response.status(), 'HTTP status').toBeLessThan(400);\n");
    script.push_str("  await expect(page.locator('body')).toBeVisible();\n");
    script.push_str("  // Add the steps of the user journey here, for example:\n");
    script.push_str("  // await page.getByRole('link', { name: 'Sign in' }).click();\n");
    script.push_str("  // await expect(page).toHaveURL(/login/);\n");
    script.push_str("});\n");
    Ok(json!({
        "script_name": name,
        "script_type": "synthetic_browser_check",
        "target_url": url,
        "description": description,
        "script_content": script,
        "check_type": "synthetic",
        "instructions": instructions("synthetic"),
    }))
}

/// `generate_api_check_script`: a Playwright API test that sends one request to `url` and checks the status and,
/// if given, a string in the body; `custom_code` is appended inside the test.
pub fn api(_ctx: &ToolCtx<'_>, args: &Map<String, Value>) -> Result<Value, ToolError> {
    let url = text(args, "url");
    let description = text(args, "description");
    let method = present(args, "method").and_then(Value::as_str).unwrap_or("GET");
    let name = format!("API Check - {method} {url}");
    let mut script = js_comment(&name, "");
    script.push_str(&js_comment(&format!("Goal: {description}"), ""));
    script.push_str("const { test, expect } = require('@playwright/test');\n\n");
    script.push_str(&format!("test({}, async ({{ request }}) => {{\n", js_literal(&json!(name))));
    script.push_str(&format!("  const response = await request.fetch({}, {{\n", js_literal(&json!(url))));
    script.push_str(&format!("    method: {},\n", js_literal(&json!(method))));
    if let Some(headers) = present(args, "headers") {
        script.push_str(&format!("    headers: {},\n", js_literal(headers)));
    }
    if let Some(payload) = present(args, "payload") {
        script.push_str(&format!("    data: {},\n", js_literal(payload)));
    }
    script.push_str("  });\n");
    match present(args, "expected_status").and_then(Value::as_i64) {
        Some(status) => script.push_str(&format!("  expect(response.status(), 'HTTP status').toBe({status});\n")),
        None => script.push_str("  expect(response.status(), 'HTTP status').toBeLessThan(400);\n"),
    }
    if let Some(needle) = present(args, "contains_string") {
        script.push_str("  const body = await response.text();\n");
        script.push_str(&format!("  expect(body).toContain({});\n", js_literal(needle)));
    }
    if let Some(code) = present(args, "custom_code").and_then(Value::as_str) {
        script.push_str("  // Custom code:\n");
        for line in code.lines() {
            script.push_str(&format!("  {line}\n"));
        }
    }
    script.push_str("});\n");
    Ok(json!({
        "script_name": name,
        "script_type": "api_check",
        "url": url,
        "method": method,
        "description": description,
        "script_content": script,
        "check_type": "multistep",
        "instructions": instructions("multistep"),
    }))
}
