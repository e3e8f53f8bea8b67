//! Classes with `match if`, subclasses, spawning, lease limits and pools
//! that allow or deny members of a class.

use super::*;

const CONF: &str = "
authoritative;
ping-check false;
class \"phones\" {
  match if substring(option vendor-class-identifier, 0, 5) = \"phone\";
  option domain-name \"phones.example\";
}
class \"byvendor\" {
  match option vendor-class-identifier;
}
subclass \"byvendor\" \"printer-x\" {
  option domain-name \"printers.example\";
}
subnet 10.0.0.0 netmask 255.255.255.0 {
  option domain-name \"lan.example\";
  pool {
    range 10.0.0.10 10.0.0.19;
    allow members of \"phones\";
  }
  pool {
    range 10.0.0.20 10.0.0.29;
    deny members of \"phones\";
  }
}
";

fn vendor(c: &mut Client, v: &str) {
    c.extra.push((60, v.as_bytes().to_vec()));
}

#[test]
fn match_if_puts_client_in_class_pool_and_scope() {
    let mut e = engine(CONF);
    let mut phone = Client::new(1);
    vendor(&mut phone, "phone-model-9");
    let (a, ack) = dora(&mut e, T0, &phone);
    assert_eq!(a, ip(10));
    assert_eq!(ack.opt(15), Some(&b"phones.example"[..]), "class scope runs after the subnet's");
    let (b, ack) = dora(&mut e, T0, &Client::new(2));
    assert_eq!(b, ip(20));
    assert_eq!(ack.opt(15), Some(&b"lan.example"[..]));
}

#[test]
fn subclass_by_match_data() {
    let mut e = engine(CONF);
    let mut p = Client::new(3);
    vendor(&mut p, "printer-x");
    let (a, ack) = dora(&mut e, T0, &p);
    assert_eq!(a, ip(20));
    assert_eq!(ack.opt(15), Some(&b"printers.example"[..]));
}

#[test]
fn spawned_classes_limit_leases() {
    let conf = "
authoritative;
ping-check false;
class \"per-circuit\" {
  spawn with option host-name;
  lease limit 1;
}
subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.19; }
";
    let mut e = engine(conf);
    let mut a = Client::new(1);
    a.extra.push((12, b"room-1".to_vec()));
    dora(&mut e, T0, &a);
    let mut b = Client::new(2);
    b.extra.push((12, b"room-1".to_vec()));
    let out = send(&mut e, T0, &b.discover());
    assert!(out.reply.is_none());
    assert_eq!(
        lines(&out).last().unwrap(),
        "DHCPDISCOVER from 02:00:00:00:00:02 via eth0: no available billing: lease limit reached in all matching classes (last: 'per-circuit')"
    );
    let mut c = Client::new(3);
    c.extra.push((12, b"room-2".to_vec()));
    assert_eq!(dora(&mut e, T0, &c).0, ip(11));
}
