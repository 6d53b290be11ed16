//! Unit tests of `config`.

use super::*;

fn load(args: &[&str], env: &[(&str, &str)]) -> Result<(Command, Config), ConfigError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_sources(&args, &env)
}

#[test]
fn defaults() {
    let (cmd, c) = load(&[], &[]).unwrap();
    assert_eq!(cmd, Command::Serve);
    assert_eq!(c.mode, Mode::ReadOnly);
    assert_eq!(c.base_url, "https://api.pingera.ru");
    assert_eq!(c.timeout, Duration::from_secs(30));
    assert_eq!(c.max_retries, 3);
    assert_eq!(c.transport, Transport::Stdio);
    assert_eq!(c.http_host.to_string(), "127.0.0.1");
    assert_eq!(c.http_port, 5000);
    assert!(c.credential.is_none());
}

#[test]
fn jwt_wins_over_api_key() {
    let (_, c) = load(&[], &[("PINGERA_API_KEY", "k"), ("PINGERA_JWT_TOKEN", "j")]).unwrap();
    assert_eq!(c.credential.unwrap().header_value(), "Bearer j");
    assert!(c.both_credentials_set);
}

#[test]
fn empty_variables_count_as_unset() {
    let (_, c) = load(&[], &[("PINGERA_API_KEY", "k"), ("PINGERA_JWT_TOKEN", "")]).unwrap();
    assert_eq!(c.credential.unwrap().header_value(), "k");
}

#[test]
fn prefixed_variable_beats_alias_and_flag_beats_both() {
    let (_, c) = load(&[], &[("TRANSPORT_MODE", "sse"), ("HTTP_PORT", "7000")]).unwrap();
    assert_eq!((c.transport, c.http_port), (Transport::Http, 7000));
    let (_, c) = load(&[], &[("PINGERA_HTTP_PORT", "7001"), ("HTTP_PORT", "7000")]).unwrap();
    assert_eq!(c.http_port, 7001);
    let (_, c) = load(&["--http-port", "7002"], &[("PINGERA_HTTP_PORT", "7001")]).unwrap();
    assert_eq!(c.http_port, 7002);
}

#[test]
fn bad_values_name_the_variable() {
    let e = load(&[], &[("PINGERA_MODE", "write")]).unwrap_err().to_string();
    assert_eq!(e, "invalid PINGERA_MODE=\"write\": expected read_only or read_write");
    let e = load(&[], &[("HTTP_PORT", "http")]).unwrap_err().to_string();
    assert!(e.starts_with("invalid HTTP_PORT=\"http\""), "{e}");
    let e = load(&["--timeout=-1"], &[]).unwrap_err().to_string();
    assert!(e.starts_with("invalid --timeout=\"-1\""), "{e}");
    let e = load(&[], &[("PINGERA_DEBUG", "maybe")]).unwrap_err().to_string();
    assert!(e.contains("true or false"), "{e}");
    assert!(load(&["--nope"], &[]).is_err());
    let e = load(&["--toolsets", "pages,nope"], &[]).unwrap_err().to_string();
    assert!(e.starts_with("invalid --toolsets=\"pages,nope\"") && e.contains("check_results, "), "{e}");
    let e = load(&[], &[("PINGERA_EXCLUDE_TOOLS", "list_pagez")]).unwrap_err().to_string();
    assert!(e.contains("PINGERA_EXCLUDE_TOOLS") && e.contains("list_pages"), "{e}");
}

#[test]
fn boolean_flags_stand_alone() {
    let (_, c) = load(&["--debug", "--mode", "read_write"], &[]).unwrap();
    assert!(c.debug);
    assert_eq!(c.mode, Mode::ReadWrite);
    let (_, c) = load(&["--debug", "false"], &[("PINGERA_DEBUG", "true")]).unwrap();
    assert!(!c.debug);
}

