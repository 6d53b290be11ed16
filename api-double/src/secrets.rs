//! Organisation secrets and their attachment to checks as environment variables.
//!
//! Invariant: a secret's value leaves the double only from `GET /v1/secrets/{id}` and from the create/patch
//! answers that echo what the caller just sent; lists and check attachments always carry `secret_value: null`
//! or no value at all.

use super::router::{ApiError, ApiRequest, ApiResult, Reply};
use super::schema::{self, Kind, Schema};
use super::store::{self, find, find_mut, merge, obj, str_field, Object, Store};
use super::SEED_USER_ID;
use serde_json::{json, Value};

const SECRET: Schema = Schema {
    fields: &[("secret_name", Kind::Str(1, 100)), ("secret_value", Kind::Str(1, 10_000))],
    required: &["secret_name", "secret_value"],
};

const CHECK_SECRET: Schema = Schema {
    fields: &[("secret_id", Kind::Str(1, 12)), ("env_variable", Kind::Str(1, 100))],
    required: &["secret_id", "env_variable"],
};

/// The secret without its value (SecretListItem).
fn redacted(secret: &Object) -> Value {
    let mut out = secret.clone();
    out.insert("secret_value".into(), Value::Null);
    Value::Object(out)
}

pub fn list_secrets(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let paging = req.paging("page_size")?;
    Reply::ok(paging.envelope("secrets", st.secrets.iter().map(redacted).collect()))
}

pub fn create_secret(st: &mut Store, req: &ApiRequest) -> ApiResult {
    let fields = schema::validate(&req.json()?, &SECRET, false)?;
    let mut secret = obj(json!({"created_by": SEED_USER_ID, "updated_by": SEED_USER_ID}));
    secret.extend(fields);
    st.stamp_new(&mut secret);
    st.secrets.push(secret.clone());
    Reply::created(Value::Object(secret))
}

/// The one route that reveals a secret's value.
pub fn get_secret(st: &mut Store, s: &str) -> ApiResult {
    find(&st.secrets, s)
        .map(|x| Value::Object(x.clone()))
        .ok_or_else(|| ApiError::not_found("Secret"))
        .and_then(Reply::ok)
}

pub fn patch_secret(st: &mut Store, s: &str, req: &ApiRequest) -> ApiResult {
    let mut fields = schema::validate(&req.json()?, &SECRET, true)?;
    fields.insert("updated_by".into(), json!(SEED_USER_ID));
    let secret = find_mut(&mut st.secrets, s).ok_or_else(|| ApiError::not_found("Secret"))?;
    merge(secret, fields);
    Reply::ok(Value::Object(secret.clone()))
}

/// Deletes a secret and detaches it from every check.
pub fn delete_secret(st: &mut Store, s: &str) -> ApiResult {
    if !store::remove(&mut st.secrets, s) {
        return Err(ApiError::not_found("Secret"));
    }
    st.check_secrets.retain(|a| str_field(a, "secret_id") != Some(s));
    Reply::no_content()
}

// ---- Check attachments ---------------------------------------------------------------------------------

fn require_check(st: &Store, c: &str) -> Result<(), ApiError> {
    find(&st.checks, c).map(|_| ()).ok_or_else(|| ApiError::not_found("Check"))
}

/// An attachment with its secret nested (without the value).
fn render_attachment(st: &Store, a: &Object) -> Value {
    let mut out = a.clone();
    out.remove("check_id");
    let secret = str_field(a, "secret_id").and_then(|s| find(&st.secrets, s)).map(|s| {
        let mut s = s.clone();
        s.remove("secret_value");
        Value::Object(s)
    });
    out.insert("secret".into(), secret.unwrap_or(Value::Null));
    Value::Object(out)
}

fn attachments_of(st: &Store, c: &str) -> Value {
    Value::Array(
        st.check_secrets
            .iter()
            .filter(|a| str_field(a, "check_id") == Some(c))
            .map(|a| render_attachment(st, a))
            .collect(),
    )
}

/// Parses `[{secret_id, env_variable}]` (the write form used by PUT …/secrets and by a check's `secrets`),
/// checking that every secret exists and no variable name repeats.
pub fn parse_refs(st: &Store, value: &Value, field: &str) -> Result<Vec<(String, String)>, ApiError> {
    let items = value.as_array().ok_or_else(|| ApiError::invalid_json_field(field, "Not a valid list."))?;
    let mut refs: Vec<(String, String)> = Vec::new();
    for item in items {
        let fields = schema::validate(item, &CHECK_SECRET, false)?;
        let (Some(secret), Some(var)) = (str_field(&fields, "secret_id"), str_field(&fields, "env_variable")) else {
            return Err(ApiError::invalid_json_field(field, "Field may not be null."));
        };
        if find(&st.secrets, secret).is_none() {
            return Err(ApiError::invalid_json_field(field, &format!("Secret {secret} not found.")));
        }
        if refs.iter().any(|(_, v)| v == var) {
            return Err(ApiError::invalid_json_field(field, &format!("Duplicate env_variable {var}.")));
        }
        refs.push((secret.to_string(), var.to_string()));
    }
    Ok(refs)
}

/// Replaces all attachments of check `c`.
pub fn set_check_secrets(st: &mut Store, c: &str, refs: Vec<(String, String)>) {
    st.check_secrets.retain(|a| str_field(a, "check_id") != Some(c));
    for (secret, var) in refs {
        let mut a = obj(json!({"check_id": c, "secret_id": secret, "env_variable": var}));
        st.stamp_new(&mut a);
        a.remove("updated_at");
        st.check_secrets.push(a);
    }
}

pub fn list_check_secrets(st: &mut Store, c: &str) -> ApiResult {
    require_check(st, c)?;
    Reply::ok(attachments_of(st, c))
}

pub fn attach_secret(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    require_check(st, c)?;
    let body = req.json()?;
    let refs = parse_refs(st, &Value::Array(vec![body]), "secret_id")?;
    let Some((secret, var)) = refs.into_iter().next() else {
        return Err(ApiError::invalid_json_field("secret_id", "Missing data for required field."));
    };
    let mine = |a: &&Object| str_field(a, "check_id") == Some(c);
    if st.check_secrets.iter().filter(mine).any(|a| str_field(a, "secret_id") == Some(secret.as_str())) {
        return Err(ApiError::new(409, "Secret is already attached to this check"));
    }
    if st.check_secrets.iter().filter(mine).any(|a| str_field(a, "env_variable") == Some(var.as_str())) {
        return Err(ApiError::new(409, "Environment variable is already used by this check"));
    }
    let mut a = obj(json!({"check_id": c, "secret_id": secret, "env_variable": var}));
    st.stamp_new(&mut a);
    a.remove("updated_at");
    st.check_secrets.push(a.clone());
    Reply::created(render_attachment(st, &a))
}

pub fn replace_check_secrets(st: &mut Store, c: &str, req: &ApiRequest) -> ApiResult {
    require_check(st, c)?;
    let refs = parse_refs(st, &req.json()?, "_schema")?;
    set_check_secrets(st, c, refs);
    Reply::ok(attachments_of(st, c))
}

/// Detaches by the secret's id (not the attachment's), as the real route does.
pub fn detach_secret(st: &mut Store, c: &str, s: &str) -> ApiResult {
    require_check(st, c)?;
    let before = st.check_secrets.len();
    st.check_secrets.retain(|a| !(str_field(a, "check_id") == Some(c) && str_field(a, "secret_id") == Some(s)));
    if st.check_secrets.len() == before {
        return Err(ApiError::not_found("Check secret"));
    }
    Reply::no_content()
}
