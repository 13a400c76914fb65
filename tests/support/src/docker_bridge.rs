//! The host's address on Docker's default bridge network: where a
//! container, or a `RUN` line of a classic image build, reaches a server a
//! test runs on the host (a release mirror, say).
//!
//! Docker does not always say. `docker network inspect bridge` gives the
//! gateway in the IPAM config on a daemon that has run before, but a
//! freshly started dockerd 20.10 records only the subnet there. The
//! bridge's host interface (`com.docker.network.bridge.name`, `docker0`
//! unless configured) always holds the gateway address, so that is the
//! fallback, read with iproute2's `ip` as `scripts/dockerd` does.

use std::net::Ipv4Addr;
use std::process::Command;

use serde_json::Value;

use crate::docker::DockerEnv;

/// The interface Docker names its default bridge when not told otherwise.
const DEFAULT_BRIDGE_INTERFACE: &str = "docker0";

impl DockerEnv {
    /// The host's IPv4 address on the default bridge. A server bound to
    /// `0.0.0.0` on the host is reachable there from containers and image
    /// builds. Panics with what Docker and the interface said when neither
    /// gives an address: a test that serves the build cannot run without it.
    pub fn bridge_host_address(&self) -> Ipv4Addr {
        let out = self
            .docker()
            .args(["network", "inspect", "bridge", "--format", "{{json .}}"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run the docker CLI: {e}"));
        assert!(
            out.status.success(),
            "`docker network inspect bridge` failed; is dockerd running (scripts/dockerd)?\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let network: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "`docker network inspect bridge` printed no JSON ({e}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        if let Some(gateway) = ipam_gateway(&network) {
            return gateway;
        }
        let interface = bridge_interface(&network);
        let subnets = ipam_subnets(&network);
        let addresses = interface_ipv4_addresses(&interface);
        host_address_on(&addresses, &subnets).unwrap_or_else(|| {
            panic!(
                "cannot tell the host's address on Docker's bridge network: its IPAM config \
                 has no gateway ({ipam}), and interface {interface} has no IPv4 address in \
                 {subnets:?} (it has {addresses:?}). Is dockerd running with its default \
                 bridge (not `--bridge=none`)? Restart it with scripts/dockerd.",
                ipam = network["IPAM"]["Config"],
            )
        })
    }
}

/// The first IPv4 gateway in the network's IPAM config, if Docker gave one.
fn ipam_gateway(network: &Value) -> Option<Ipv4Addr> {
    ipam_configs(network)
        .filter_map(|config| config["Gateway"].as_str())
        .find_map(|gateway| gateway.parse().ok())
}

/// The IPv4 subnets of the network's IPAM config, as (address, prefix).
fn ipam_subnets(network: &Value) -> Vec<(Ipv4Addr, u8)> {
    ipam_configs(network)
        .filter_map(|config| config["Subnet"].as_str())
        .filter_map(parse_cidr)
        .collect()
}

fn ipam_configs(network: &Value) -> impl Iterator<Item = &Value> {
    network["IPAM"]["Config"].as_array().into_iter().flatten()
}

/// The bridge's host interface.
fn bridge_interface(network: &Value) -> String {
    network["Options"]["com.docker.network.bridge.name"]
        .as_str()
        .filter(|name| !name.is_empty())
        .unwrap_or(DEFAULT_BRIDGE_INTERFACE)
        .to_string()
}

/// The IPv4 addresses (with prefixes) of `interface`, empty if it has none
/// or `ip` cannot say.
fn interface_ipv4_addresses(interface: &str) -> Vec<(Ipv4Addr, u8)> {
    Command::new("ip")
        .args(["-4", "-o", "addr", "show", "dev", interface])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| parse_ip_addr_output(&String::from_utf8_lossy(&out.stdout)))
        .unwrap_or_default()
}

/// The addresses in `ip -o addr` output: the word after each `inet`.
fn parse_ip_addr_output(text: &str) -> Vec<(Ipv4Addr, u8)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            words.find(|word| *word == "inet")?;
            parse_cidr(words.next()?)
        })
        .collect()
}

/// `a.b.c.d/n`.
fn parse_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (address, prefix) = text.split_once('/')?;
    let prefix: u8 = prefix.parse().ok().filter(|p| *p <= 32)?;
    Some((address.parse().ok()?, prefix))
}

