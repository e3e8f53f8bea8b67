//! The table of `dhcpd` command-line flags: one entry per flag drives both
//! argument parsing and the usage text.
//!
//! ISC matches each argument against its flags with an exact string compare
//! (no bundling like `-fd`, no `--flag=value`), and a flag that takes a value
//! takes the next argument whatever it looks like. Its usage text is part of
//! the interface (scripts and people read it after a typo), so it is rebuilt
//! here from the same entries, in ISC's order and line grouping, and a test
//! pins it byte for byte.

/// What a flag does; the parser matches on this, never on the spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagId {
    /// `-p PORT`: UDP port to serve on.
    Port,
    /// `-f`: stay in the foreground.
    Foreground,
    /// `-d`: log to stderr as well (implies `-f`).
    Debug,
    /// `-q`: no banner and no messages on stderr.
    Quiet,
    /// `-t`: test the configuration and exit.
    TestConfig,
    /// `-T`: test the configuration and the lease file, then exit.
    TestLeases,
    /// `-4`: DHCPv4 (the default).
    Inet4,
    /// `-6`: DHCPv6.
    Inet6,
    /// `-cf FILE`: configuration file.
    ConfFile,
    /// `-lf FILE`: lease database.
    LeaseFile,
    /// `-user USER`: drop privileges to this user.
    User,
    /// `-group GROUP`: drop privileges to this group.
    Group,
    /// `-chroot DIR`: chroot after reading the configuration.
    Chroot,
    /// `-tf FILE`: record a trace.
    TraceOutput,
    /// `-play FILE`: replay a trace.
    TracePlay,
    /// `-pf FILE`: pid file.
    PidFile,
    /// `--no-pid`: neither check nor write a pid file.
    NoPid,
    /// `-s ADDR`: send broadcast replies to this address.
    Server,
    /// `--version`: print the version and exit.
    Version,
    /// `--help`: print the usage and exit.
    Help,
    /// `-h`: same as `--help`.
    HelpShort,
}

/// Where a flag appears in the usage text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Opens a new `[...]` group on this usage line.
    Line(u8),
    /// Joins the previous flag's group as an alternative (`[-t|-T]`).
    Alt,
    /// Listed on the last line, `{--version|--help|-h}`: flags that print
    /// something and exit before anything else happens.
    Info,
}

/// One command-line flag.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    /// The exact spelling ISC compares against.
    pub name: &'static str,
    /// What it does.
    pub id: FlagId,
    /// For flags that take the next argument: its name in the usage text.
    pub value: Option<&'static str>,
    /// Its place in the usage text.
    pub usage: Usage,
}

const fn flag(name: &'static str, id: FlagId, value: Option<&'static str>, usage: Usage) -> Flag {
    Flag { name, id, value, usage }
}

/// Every flag, in the order of ISC's usage text (Debian's 4.4.3 build:
/// DHCPv6, PARANOIA and TRACING compiled in, DHCPv4-over-DHCPv6 not).
pub const FLAGS: &[Flag] = &[
    flag("-p", FlagId::Port, Some("<UDP port #>"), Usage::Line(0)),
    flag("-f", FlagId::Foreground, None, Usage::Line(0)),
    flag("-d", FlagId::Debug, None, Usage::Line(0)),
    flag("-q", FlagId::Quiet, None, Usage::Line(0)),
    flag("-t", FlagId::TestConfig, None, Usage::Line(0)),
    flag("-T", FlagId::TestLeases, None, Usage::Alt),
    flag("-4", FlagId::Inet4, None, Usage::Line(1)),
    flag("-6", FlagId::Inet6, None, Usage::Alt),
    flag("-cf", FlagId::ConfFile, Some("config-file"), Usage::Line(1)),
    flag("-lf", FlagId::LeaseFile, Some("lease-file"), Usage::Line(1)),
    flag("-user", FlagId::User, Some("user"), Usage::Line(2)),
    flag("-group", FlagId::Group, Some("group"), Usage::Line(2)),
    flag("-chroot", FlagId::Chroot, Some("dir"), Usage::Line(2)),
    flag("-tf", FlagId::TraceOutput, Some("trace-output-file"), Usage::Line(3)),
    flag("-play", FlagId::TracePlay, Some("trace-input-file"), Usage::Line(4)),
    flag("-pf", FlagId::PidFile, Some("pid-file"), Usage::Line(5)),
    flag("--no-pid", FlagId::NoPid, None, Usage::Line(5)),
    flag("-s", FlagId::Server, Some("server"), Usage::Line(5)),
    flag("--version", FlagId::Version, None, Usage::Info),
    flag("--help", FlagId::Help, None, Usage::Info),
    flag("-h", FlagId::HelpShort, None, Usage::Info),
];

/// How the positional interface names appear, on the line after the flags.
const POSITIONAL_USAGE: &str = "[if0 [...ifN]]";

/// ISC indents continuation lines by a fixed width, whatever the program
/// name's length.
const CONTINUATION_INDENT: &str = "             ";

/// The flag spelled exactly `arg`, if any.
pub fn lookup(arg: &[u8]) -> Option<&'static Flag> {
    FLAGS.iter().find(|f| f.name.as_bytes() == arg)
}

/// The usage text as ISC prints it (two or more lines, no trailing newline),
/// with `prog` being the base name the program was invoked as.
pub fn usage_text(prog: &str) -> String {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut info: Vec<&str> = Vec::new();
    for f in FLAGS {
        let text = match f.value {
            Some(v) => format!("{} {}", f.name, v),
            None => f.name.to_string(),
        };
        match f.usage {
            Usage::Line(n) => {
                let n = n as usize;
                while lines.len() <= n {
                    lines.push(Vec::new());
                }
                lines[n].push(text);
            }
            Usage::Alt => {
                if let Some(last) = lines.last_mut().and_then(|l| l.last_mut()) {
                    last.push('|');
                    last.push_str(&text);
                }
            }
            Usage::Info => info.push(f.name),
        }
    }
    let mut out = format!("Usage: {} ", prog);
    for (i, groups) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str(CONTINUATION_INDENT);
        }
        let bracketed: Vec<String> = groups.iter().map(|g| format!("[{}]", g)).collect();
        out.push_str(&bracketed.join(" "));
        out.push('\n');
    }
    out.push_str(CONTINUATION_INDENT);
    out.push_str(POSITIONAL_USAGE);
    out.push_str(&format!("\n       {} {{{}}}", prog, info.join("|")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_matches_isc_byte_for_byte() {
        let isc = "Usage: dhcpd [-p <UDP port #>] [-f] [-d] [-q] [-t|-T]\n\
                   \x20            [-4|-6] [-cf config-file] [-lf lease-file]\n\
                   \x20            [-user user] [-group group] [-chroot dir]\n\
                   \x20            [-tf trace-output-file]\n\
                   \x20            [-play trace-input-file]\n\
                   \x20            [-pf pid-file] [--no-pid] [-s server]\n\
                   \x20            [if0 [...ifN]]\n\
                   \x20      dhcpd {--version|--help|-h}";
        assert_eq!(usage_text("dhcpd"), isc);
    }

    #[test]
    fn lookup_is_exact() {
        assert_eq!(lookup(b"-cf").map(|f| f.id), Some(FlagId::ConfFile));
        assert!(lookup(b"-c").is_none());
        assert!(lookup(b"-cfx").is_none());
        assert!(lookup(b"-4o6").is_none());
        assert!(lookup(b"--no-pid=1").is_none());
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in FLAGS.iter().enumerate() {
            for b in &FLAGS[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
    }
}
