//! OMAPI on the serving server: a host made with the real `omshell` is
//! served to its client on the next request, the client's lease is found by
//! its hardware address, the host survives a restart (it is in the lease
//! file), and the control object stops the server cleanly.

use super::common::*;
use super::netlab;

const CONF: &str = "omapi-port 7911; ping-check false; default-lease-time 600; max-lease-time 600;\n\
subnet 10.77.0.0 netmask 255.255.255.0 { range 10.77.0.100 10.77.0.150; }\n";

fn omshell(net: &Net, script: &str) -> Result<String, String> {
    let input = format!("server 127.0.0.1\nport 7911\nconnect\n{script}");
    let out = io(net.lab.exec_input(&net.srv, &[os("omshell")], input.as_bytes(), STEP))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// udhcpc on c0 until bound; returns the address it got.
fn bind(net: &mut Net) -> Result<String, String> {
    let bb = netlab::which("busybox").ok_or("busybox vanished")?;
    let evlog = net.path("events.log");
    let _ = std::fs::remove_file(&evlog);
    let script = net.write("u.sh", &format!("#!/bin/sh\n[ \"$1\" = bound ] && echo \"$ip\" >> {evlog}\nexit 0\n"))?;
    io(std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)))?;
    let cli = net.cli.clone();
    let id = io(net.lab.spawn(&cli, &[bb.as_os_str(), os("udhcpc"), os("-q"), os("-f"), os("-i"), os("c0"), os("-s"), os(&script), os("-t"), os("10"), os("-T"), os("2")], &[]))?;
    net.lab.wait(id, STEP);
    std::fs::read_to_string(&evlog).ok().and_then(|t| t.lines().last().map(str::to_string)).ok_or_else(|| "udhcpc was not bound".to_string())
}

pub fn omshell_host_is_served() -> Outcome {
    let mut net = Net::new("omapi")?;
    let conf = net.write("dhcpd.conf", CONF)?;
    let leases = net.write("dhcpd.leases", "")?;
    let server = start_ours(&mut net, &conf, &leases)?;
    let mac = hw(&io(net.lab.mac(&net.cli, "c0"))?);
    let dynamic = bind(&mut net)?;
    ensure(dynamic.starts_with("10.77.0.1"), || format!("dynamic address {dynamic}"))?;
    let looked = omshell(&net, &format!("new lease\nset hardware-address = {mac}\nopen\n"))?;
    ensure(looked.contains("state = 00:00:00:02") && looked.contains(&format!("hardware-address = {mac}")), || {
        format!("the client's lease not found by OMAPI:\n{looked}")
    })?;
    let made = omshell(
        &net,
        &format!("new host\nset name = \"fixed1\"\nset hardware-address = {mac}\nset hardware-type = 1\nset ip-address = 10.77.0.20\ncreate\n"),
    )?;
    ensure(!made.contains("can't") && made.contains("name = \"fixed1\""), || format!("omshell create:\n{made}"))?;
    let fixed = bind(&mut net)?;
    ensure(fixed == "10.77.0.20", || format!("after the host was made the client got {fixed}"))?;
    stop_clean(&mut net, server)?;
    let text = io(std::fs::read_to_string(&leases))?;
    ensure(text.contains("host fixed1 {"), || format!("the host is not in the lease file:\n{text}"))?;

    // Restarted, the host is still there; the control object stops us.
    let server = start_ours(&mut net, &conf, &leases)?;
    let again = bind(&mut net)?;
    ensure(again == "10.77.0.20", || format!("after a restart the client got {again}"))?;
    let _ = omshell(&net, "new control\nopen\nset state = 2\nupdate\n")?;
    let status = net.lab.wait(server, STEP).ok_or("the control object did not stop the server")?;
    ensure(status.code() == Some(0), || format!("exit status {status} after the control object's stop"))
}
