//! The server-wide settings ISC reads from the global scope once the
//! configuration is loaded (`postconf_initialization` in `server/dhcpd.c`):
//! ports, the address the fallback socket binds, where broadcast replies go,
//! and the syslog facility.
//!
//! ISC evaluates these options once, without a packet or a lease, and
//! exits when a value has the wrong length. So do we; the messages are
//! ISC's. Note the order ISC applies them in: the client port is derived
//! from the server port *before* the configuration is read, so
//! `local-port` alone does not move the client port (only `remote-port`
//! does), while `-p` does.

use std::net::Ipv4Addr;

use crate::conf::model::Config;
use crate::engine::{EvalContext, IscEvaluator, ScopeEvaluator};
use crate::options::SpaceId;

/// ISC `SV_LOCAL_PORT`.
const SV_LOCAL_PORT: u32 = 32;
/// ISC `SV_LIMITED_BROADCAST_ADDRESS`.
const SV_LIMITED_BROADCAST_ADDRESS: u32 = 33;
/// ISC `SV_REMOTE_PORT`.
const SV_REMOTE_PORT: u32 = 34;
/// ISC `SV_LOCAL_ADDRESS`.
const SV_LOCAL_ADDRESS: u32 = 35;
/// ISC `SV_DDNS_UPDATE_STYLE`.
const SV_DDNS_UPDATE_STYLE: u32 = 39;
/// ISC `SV_LOG_FACILITY`.
const SV_LOG_FACILITY: u32 = 44;

/// The global server options that shape the process, as set (or not).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `local-port`: replaces the server port, even one given with `-p`.
    pub local_port: Option<u16>,
    /// `remote-port`: the client port.
    pub remote_port: Option<u16>,
    /// `limited-broadcast-address`: replaces `-s` and 255.255.255.255.
    pub limited_broadcast: Option<Ipv4Addr>,
    /// `local-address`: where the fallback socket binds.
    pub local_address: Option<Ipv4Addr>,
    /// `log-facility`, as the `LOG_*` code.
    pub log_facility: Option<libc::c_int>,
    /// `ddns-update-style`, when it asks for DNS updates (interim or
    /// standard), which this server does not make.
    pub ddns_update_style: Option<u8>,
}

impl Settings {
    /// Evaluates the options in `config`'s global scope. `Err` carries ISC's
    /// fatal message for a value of the wrong length.
    pub fn from_config(config: &Config) -> Result<Settings, String> {
        let mut eval = IscEvaluator::new();
        let cx = EvalContext { packet: None, lease: None, now: 0 };
        let mut st = eval.new_state();
        eval.execute(&cx, &mut st, &config.groups[Config::ROOT].statements);
        let mut get = |code| eval.option(&cx, &st, SpaceId::SERVER, code);
        let port = |v: Vec<u8>, what: &str| match <[u8; 2]>::try_from(v.as_slice()) {
            Ok(b) => Ok(u16::from_be_bytes(b)),
            Err(_) => Err(format!("invalid {what} port data length")),
        };
        let addr = |v: Vec<u8>, what: &str| match <[u8; 4]>::try_from(v.as_slice()) {
            Ok(b) => Ok(Ipv4Addr::from(b)),
            Err(_) => Err(format!("invalid {what} data length")),
        };
        let mut s = Settings::default();
        if let Some(v) = get(SV_LOCAL_PORT) {
            s.local_port = Some(port(v, "local")?);
        }
        if let Some(v) = get(SV_REMOTE_PORT) {
            s.remote_port = Some(port(v, "remote")?);
        }
        if let Some(v) = get(SV_LIMITED_BROADCAST_ADDRESS) {
            s.limited_broadcast = Some(addr(v, "broadcast address")?);
        }
        if let Some(v) = get(SV_LOCAL_ADDRESS) {
            s.local_address = Some(addr(v, "local address")?);
        }
        if let Some(v) = get(SV_DDNS_UPDATE_STYLE) {
            s.ddns_update_style = v.first().copied().filter(|&style| style != 0);
        }
        if let Some(v) = get(SV_LOG_FACILITY) {
            match v.as_slice() {
                [f] => s.log_facility = Some(libc::c_int::from(*f)),
                _ => return Err("invalid log facility".to_string()),
            }
        }
        Ok(s)
    }
}

/// The ports and broadcast address in force, after the command line, the
/// environment and the configuration, in ISC's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// Where we listen and what relays are answered on.
    pub server: u16,
    /// Where clients are answered.
    pub client: u16,
    /// Where broadcast replies go.
    pub limited_broadcast: Ipv4Addr,
}

impl Ports {
    /// `cli_port`: `-p` or `DHCPD_PORT` (67 without); `cli_broadcast`: `-s`.
    pub fn resolve(cli_port: Option<u16>, cli_broadcast: Option<Ipv4Addr>, s: &Settings) -> Ports {
        let first = cli_port.unwrap_or(67);
        Ports {
            server: s.local_port.unwrap_or(first),
            client: s.remote_port.unwrap_or(first.wrapping_add(1)),
            limited_broadcast: s.limited_broadcast.or(cli_broadcast).unwrap_or(Ipv4Addr::BROADCAST),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::parser::MemLoader;

    fn settings(text: &str) -> Result<Settings, String> {
        let loader = MemLoader(vec![("d.conf".into(), text.as_bytes().to_vec())]);
        let out = crate::conf::check_config("d.conf", &loader);
        Settings::from_config(&out.config.expect("config parses"))
    }

    #[test]
    fn unset_options_are_none() {
        assert_eq!(settings("").unwrap(), Settings::default());
    }

    #[test]
    fn global_options_are_read() {
        let s = settings(
            "local-port 6767; remote-port 6768; local-address 10.0.0.1;\n\
             limited-broadcast-address 10.0.0.255; log-facility local7; ddns-update-style interim;\n",
        )
        .unwrap();
        assert_eq!(s.local_port, Some(6767));
        assert_eq!(s.remote_port, Some(6768));
        assert_eq!(s.local_address, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(s.limited_broadcast, Some(Ipv4Addr::new(10, 0, 0, 255)));
        assert_eq!(s.log_facility, Some(libc::LOG_LOCAL7));
        assert_eq!(s.ddns_update_style, Some(2));
        assert_eq!(settings("ddns-update-style none;").unwrap().ddns_update_style, None);
    }

    #[test]
    fn ports_follow_iscs_order() {
        let none = Settings::default();
        assert_eq!(Ports::resolve(None, None, &none), Ports { server: 67, client: 68, limited_broadcast: Ipv4Addr::BROADCAST });
        assert_eq!(Ports::resolve(Some(6000), None, &none).client, 6001);
        // local-port moves the server port only; the client port was fixed before.
        let local = Settings { local_port: Some(7000), ..Settings::default() };
        assert_eq!(Ports::resolve(Some(6000), None, &local), Ports { server: 7000, client: 6001, limited_broadcast: Ipv4Addr::BROADCAST });
        let bc = Settings { limited_broadcast: Some(Ipv4Addr::new(10, 0, 0, 255)), ..Settings::default() };
        let s_flag = Some(Ipv4Addr::new(10, 9, 9, 255));
        assert_eq!(Ports::resolve(None, s_flag, &none).limited_broadcast, Ipv4Addr::new(10, 9, 9, 255));
        assert_eq!(Ports::resolve(None, s_flag, &bc).limited_broadcast, Ipv4Addr::new(10, 0, 0, 255));
    }
}