/// The first of the interface's addresses inside one of the bridge's
/// subnets; any of its addresses when Docker named no subnet.
fn host_address_on(addresses: &[(Ipv4Addr, u8)], subnets: &[(Ipv4Addr, u8)]) -> Option<Ipv4Addr> {
    addresses
        .iter()
        .map(|(address, _)| *address)
        .find(|address| subnets.is_empty() || subnets.iter().any(|s| contains(*s, *address)))
}

fn contains((network, prefix): (Ipv4Addr, u8), address: Ipv4Addr) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(network) & mask == u32::from(address) & mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `docker network inspect bridge` on a dockerd 20.10 just started on
    /// an empty data root: no gateway in the IPAM config.
    fn fresh_bridge() -> Value {
        json!({
            "Name": "bridge",
            "IPAM": {"Driver": "default", "Options": null, "Config": [{"Subnet": "172.17.0.0/16"}]},
            "Options": {
                "com.docker.network.bridge.default_bridge": "true",
                "com.docker.network.bridge.name": "docker0"
            }
        })
    }

    #[test]
    fn a_fresh_bridge_has_no_gateway_but_names_its_interface_and_subnet() {
        let network = fresh_bridge();
        assert_eq!(ipam_gateway(&network), None);
        assert_eq!(bridge_interface(&network), "docker0");
        assert_eq!(ipam_subnets(&network), [(Ipv4Addr::new(172, 17, 0, 0), 16)]);
    }

    #[test]
    fn a_gateway_docker_reports_is_used() {
        let mut network = fresh_bridge();
        network["IPAM"]["Config"] = json!([
            {"Subnet": "fd00::/64", "Gateway": "fd00::1"},
            {"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.1"}
        ]);
        assert_eq!(ipam_gateway(&network), Some(Ipv4Addr::new(10, 9, 0, 1)));
    }

    #[test]
    fn a_renamed_bridge_interface_is_followed() {
        let mut network = fresh_bridge();
        network["Options"]["com.docker.network.bridge.name"] = json!("br-ci");
        assert_eq!(bridge_interface(&network), "br-ci");
        network["Options"] = json!(null);
        assert_eq!(bridge_interface(&network), "docker0");
    }

    #[test]
    fn ip_addr_output_gives_each_address_with_its_prefix() {
        let text = "5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever preferred_lft forever\n\
                    5: docker0    inet 192.168.7.1/24 scope global docker0\\       valid_lft forever preferred_lft forever\n";
        assert_eq!(
            parse_ip_addr_output(text),
            [
                (Ipv4Addr::new(172, 17, 0, 1), 16),
                (Ipv4Addr::new(192, 168, 7, 1), 24)
            ]
        );
        assert_eq!(parse_ip_addr_output(""), []);
    }

    #[test]
    fn the_address_inside_the_bridge_subnet_is_chosen() {
        let addresses = [
            (Ipv4Addr::new(192, 168, 7, 1), 24),
            (Ipv4Addr::new(172, 17, 0, 1), 16),
        ];
        let subnet = [(Ipv4Addr::new(172, 17, 0, 0), 16)];
        assert_eq!(
            host_address_on(&addresses, &subnet),
            Some(Ipv4Addr::new(172, 17, 0, 1))
        );
        assert_eq!(
            host_address_on(&addresses, &[]),
            Some(Ipv4Addr::new(192, 168, 7, 1))
        );
        let elsewhere = [(Ipv4Addr::new(10, 0, 0, 0), 8)];
        assert_eq!(host_address_on(&addresses, &elsewhere), None);
        assert_eq!(host_address_on(&[], &subnet), None);
    }

    #[test]
    fn cidr_parsing_rejects_what_is_not_an_ipv4_network() {
        assert_eq!(
            parse_cidr("10.0.0.0/8"),
            Some((Ipv4Addr::new(10, 0, 0, 0), 8))
        );
        assert_eq!(parse_cidr("10.0.0.0"), None);
        assert_eq!(parse_cidr("10.0.0.0/33"), None);
        assert_eq!(parse_cidr("fd00::/64"), None);
        assert!(contains(
            (Ipv4Addr::new(0, 0, 0, 0), 0),
            Ipv4Addr::new(1, 2, 3, 4)
        ));
    }
}
