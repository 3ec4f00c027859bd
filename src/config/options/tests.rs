use super::*;

#[test]
fn defaults_parse() {
    for opt in OPTIONS {
        if let Some(default) = opt.default {
            assert!(
                opt.kind.parse(default).is_ok(),
                "[{}] {}: default {default:?} is invalid",
                opt.group,
                opt.name
            );
        }
    }
}

#[test]
fn names_unique_and_grouped() {
    for (index, opt) in OPTIONS.iter().enumerate() {
        let first = OPTIONS
            .iter()
            .position(|other| other.group == opt.group && other.name == opt.name);
        assert_eq!(first, Some(index), "[{}] {} repeats", opt.group, opt.name);
        assert!(
            GROUPS.iter().any(|group| group.name == opt.group),
            "[{}] is not in GROUPS",
            opt.group
        );
    }
}

#[test]
fn required_options_have_no_default() {
    for opt in OPTIONS.iter().filter(|opt| opt.required) {
        assert_eq!(opt.default, None, "[{}] {}", opt.group, opt.name);
    }
}

#[test]
fn help_text_present() {
    for opt in OPTIONS {
        assert!(opt.help.ends_with('.'), "[{}] {}", opt.group, opt.name);
    }
}

#[test]
fn env_var_names() {
    assert_eq!(env_var_name("DEFAULT", "debug"), "OS_DEFAULT__DEBUG");
    assert_eq!(
        env_var_name("keystone_authtoken", "password"),
        "OS_KEYSTONE_AUTHTOKEN__PASSWORD"
    );
}