#[test]
fn base_url_keeps_inner_v1() {
    assert_eq!(normalise_base_url("http://127.0.0.1:9/v1/").unwrap(), "http://127.0.0.1:9");
    assert_eq!(normalise_base_url("http://h/v1x/api/v1").unwrap(), "http://h/v1x/api");
    assert_eq!(normalise_base_url("https://api.pingera.ru").unwrap(), "https://api.pingera.ru");
    assert!(normalise_base_url("ftp://h").is_none());
    assert!(normalise_base_url("http://").is_none());
}

#[test]
fn secrets_never_print() {
    let c = Credential::ApiKey(Secret::new("very-secret-key-123456"));
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("very-secret"), "{dbg}");
    assert!(!c.describe().contains("very-secret"));
}

#[test]
fn check_subcommand_and_help() {
    assert_eq!(load(&["check"], &[]).unwrap().0, Command::Check);
    assert_eq!(load(&["--help"], &[]).unwrap().0, Command::Help);
    assert_eq!(load(&["-V"], &[]).unwrap().0, Command::Version);
    assert!(help_text().contains("PINGERA_REQUIRE_AUTH_HEADER (alias REQUIRE_AUTH_HEADER)"));
    assert!(help_text().contains("    check_results\n        get_check_results, get_check_statistics"));
    assert!(help_text().contains("create_page*"), "write tools are marked");
    // Every flag is separated from its variable, the longest one included.
    for st in SETTINGS {
        assert!(help_text().contains(&format!("{}  ", st.flag)), "{} runs into its variable", st.flag);
    }
}

#[test]
fn session_keys_are_checked_and_never_echoed() {
    let key = "k".repeat(20);
    let e = load(&[], &[("PINGERA_HTTP_SESSION_KEY", &key)]).unwrap_err().to_string();
    assert!(e.starts_with("invalid PINGERA_HTTP_SESSION_KEY=\"****\""), "{e}");
    assert!(!e.contains(&key), "{e}");
    let good = "ab".repeat(32);
    let e = load(&[], &[("PINGERA_HTTP_SESSION_KEY_PREVIOUS", &good)]).unwrap_err().to_string();
    assert!(e.contains("PINGERA_HTTP_SESSION_KEY as well"), "{e}");
    let (_, c) =
        load(&[], &[("PINGERA_HTTP_SESSION_KEY", &good), ("PINGERA_HTTP_SESSION_KEY_PREVIOUS", &good)]).unwrap();
    assert!(c.http_session_key.is_some() && c.http_session_key_previous.is_some());
    assert_eq!(c.http_session_max_age, Duration::from_secs(86400));
    let described = format!("{:?} {:?}", c, c.describe());
    assert!(!described.contains(&good), "{described}");
    assert_eq!(load(&["keygen"], &[]).unwrap().0, Command::Keygen);
}

#[test]
fn toolsets_tools_and_exclusions_are_read() {
    let (_, c) =
        load(&["--tools", "list_checks"], &[("PINGERA_TOOLSETS", "pages"), ("PINGERA_EXCLUDE_TOOLS", "delete_page")])
            .unwrap();
    let f = &c.tool_filter;
    assert_eq!(f.toolsets.as_deref(), Some(&[crate::tools::Toolset::Pages][..]));
    assert_eq!((f.tools.as_slice(), f.exclude.as_slice()), (&["list_checks"][..], &["delete_page"][..]));
    assert_eq!(load(&[], &[]).unwrap().1.tool_filter, ToolFilter::default(), "the default offers every tool");
}

#[test]
fn user_info_is_masked() {
    assert_eq!(mask_userinfo("http://user:pass@host:8080/v1"), "http://****@host:8080/v1");
    assert_eq!(mask_userinfo("https://a@b@host"), "https://****@host");
    assert_eq!(mask_userinfo("https://host/path@x"), "https://host/path@x");
    assert_eq!(mask_userinfo("https://host"), "https://host");
    let e = load(&[], &[("PINGERA_BASE_URL", "ftp://u:hunter2@h")]).unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
}
