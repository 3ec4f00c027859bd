use super::*;

fn int(min: Option<i64>, max: Option<i64>) -> OptKind {
    OptKind::Int { min, max }
}

#[test]
fn bool_accepts_oslo_words() {
    for text in ["true", "TRUE", "1", "on", "Yes", " yes "] {
        assert_eq!(
            OptKind::Bool.parse(text),
            Ok(OptValue::Bool(true)),
            "{text}"
        );
    }
    for text in ["false", "False", "0", "OFF", "no"] {
        assert_eq!(
            OptKind::Bool.parse(text),
            Ok(OptValue::Bool(false)),
            "{text}"
        );
    }
    assert!(OptKind::Bool.parse("enabled").is_err());
    assert!(OptKind::Bool.parse("").is_err());
}

#[test]
fn int_checks_bounds() {
    let kind = int(Some(1), Some(20));

    assert_eq!(kind.parse("1"), Ok(OptValue::Int(1)));
    assert_eq!(kind.parse(" 20 "), Ok(OptValue::Int(20)));
    assert_eq!(
        kind.parse("21"),
        Err("expected an integer between 1 and 20".into())
    );
    assert!(kind.parse("0").is_err());
    assert!(kind.parse("1.5").is_err());
    assert!(kind.parse("").is_err());
    assert_eq!(int(Some(-1), None).parse("-1"), Ok(OptValue::Int(-1)));
    assert_eq!(
        int(Some(-1), None).parse("-2"),
        Err("expected an integer of at least -1".into())
    );
    assert_eq!(
        int(None, None).parse("x"),
        Err("expected an integer".into())
    );
}

#[test]
fn port_range() {
    assert_eq!(OptKind::Port.parse("9797"), Ok(OptValue::Int(9797)));
    assert_eq!(OptKind::Port.parse("65535"), Ok(OptValue::Int(65535)));
    assert_eq!(
        OptKind::Port.parse("99999"),
        Err("expected a port number between 1 and 65535".into())
    );
    assert!(OptKind::Port.parse("0").is_err());
    assert!(OptKind::Port.parse("http").is_err());
}

#[test]
fn list_trims_and_drops_trailing_comma() {
    let list = |text| match OptKind::List.parse(text) {
        Ok(OptValue::List(items)) => items,
        other => panic!("{other:?}"),
    };

    assert_eq!(list("a, b ,c,"), ["a", "b", "c"]);
    assert_eq!(list("a,,b"), ["a", "", "b"]);
    assert_eq!(list("a,,"), ["a", ""]);
    assert_eq!(list("single"), ["single"]);
    assert!(list("").is_empty());
    assert!(list(" , ").is_empty());
}

#[test]
fn choice_is_case_sensitive() {
    let kind = OptKind::Choice(&["public", "internal", "admin"]);

    assert_eq!(kind.parse("admin"), Ok(OptValue::Str("admin".into())));
    assert_eq!(
        kind.parse("Admin"),
        Err("expected one of: public, internal, admin".into())
    );
}

#[test]
fn uri_requires_http_scheme() {
    assert_eq!(
        OptKind::Uri.parse("http://controller/identity"),
        Ok(OptValue::Str("http://controller/identity".into()))
    );
    assert!(OptKind::Uri.parse("https://[::1]:5000").is_ok());
    for bad in ["controller:5000", "ftp://x", "http://", "https://a b", ""] {
        assert!(OptKind::Uri.parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn path_must_not_be_empty() {
    assert_eq!(
        OptKind::Path.parse("/var/lib/x"),
        Ok(OptValue::Str("/var/lib/x".into()))
    );
    assert!(OptKind::Path.parse("  ").is_err());
}

#[test]
fn ip_address_v4_and_v6() {
    assert!(matches!(
        OptKind::IpAddress.parse("0.0.0.0"),
        Ok(OptValue::Ip(_))
    ));
    assert!(matches!(
        OptKind::IpAddress.parse("::1"),
        Ok(OptValue::Ip(_))
    ));
    assert!(OptKind::IpAddress.parse("localhost").is_err());
}

#[test]
fn aws_region_shape() {
    for good in [
        "us-east-1",
        "eu-central-1",
        "us-gov-west-1",
        "ap-southeast-12",
    ] {
        assert!(is_aws_region(good), "{good}");
    }
    for bad in [
        "",
        "us-east",
        "useast-1",
        "US-EAST-1",
        "u-east-1",
        "us--1",
        "us-east-1a",
        "us-1",
    ] {
        assert!(!is_aws_region(bad), "{bad}");
    }
}

#[test]
fn string_kept_verbatim() {
    assert_eq!(
        OptKind::String.parse(" a\\b "),
        Ok(OptValue::Str(" a\\b ".into()))
    );
}
